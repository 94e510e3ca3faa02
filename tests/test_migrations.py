"""The migrations, on whichever database this run uses (SQLite, or PostgreSQL).

The tests of revision 0006 build a SQLite database at revision 0005 with Alembic, store
responses as the site did then, upgrade, and compare what revision 0006 filled in with what
the application's own code (search.text_of, results.chosen) makes of the same response.
A "continue later" link emailed before revision 0007 still resumes its draft, once.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select

from app import create_app
from app.consultations.files import survey_data
from app.extensions import db
from app.intake import search
from app.models import SUBMITTED, AdminUser, ChoiceAnswer, Consultation, Response, SurveyVersion
from app.survey import results, versions
from tests.support.clients import new_browser
from tests.support.factories import AuthActions
from tests.support.pages import page, text_of, where
from tests.support.responses import references
from tests.support.survey import SURVEY, open_link, page_url, save_on_page_2, the_response


def schema_differences() -> list:
    """What the migrated database lacks, or has more of, than the models describe."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_the_migrations_build_the_schema_the_models_describe(app):
    assert schema_differences() == []


def test_every_migration_can_be_undone_and_done_again(app):
    tables = set(inspect(db.engine).get_table_names())
    db.session.remove()

    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()

    assert set(inspect(db.engine).get_table_names()) == tables
    assert schema_differences() == []


# --- revision 0006 fills in what responses sent before it need -------------------------------


QUESTIONS = [
    # key, page, type, options, settings, show_if
    ("role", 1, "single", ["Community organisation", "Council officer", "Resident"], {}, {}),
    ("postcode", 1, "text", [], {}, {}),
    ("delivers_now", 2, "yesno", [], {}, {"role": ["Community organisation"]}),
    (
        "obstacles",
        2,
        "multi",
        ["Paperwork", "Contract size", "Payment terms"],
        {"allow_other": True},
        {"delivers_now": ["yes"]},
    ),
    ("confidence", 3, "scale", [], {"scale": {"min": "Not at all", "max": "Completely"}}, {}),
    ("budget", 3, "number", [], {}, {}),
    ("story", 3, "longtext", [], {}, {}),
]
OLD_RESPONSES = [
    # reference, channel, status, answers, other columns
    (
        "SV-AAAAAA",
        "survey",
        "submitted",
        {
            "role": "Community organisation",
            "postcode": "ZZ9 9ZZ",
            "delivers_now": "yes",
            "obstacles": ["Paperwork", "Payment terms", "Other: Late payment"],
            "confidence": "5",
            "budget": 12,
            "story": "Le Café fermé. STRASSE",
        },
        {"name": "Ada Jones", "email": "ada@example.org", "organisation": "Riverside Trust"},
    ),
    (
        "SV-BBBBBB",
        "survey",
        "submitted",
        {"role": "Resident", "confidence": "1", "budget": 2.5},
        {"name": "", "email": ""},
    ),
    (
        "SV-CCCCCC",
        "survey",
        "submitted",
        {"role": "Council officer", "confidence": "3"},
        {"name": "Bo", "email": "bo@example.org"},
    ),
    (
        "EV-DDDDDD",
        "evidence",
        "submitted",
        {},
        {
            "name": "Cara Diaz",
            "email": "cara@example.org",
            "respondent_type": "Think tank",
            "topics": ["Trends", "Failures"],
            "evidence_text": "100% of budgets",
        },
    ),
    (None, "survey", "draft", {"role": "Resident"}, {"name": "Not sent"}),
]


def _migration_app(path: Path) -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})


