"""Respondents who answered before any series of changes to the survey still see, in the
admin's view and the export, exactly what they were asked and what they answered (issue 19).

Each example starts from tests/support/factories.py's SURVEY_PAGES with no response. One
or two respondents take a route through it over HTTP and send their responses; the test
notes what the admin's page of each response shows under "Answers" and its row of the
CSV export. Then hypothesis changes the survey as the builder does: prompts reworded,
options removed and added, questions deleted, added and moved (within a page and to
another), pages moved, conditions set; each change is worked out by app.survey.edits and
saved by app.admin.builder.services.save, so it records a new survey version. Afterwards
each earlier response's page shows the same prompts and answers, and its CSV row the same
cells by column name (columns may move; columns are added), its survey version unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.admin.builder import services
from app.consultations.files import survey_data
from app.extensions import db
from app.models import (
    Attachment,
    AuditEvent,
    Booking,
    ChoiceAnswer,
    Consultation,
    OutboxEmail,
    Response,
    ResponseVersion,
)
from app.survey import edits, survey_fields
from tests.support.clients import Clock, new_browser
from tests.support.factories import ADMIN_EMAIL, SLUG, AuthActions
from tests.support.pages import page, text_of
from tests.support.survey import (
    OFFICER_ROUTE,
    ORGANISATION_ROUTE,
    RESIDENT,
    responses,
    send,
    take_route,
)

EXAMPLES = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RESIDENT_ROUTE = {
    1: {"q_role": RESIDENT, "q_postcode": "N1 9GU"},
    4: {"q_confidence": "3", "q_contact_email": "sam@example.org"},
}
ROUTES = [ORGANISATION_ROUTE, OFFICER_ROUTE, RESIDENT_ROUTE]
PROMPTS = [
    "Which of these are you?",
    "Where do you live?",
    "Woodland or town?",
    "Anything else to tell us?",
    "Which best describes you?",  # a prompt another question had
]
NEW_OPTIONS = ["Woodland", "Landlord", "Community organisation", "Other"]


@dataclass
class Site:
    app: Flask
    admin: FlaskClient
    make_survey: Callable[..., Consultation]
    clock: Clock


@pytest.fixture
def site(request, app_config, clock) -> Site:
    """The app without rate limits (every request comes from one address here) and the
    admin signed in."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    request.getfixturevalue("admin_user")
    make_survey = request.getfixturevalue("make_survey")
    make_survey()
    admin = new_browser(app)
    assert AuthActions(admin).login().status_code == 303
    return Site(app, admin, make_survey, clock)


def start_afresh(site: Site) -> Consultation:
    """No response, email or audit event left from the example before; the survey as
    imported (a new version of it, when the example before changed it)."""
    db.session.rollback()
    for model in (ChoiceAnswer, Attachment, ResponseVersion, Booking, Response, OutboxEmail):
        db.session.execute(delete(model))
    db.session.execute(delete(AuditEvent))
    db.session.commit()
    return site.make_survey()


def consultation() -> Consultation:
    db.session.rollback()
    return db.session.scalars(select(Consultation).filter_by(slug=SLUG)).one()


# --- what the admin sees --------------------------------------------------------------------


def answers_shown(admin: FlaskClient, response: Response) -> list[tuple[str, str]]:
    """The "Answers" list on the admin's page of a response: (prompt, answer), in order."""
    shown = admin.get(f"/admin/responses/{response.id}")
    assert shown.status_code == 200
    heading = page(shown).find(lambda tag: tag.name == "h2" and text_of(tag) == "Answers")
    assert heading is not None, "no Answers heading"
    answers = heading.find_next("dl", class_="summary-list")
    return [(text_of(row.find("dt")), text_of(row.find("dd"))) for row in answers.find_all("div")]


def export_rows(admin: FlaskClient) -> dict[str, dict[str, str]]:
    """The CSV export's rows by the response's reference, each by column name."""
    download = admin.get(f"/admin/consultations/{SLUG}/responses.csv")
    assert download.status_code == 200
    text = download.get_data().decode("utf-8-sig")
    download.close()
    header, *rows = csv.reader(io.StringIO(text, newline=""))
    assert len(set(header)) == len(header), "two columns with one name"
    return {row[header.index("Reference")]: dict(zip(header, row, strict=True)) for row in rows}


# --- the changes, as the builder makes them -------------------------------------------------


def questions(survey: dict | None) -> list[dict]:
    return [q for p in (survey or {"pages": []})["pages"] for q in p["questions"]]


