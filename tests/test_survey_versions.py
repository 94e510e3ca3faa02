"""A survey's versions: every response is read with the questions it was answered with.

The survey is tests/support/factories.py's SURVEY_PAGES, changed by importing it again
as a file would be (the builder's changes are recorded by the same commit hook).
"""

from __future__ import annotations

import copy
import csv
import io
from typing import Any

from sqlalchemy import select

from app.consultations.files import survey_data
from app.extensions import db
from app.models import DRAFT, Consultation, Response, SurveyVersion
from app.survey import versions
from tests.support.clients import new_browser
from tests.support.factories import SLUG, SURVEY_PAGES
from tests.support.pages import page, text_of
from tests.support.survey import ORGANISATION_ROUTE, answer, send, take_route, the_response

OLD_PROMPT = "Which best describes you?"
NEW_PROMPT = "Which of these are you?"
POSTCODE_PROMPT = "What is your postcode?"


def changed_pages() -> list[dict[str, Any]]:
    """SURVEY_PAGES with the first question reworded and the postcode question taken out."""
    pages = copy.deepcopy(SURVEY_PAGES)
    about_you = pages[0]["questions"]
    about_you[0]["prompt"] = NEW_PROMPT
    del about_you[1]  # postcode
    return pages


def stored_versions() -> list[tuple[int, dict]]:
    db.session.rollback()
    return [
        (version.number, version.survey)
        for version in db.session.scalars(select(SurveyVersion).order_by(SurveyVersion.number))
    ]


def consultation() -> Consultation:
    db.session.rollback()
    return db.session.scalars(select(Consultation).filter_by(slug=SLUG)).one()


def export_rows(admin) -> list[dict[str, str]]:
    download = admin.get(f"/admin/consultations/{SLUG}/responses.csv")
    assert download.status_code == 200
    text = download.get_data().decode("utf-8-sig")
    download.close()
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    return [dict(zip(header, row, strict=True)) | {"(columns)": header} for row in rows]


def answer_rows(admin, response: Response) -> dict[str, str]:
    """The admin's page of one response: its answers, by question."""
    answers = page(admin.get(f"/admin/responses/{response.id}")).find("dl", class_="summary-list")
    return {text_of(row.find("dt")): text_of(row.find("dd")) for row in answers.find_all("div")}


def test_an_imported_survey_is_version_1_and_importing_it_again_changes_nothing(
    make_survey,
):
    made = make_survey()
    assert stored_versions() == [(1, survey_data(made))]
    assert consultation().survey_version == 1

    make_survey()

    assert stored_versions() == [(1, survey_data(consultation()))]


def test_a_change_before_anyone_answers_replaces_the_first_version(make_survey):
    make_survey()
    make_survey(survey={"pages": changed_pages()})

    [(number, survey)] = stored_versions()
    assert number == 1
    assert survey == {"pages": changed_pages()} == survey_data(consultation())


def test_a_response_keeps_the_words_it_was_answered_with(app, client, clock, make_survey, admin):
    make_survey()
    take_route(client, ORGANISATION_ROUTE)
    assert send(client, clock).status_code == 303
    first = the_response()
    assert first.survey_version == 1

    make_survey(survey={"pages": changed_pages()})

    assert [number for number, _ in stored_versions()] == [1, 2]
    assert consultation().survey_version == 2
    assert the_response().survey_version == 1
    shown = answer_rows(admin, first)
    assert shown[OLD_PROMPT] == "Community organisation"
    assert shown[POSTCODE_PROMPT] == "ZZ9 9ZZ"
    assert NEW_PROMPT not in shown

    later = new_browser(app)
    take_route(later, {1: {"q_role": "Resident"}, 4: ORGANISATION_ROUTE[4]})
    assert send(later, clock).status_code == 303
    second = db.session.scalars(select(Response).filter(Response.id != first.id)).one()
    assert second.survey_version == 2
    shown = answer_rows(admin, second)
    assert shown[NEW_PROMPT] == "Resident"
    assert OLD_PROMPT not in shown and POSTCODE_PROMPT not in shown

    old_row, new_row = export_rows(admin)
    columns = old_row["(columns)"]
    # The postcode's column stays, after the survey's own questions.
    assert columns.index("postcode") == columns.index("contact_email") + 1
    assert (old_row["Survey version"], old_row["role"], old_row["postcode"]) == (
        "1",
        "Community organisation",
        "ZZ9 9ZZ",
    )
    assert (new_row["Survey version"], new_row["role"], new_row["postcode"]) == (
        "2",
        "Resident",
        "",
    )


def test_a_draft_carries_on_along_the_changed_survey_and_keeps_its_removed_answers(
    client, clock, make_survey, admin
):
    make_survey()
    answer(client, 1, ORGANISATION_ROUTE[1])
    assert the_response().survey_version == 1

    make_survey(survey={"pages": changed_pages()})
    assert [number for number, _ in stored_versions()] == [1, 2]

    take_route(client, {2: ORGANISATION_ROUTE[2], 4: ORGANISATION_ROUTE[4]})
    assert send(client, clock).status_code == 303
    sent = the_response()
    assert sent.survey_version == 2
    assert sent.answers["postcode"] == "ZZ9 9ZZ"
    assert answer_rows(admin, sent)[NEW_PROMPT] == "Community organisation"
    [row] = export_rows(admin)
    assert (row["Survey version"], row["postcode"]) == ("2", "ZZ9 9ZZ")


def test_a_preview_draft_does_not_hold_the_version_it_saw(make_survey, clock):
    made = make_survey()
    db.session.add(
        Response(
            consultation=made,
            channel="survey",
            status=DRAFT,
            token="preview-draft-token-" + "x" * 20,
            answers={"role": "Resident"},
            survey_version=None,  # what a draft saved in a preview holds
            started_at=clock.now,
            updated_at=clock.now,
        )
    )
    db.session.commit()

    make_survey(survey={"pages": changed_pages()})

    assert [number for number, _ in stored_versions()] == [1]


def test_a_version_reads_back_as_the_questions_respondents_were_asked(make_survey):
    made = make_survey()
    [(_, survey)] = stored_versions()
    asked = versions.questions_in(survey, made.id)
    fields = ("key", "page", "page_title", "position", "type", "prompt", "hint", "required")
    fields += ("options", "settings", "show_if")

    def described(questions) -> list[tuple]:
        return [tuple(getattr(q, name) for name in fields) for q in questions]

    assert described(asked) == described(consultation().questions)


def test_the_summary_still_counts_a_choice_question_taken_out_after_it_was_answered(
    client, clock, make_survey, admin
):
    make_survey()
    take_route(client, ORGANISATION_ROUTE)
    assert send(client, clock).status_code == 303
    pages = copy.deepcopy(SURVEY_PAGES)
    del pages[1]["questions"][1]  # "What gets in the way?"

    make_survey(survey={"pages": pages})

    summary = page(admin.get(f"/admin/consultations/{SLUG}/summary"))
    titles = [text_of(h) for h in summary.select("h2.chart-title")]
    assert titles[-1] == "What gets in the way? (no longer in the survey)"
    table = summary.find(id="chart-obstacles").find_parent("section").find("tbody")
    counted = {text_of(row.find("td")): text_of(row.find_all("td")[1]) for row in table("tr")}
    assert counted == {"Paperwork": "1", "Contract size": "0", "Payment terms": "0", "Other": "1"}