def _store_as_at_0005(connection: sa.Connection) -> None:
    """A consultation, its questions and responses, written with the columns of 0005."""
    when = "2027-01-15 10:00:00.000000"
    connection.execute(
        sa.text(
            "INSERT INTO consultation (id, slug, title, summary, body, opens_at, closes_at,"
            " override, grace_minutes, channels, officer_name, officer_email, officer_phone,"
            " evidence_settings, created_at, updated_at) VALUES (1, 'old', 'Old', 'S', '',"
            " :when, :when, 'auto', 30, :channels, 'Sam', 'sam@example.org', '', '{}',"
            " :when, :when)"
        ),
        {"when": when, "channels": json.dumps(["survey", "evidence"])},
    )
    for position, (key, number, kind, options, settings, show_if) in enumerate(QUESTIONS):
        connection.execute(
            sa.text(
                "INSERT INTO question (consultation_id, key, page, page_title, position, type,"
                " prompt, hint, required, options, settings, show_if) VALUES (1, :key, :page,"
                " '', :position, :type, :prompt, '', 0, :options, :settings, :show_if)"
            ),
            {
                "key": key,
                "page": number,
                "position": position,
                "type": kind,
                "prompt": f"Question {key}?",
                "options": json.dumps(options),
                "settings": json.dumps(settings),
                "show_if": json.dumps(show_if),
            },
        )
    for number, (reference, channel, status, answers, other) in enumerate(OLD_RESPONSES):
        columns = {
            "name": "",
            "email": "",
            "organisation": "",
            "respondent_type": "",
            "topics": [],
            "evidence_text": "",
            **other,
        }
        connection.execute(
            sa.text(
                "INSERT INTO response (consultation_id, channel, status, token, reference, answers,"
                " pages_done, respond_as, name, email, organisation, respondent_type, topics,"
                " evidence_text, consent, publish, late, started_at, updated_at, submitted_at)"
                " VALUES (1, :channel, :status, :token, :reference, :answers, '[]', 'individual',"
                " :name, :email, :organisation, :respondent_type, :topics, :evidence_text, 1,"
                " 'no', 0, :when, :when, :submitted)"
            ),
            {
                **columns,
                "topics": json.dumps(columns["topics"]),
                "channel": channel,
                "status": status,
                "token": f"token-{number}-" + "x" * 20,
                "reference": reference,
                "answers": json.dumps(answers),
                "when": when,
                "submitted": when if status == "submitted" else None,
            },
        )


def _filled_in() -> dict[str, tuple[str, Counter]]:
    """Per reference (or the draft's name): its search text and its counted choices."""
    found = {}
    for response in db.session.scalars(select(Response).order_by(Response.id)):
        choices = Counter(
            (row.question_key, row.option)
            for row in db.session.scalars(select(ChoiceAnswer).filter_by(response_id=response.id))
        )
        found[response.reference or response.name] = (response.search_text, choices)
    return found


def _as_the_app_makes_them() -> dict[str, tuple[str, Counter]]:
    expected = {}
    for response in db.session.scalars(select(Response).order_by(Response.id)):
        questions = list(db.session.get(Consultation, response.consultation_id).questions)
        if response.status != SUBMITTED:
            expected[response.name] = ("", Counter())
        elif response.channel == "survey":
            expected[response.reference] = (
                search.text_of(response),
                Counter(results.chosen(questions, response.answers)),
            )
        else:
            expected[response.reference] = (search.text_of(response), Counter())
    return expected


def test_revision_0006_fills_in_search_text_and_choices_as_the_app_would(tmp_path):
    app = _migration_app(tmp_path / "old.db")
    with app.app_context():
        upgrade(revision="0005_get_in_touch")
        with db.engine.begin() as connection:
            _store_as_at_0005(connection)
        upgrade()  # to the newest revision

        filled_in = _filled_in()
        expected = _as_the_app_makes_them()
        assert filled_in == expected
        # The values themselves, so that a change to both sides cannot hide a mistake.
        text, choices = filled_in["SV-AAAAAA"]
        assert "le café fermé. strasse" in text
        assert "other: late payment" in text
        assert text.startswith("sv-aaaaaa ada jones ada@example.org riverside trust")
        assert choices == Counter(
            {
                ("role", "Community organisation"): 1,
                ("delivers_now", "Yes"): 1,
                ("obstacles", "Paperwork"): 1,
                ("obstacles", "Payment terms"): 1,
                ("obstacles", "Other"): 1,
                ("confidence", "5 – Completely"): 1,
            }
        )
        assert filled_in["SV-BBBBBB"][1] == Counter(
            {("role", "Resident"): 1, ("confidence", "1 – Not at all"): 1}
        )
        assert "2.5" in filled_in["SV-BBBBBB"][0]
        assert filled_in["EV-DDDDDD"] == (
            "ev-dddddd cara diaz cara@example.org think tank trends failures 100% of budgets",
            Counter(),
        )
        assert filled_in["Not sent"] == ("", Counter())

        db.session.remove()
        db.engine.dispose()