@st.composite
def change(draw, survey: dict | None, taken: set[str]) -> tuple[str, edits.Outcome]:
    """One of the builder's actions on `survey`, drawn to fit it: (its name, its outcome)."""
    asked = questions(survey)
    pages = len((survey or {"pages": []})["pages"])
    choice = [q for q in asked if q["type"] in ("single", "multi")]
    kinds = ["add"]
    if asked:
        kinds += ["reword", "delete", "move", "move to page", "condition"]
    if choice:
        kinds += ["remove option", "add option"]
    if pages > 1:
        kinds += ["move page"]
    kind = draw(st.sampled_from(kinds))
    if kind == "add":
        prompt = draw(st.sampled_from(PROMPTS))
        fields: dict[str, Any] = {
            "prompt": prompt,
            "type": draw(st.sampled_from(["text", "yesno"])),
        }
        fields["key"] = survey_fields.key_for(prompt, taken)
        where = draw(st.one_of(st.none(), st.integers(1, max(pages, 1))))
        return kind, edits.add_question(survey, fields, where if pages else None, "More")
    if kind in ("remove option", "add option"):
        question = draw(st.sampled_from(choice))
        options = list(question["options"])
        if kind == "remove option":
            options.remove(draw(st.sampled_from(options)))
        else:
            options.append(draw(st.sampled_from(NEW_OPTIONS)))
        return kind, edits.edit_question(survey, question["key"], {"options": options}, True)
    if kind == "move page":
        where = draw(st.integers(1, pages))
        return kind, edits.move_page(survey, where, draw(st.sampled_from(["up", "down"])))
    key = draw(st.sampled_from(asked))["key"]
    if kind == "reword":
        fields = {"prompt": draw(st.sampled_from(PROMPTS))}
        return kind, edits.edit_question(survey, key, fields, key_locked=True)
    if kind == "delete":
        return kind, edits.delete_question(survey, key)
    if kind == "move":
        return kind, edits.move_question(survey, key, draw(st.sampled_from(["up", "down"])))
    if kind == "move to page":
        return kind, edits.move_question_to_page(survey, key, draw(st.integers(1, pages)))
    earlier = [q for q in asked[: [q["key"] for q in asked].index(key)] if edits.answers_to(q)]
    if not earlier:
        return kind, edits.set_condition(survey, key, {})
    decider = draw(st.sampled_from(earlier))
    picked = draw(st.lists(st.sampled_from(edits.answers_to(decider)), min_size=1, unique=True))
    return kind, edits.set_condition(survey, key, {decider["key"]: picked})


def make_changes(data: st.DataObject, site: Site) -> int:
    """Change the survey one to five times as the builder saves a change; how many were made."""
    made = 0
    for _ in range(data.draw(st.integers(1, 5), label="changes")):
        current = consultation()
        survey = survey_data(current)
        taken = services.keys_ever(current)
        kind, outcome = data.draw(change(survey, taken), label="change")
        if isinstance(outcome, edits.Refused) or outcome.survey == survey:
            event(f"{kind}: refused or no change")
            continue
        event(f"{kind}: made")
        detail = services.Detail(f"A change: {kind}.", survey, outcome.survey)
        services.save(current, outcome.survey, current.questions_stamp, ADMIN_EMAIL, detail)
        made += 1
    return made


# --- the property ---------------------------------------------------------------------------


@EXAMPLES
@given(routes=st.lists(st.sampled_from(ROUTES), min_size=1, max_size=2), data=st.data())
def test_earlier_responses_read_the_same_after_any_changes(site, routes, data):
    start_afresh(site)
    for route in routes:
        respondent = new_browser(site.app)
        take_route(respondent, route)
        assert send(respondent, site.clock).status_code == 303
    sent = responses()
    before = {response.id: answers_shown(site.admin, response) for response in sent}
    rows = export_rows(site.admin)
    assert all(before.values()) and all(row["Survey version"] for row in rows.values())
    answered = consultation().survey_version

    made = make_changes(data, site)

    event(f"{made} changes made")
    # The first change makes a new version, as the survey had been answered; the next
    # ones replace it, as nobody has answered that one.
    assert consultation().survey_version == answered + (1 if made else 0)
    after_rows = export_rows(site.admin)
    for response in responses():
        assert answers_shown(site.admin, response) == before[response.id]
        was, now = rows[response.reference], after_rows[response.reference]
        assert {name: now.get(name) for name in was} == was