def test_going_back_to_0005_and_up_again_keeps_every_response(tmp_path):
    app = _migration_app(tmp_path / "old.db")
    with app.app_context():
        upgrade(revision="0005_get_in_touch")
        with db.engine.begin() as connection:
            _store_as_at_0005(connection)
        upgrade()
        expected = _filled_in()
        assert len(expected) == len(OLD_RESPONSES)

        downgrade(revision="0005_get_in_touch")
        with db.engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT count(*) FROM response")).scalar()
            questions = connection.execute(sa.text("SELECT count(*) FROM question")).scalar()
        upgrade()
        again = _filled_in()
        db.session.remove()
        db.engine.dispose()

    assert (kept, questions) == (len(OLD_RESPONSES), len(QUESTIONS))
    assert again == expected  # filled in again, nothing counted twice


def test_revision_0014_makes_each_survey_as_it_was_its_first_version(tmp_path):
    app = _migration_app(tmp_path / "old.db")
    with app.app_context():
        upgrade(revision="0013_questions_stamp")
        with db.engine.begin() as connection:
            _store_as_at_0005(connection)
        upgrade()

        consultation = db.session.get(Consultation, 1)
        [version] = db.session.scalars(select(SurveyVersion)).all()
        assert (version.consultation_id, version.number) == (1, 1)
        # As the application writes a survey, and as it reads back.
        assert version.survey == survey_data(consultation)
        assert [q.key for q in versions.questions_in(version.survey, 1)] == [
            key for key, *_ in QUESTIONS
        ]
        assert consultation.survey_version == 1
        assert {
            (response.channel, response.survey_version)
            for response in db.session.scalars(select(Response))
        } == {("survey", 1), ("evidence", None)}
        db.session.remove()
        db.engine.dispose()


def test_responses_from_before_0006_are_found_and_counted_in_the_admin_area(tmp_path, clock):
    """The backfilled rows work in the list's search and on the summary page."""
    path = tmp_path / "old.db"
    app = _migration_app(path)
    with app.app_context():
        upgrade(revision="0005_get_in_touch")
        with db.engine.begin() as connection:
            _store_as_at_0005(connection)
        upgrade()
        db.engine.dispose()
    served = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "CLOCK": clock,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    with served.app_context():
        user = AdminUser(email="admin@example.org", role="admin")
        user.set_password("correct horse battery")
        db.session.add(user)
        db.session.commit()
        browser = new_browser(served)
        assert AuthActions(browser).login().status_code == 303

        found = browser.get("/admin/consultations/old/responses?q=café")
        summary = page(browser.get("/admin/consultations/old/summary"))

        assert references(found) == ["SV-AAAAAA"]
        role = summary.find("caption", string="Question role?").find_parent("table")
        rows = [
            [text_of(td) for td in tr.find_all("td")] for tr in role.find("tbody").find_all("tr")
        ]
        assert rows == [
            ["Community organisation", "1", "33%"],
            ["Council officer", "1", "33%"],
            ["Resident", "1", "33%"],
        ]
        db.session.remove()
        db.engine.dispose()


# --- revision 0007: emailed "continue later" links carry a token of their own ---------------


def test_links_emailed_before_the_upgrade_work_once_more(app, client, survey):
    """Until revision 0007 the link carried the draft's own token."""
    save_on_page_2(client)
    old_link = f"{SURVEY}/resume/{the_response().token}"
    db.session.remove()

    downgrade(revision="0006_admin")
    upgrade()

    assert where(open_link(new_browser(app), old_link)) == page_url(4)
    assert open_link(new_browser(app), old_link).status_code == 404
