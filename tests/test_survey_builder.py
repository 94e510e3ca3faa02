"""The survey builder over HTTP: an admin adds, changes, moves and deletes questions and
pages; the rules of an imported file hold; a change to a survey people have answered is
shown with what it touches before it is made; every change is audited.

The survey is tests/support/factories.py's SURVEY_PAGES (its routes: community
organisations see pages 1, 2 and 4; council officers 1, 3 and 4; anyone else 1 and 4).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from sqlalchemy import select

from app.consultations.files import survey_data
from app.extensions import db
from app.models import AuditEvent, Consultation, SurveyVersion
from tests.support.factories import SLUG
from tests.support.pages import (
    field_error,
    page,
    sent_by,
    summary_links,
    text_of,
    where,
    with_changes,
)
from tests.support.survey import ORGANISATION_ROUTE, answer, send, take_route

BUILDER = f"/admin/consultations/{SLUG}/survey"
NEW = f"{BUILDER}/questions/new"
NEW_QUESTION = {
    "prompt": "How often do you bid for contracts?",
    "type": "single",
    "options": "Every month\nA few times a year\nNever",
}


def current_survey() -> dict:
    db.session.rollback()
    return survey_data(db.session.scalars(select(Consultation).filter_by(slug=SLUG)).one())


def keys() -> list[str]:
    return [q["key"] for p in current_survey()["pages"] for q in p["questions"]]


def the_form(response, path: str) -> BeautifulSoup:
    form = page(response).find("form", action=path)
    assert form is not None, f"no form sent to {path}"
    return form


def fill(client, path: str, changes: dict, **kwargs):
    """Open the page at `path` and send its form with `changes`, as a browser would."""
    shown = client.get(path)
    assert shown.status_code == 200
    return client.post(path, data=with_changes(sent_by(the_form(shown, path)), changes), **kwargs)


def confirm(client, shown, path: str):
    """Press the button on a page that asks to be sure."""
    return client.post(path, data=sent_by(the_form(shown, path)))


def audit() -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent.detail).filter_by(action="survey").order_by(AuditEvent.id)
        )
    )


def versions() -> list[int]:
    db.session.rollback()
    return list(db.session.scalars(select(SurveyVersion.number).order_by(SurveyVersion.number)))


def test_the_survey_page_shows_each_page_its_questions_and_the_routes_in_words(admin, survey):
    shown = page(admin.get(BUILDER))

    assert [text_of(h) for h in shown.select(".builder-page h2")] == [
        "Page 1 About you",
        "Page 2 Running services",
        "Page 3 Buying services",
        "Page 4 Your views",
    ]
    obstacles = text_of(shown.find(id="question-obstacles"))
    assert "What gets in the way?" in obstacles
    assert "Shown only to people who answer 'Yes' to 'Do you deliver public service" in obstacles
    assert [text_of(li) for li in shown.find(id="routes").find_next("ul").find_all("li")] == [
        "If you answer 'Community organisation' to 'Which best describes you?', you see"
        " pages 1, 2 and 4.",
        "If you answer 'Council officer' to 'Which best describes you?', you see pages 1, 3 and 4.",
        "Anyone else sees pages 1 and 4.",
    ]
    assert shown.find(id="problems") is None


def test_an_admin_adds_a_question_on_a_new_page_shown_only_to_some(admin, survey):
    sent = fill(
        admin,
        NEW,
        {
            **NEW_QUESTION,
            "page": "new",
            "new_page_title": "Bidding",
            "show_if-role": "Community organisation",
        },
    )

    assert sent.status_code == 303, text_of(page(sent))
    assert where(sent) == f"{BUILDER}#how_often_do_you_bid_for_contracts"
    last = current_survey()["pages"][-1]
    assert last == {
        "title": "Bidding",
        "questions": [
            {
                "key": "how_often_do_you_bid_for_contracts",
                "type": "single",
                "prompt": "How often do you bid for contracts?",
                "options": ["Every month", "A few times a year", "Never"],
                "show_if": {"role": ["Community organisation"]},
            }
        ],
    }
    [detail] = audit()
    assert detail.startswith("Added the question 'How often do you bid for contracts?'. Before:")
    assert '"key": "how_often_do_you_bid_for_contracts"' in detail
    routes = text_of(page(admin.get(BUILDER)).find(id="routes").find_next("ul"))
    assert "you see pages 1, 2, 4 and 5" in routes


def test_a_question_the_survey_cannot_take_is_refused_by_its_field_keeping_what_was_typed(
    admin, survey
):
    before = current_survey()
    sent = fill(admin, NEW, {**NEW_QUESTION, "options": "Only one", "page": "2"})

    assert sent.status_code == 422
    assert field_error(sent, "options") == "Enter at least 2 options, one on each line"
    assert summary_links(sent) == {"Enter at least 2 options, one on each line": "options"}
    kept = sent_by(the_form(sent, NEW))
    assert kept["prompt"] == NEW_QUESTION["prompt"]
    assert (kept["type"], kept["page"], kept["options"]) == ("single", "2", "Only one")
    assert current_survey() == before
    assert audit() == []


def test_a_condition_on_an_answer_the_question_does_not_offer_is_refused(admin, survey):
    sent = fill(admin, f"{BUILDER}/questions/story", {"show_if-role": "Nobody at all"})

    assert sent.status_code == 422
    assert field_error(sent, "show_if") == (
        "'Which best describes you?' does not offer the answer 'Nobody at all'."
    )
    assert "show_if" not in current_survey()["pages"][3]["questions"][1]


def test_a_wording_fix_to_an_answered_survey_applies_at_once_as_a_new_version(
    admin, client, clock, survey, app
):
    from tests.support.clients import new_browser

    respondent = new_browser(app)
    take_route(respondent, ORGANISATION_ROUTE)
    assert send(respondent, clock).status_code == 303

    sent = fill(admin, f"{BUILDER}/questions/role", {"prompt": "Which of these are you?"})

    assert sent.status_code == 303
    assert current_survey()["pages"][0]["questions"][0]["prompt"] == "Which of these are you?"
    assert versions() == [1, 2]


def test_a_structural_change_to_an_answered_survey_shows_what_it_touches_first(
    admin, clock, survey, app
):
    from tests.support.clients import new_browser

    for role in ("Community organisation", "Resident"):
        respondent = new_browser(app)
        route = {1: {"q_role": role}, 4: ORGANISATION_ROUTE[4]}
        if role == "Community organisation":
            route = ORGANISATION_ROUTE
        take_route(respondent, route)
        assert send(respondent, clock).status_code == 303
    in_progress = new_browser(app)
    answer(in_progress, 1, {"q_role": "Resident"})
    path = f"{BUILDER}/questions/role"

    asked = fill(admin, path, {"options": "Community organisation\nCouncil officer"})

    assert asked.status_code == 200
    said = text_of(page(asked).find("main"))
    assert "Removes the option 'Resident' from 'Which best describes you?'." in said
    assert "2 responses have been sent, and 1 survey is in progress." in said
    assert "'Resident' was chosen for 'Which best describes you?' in 1 response." in said
    assert versions() == [1]  # nothing changed yet

    made = confirm(admin, asked, path)

    assert made.status_code == 303
    assert current_survey()["pages"][0]["questions"][0]["options"] == [
        "Community organisation",
        "Council officer",
    ]
    assert versions() == [1, 2]
    assert len(audit()) == 1

    # Nobody has answered version 2 yet, but a second structural change still asks.
    asked_again = fill(admin, path, {"options": "Community organisation\nCouncil officer\nOther"})
    said = text_of(page(asked_again).find("main"))
    assert "Adds the option 'Other' to 'Which best describes you?'." in said
    assert "2 responses have been sent, and 1 survey is in progress." in said
    assert "No responses answered the survey as it is now; the others answered an earlier" in said


def test_deleting_a_question_others_depend_on_says_so_and_frees_them(admin, survey):
    path = f"{BUILDER}/questions/delivers_now/delete"
    asked = admin.get(path)
    said = text_of(page(asked).find("main"))
    assert "'What gets in the way?' is now shown to everyone who reaches page 2" in said

    deleted = confirm(admin, asked, path)

    assert deleted.status_code == 303
    assert "delivers_now" not in keys()
    obstacles = current_survey()["pages"][1]["questions"][0]
    assert obstacles["key"] == "obstacles" and "show_if" not in obstacles
    assert audit()[0].startswith("Deleted the question 'Do you deliver public service contracts")


def test_a_question_moves_up_and_down_its_page_by_buttons(admin, survey):
    shown = admin.get(BUILDER)
    move = f"{BUILDER}/questions/story/move"
    form = the_form(shown, move)

    moved = admin.post(move, data={**sent_by(form), "direction": "up"})

    assert moved.status_code == 303
    assert [q["key"] for q in current_survey()["pages"][3]["questions"]] == [
        "story",
        "confidence",
        "contact_email",
    ]


def test_a_move_that_would_break_the_routing_is_refused_in_words(admin, survey):
    shown = admin.get(BUILDER)
    move = f"{BUILDER}/pages/2/move"

    moved = admin.post(move, data={**sent_by(the_form(shown, move)), "direction": "up"})

    assert moved.status_code == 303
    after = page(admin.get(where(moved)))
    assert (
        "'Which best describes you?' decides who sees 'Do you deliver public service"
        " contracts today?', so it must come before it." in text_of(after.find(id="flashes"))
    )
    assert current_survey()["pages"][0]["title"] == "About you"


def test_a_page_is_renamed(admin, survey):
    renamed = fill(admin, f"{BUILDER}/pages/3", {"title": "Commissioning"})

    assert renamed.status_code == 303
    assert current_survey()["pages"][2]["title"] == "Commissioning"
    assert audit() == ['Renamed page 3. Before: "Buying services". After: "Commissioning".']


def test_a_change_worked_out_on_an_older_survey_is_refused(admin, survey):
    path = f"{BUILDER}/questions/story"
    shown = admin.get(path)
    assert fill(admin, f"{BUILDER}/pages/1", {"title": "Who you are"}).status_code == 303

    late = admin.post(path, data=with_changes(sent_by(the_form(shown, path)), {"hint": "Be brief"}))

    assert late.status_code == 303
    assert "Someone else changed the survey" in text_of(page(admin.get(where(late))))
    assert "hint" not in current_survey()["pages"][3]["questions"][1]


def test_officers_see_the_survey_but_cannot_change_it(officer, survey):
    shown = page(officer.get(BUILDER))
    assert shown.find(id="question-role") is not None
    assert shown.find("a", string="Add a question on a new page") is None
    assert officer.get(NEW).status_code == 403
    assert officer.get(f"{BUILDER}/questions/role/delete").status_code == 403


def test_staff_preview_a_published_survey_from_any_page_and_leave_the_preview(admin, survey, app):
    from tests.support.clients import new_browser

    shown = admin.get(BUILDER)
    path = f"{BUILDER}/preview"
    form = page(shown).find("button", string="Preview page 3").find_parent("form")

    opened = admin.post(path, data=sent_by(form))

    page_3 = f"/consultations/{SLUG}/survey/pages/3"
    assert where(opened) == page_3
    previewed = page(admin.get(page_3))
    assert "This is a preview." in text_of(previewed.find(class_="preview-banner"))
    assert text_of(previewed.find("legend")) == "Do you commission services?"
    # A respondent's browser is not previewing: page 3 is not on their route.
    assert new_browser(app).get(page_3).status_code == 303

    leave = previewed.find("form", class_=None, action=f"/preview/{SLUG}/leave")
    assert admin.post(leave["action"], data=sent_by(leave)).status_code == 303
    assert admin.get(page_3).status_code == 303


def test_with_htmx_the_question_form_says_what_saving_would_do_and_saves_nothing(admin, survey):
    path = f"{BUILDER}/questions/story"
    shown = admin.get(path)
    before = current_survey()
    data = with_changes(sent_by(the_form(shown, path)), {"show_if-role": "Council officer"})

    checked = admin.post(
        path, data={**data.to_dict(flat=False), "check": "yes"}, headers={"HX-Request": "true"}
    )

    assert checked.status_code == 200
    said = text_of(page(checked))
    assert said.startswith("If you save now Changes who sees 'Tell us about your experience'.")
    assert "Anyone else sees pages 1 and 4." in said
    refused = admin.post(
        path,
        data={
            **with_changes(data, {"options": "", "type": "single"}).to_dict(flat=False),
            "check": "yes",
        },
        headers={"HX-Request": "true"},
    )
    assert "It cannot be saved: Enter at least 2 options" in text_of(page(refused))
    assert current_survey() == before
    assert audit() == []


def survey_section(text: str) -> str:
    """The `survey:` part of a consultation file, up to the next top-level key."""
    after = text.split("\nsurvey:\n", 1)[1]
    return re.split(r"\n(?=[a-z_]+:)", after, maxsplit=1)[0]


def build_through_the_forms(admin, pages: list[dict]) -> None:
    """Make `pages` (the file's shape) with the builder's forms, as an admin would."""
    for number, built in enumerate(pages, start=1):
        for position, question in enumerate(built["questions"]):
            scale = question.get("scale", {})
            fields = {
                "prompt": question["prompt"],
                "hint": question.get("hint", ""),
                "type": question["type"],
                "required": "y" if question.get("required") else None,
                "options": "\n".join(question.get("options", [])),
                "allow_other": "y" if question.get("allow_other") else None,
                "lowest": str(question.get("min", "")),
                "highest": str(question.get("max", "")),
                "max_length": str(question.get("max_length", "")),
                "scale_min": scale.get("min", ""),
                "scale_max": scale.get("max", ""),
                "key": question["key"],
                "page": "new" if position == 0 else str(number),
                "new_page_title": built["title"] if position == 0 else "",
            }
            for key, answers in question.get("show_if", {}).items():
                fields[f"show_if-{key}"] = answers
            made = fill(admin, NEW, fields)
            assert made.status_code == 303, text_of(page(made).find(class_="error-summary"))


def test_a_survey_built_in_the_browser_is_the_survey_its_file_would_import(
    admin, make_consultation, make_survey, app, clock
):
    from app.consultations.files import file_text
    from tests.support.clients import new_browser
    from tests.support.factories import SURVEY_PAGES
    from tests.support.survey import SURVEY

    imported = file_text(make_survey())
    db.session.delete(db.session.scalars(select(Consultation)).one())
    db.session.commit()
    made = make_consultation(
        summary="Tell us how community services are run where you live.",
        body="",
        officer_phone="",
        evidence_settings=None,
    )
    assert made.questions == []

    build_through_the_forms(admin, SURVEY_PAGES)

    db.session.rollback()
    consultation = db.session.scalars(select(Consultation)).one()
    assert current_survey() == {"pages": SURVEY_PAGES}
    assert "show_if:" in survey_section(imported) and "confidence" in survey_section(imported)
    assert survey_section(file_text(consultation)) == survey_section(imported)
    # A council officer is routed as the imported survey routes them.
    respondent = new_browser(app)
    assert where(fill(respondent, f"{SURVEY}/pages/1", {"q_role": "Council officer"})).endswith(
        "/pages/3"
    )


def test_a_new_question_never_takes_the_column_of_one_taken_out_after_it_was_answered(
    admin, clock, survey, app
):
    from tests.support.clients import new_browser

    respondent = new_browser(app)
    take_route(respondent, ORGANISATION_ROUTE)
    assert send(respondent, clock).status_code == 303
    path = f"{BUILDER}/questions/postcode/delete"
    assert confirm(admin, admin.get(path), path).status_code == 303

    typed = fill(admin, NEW, {"prompt": "Postcode", "type": "text", "page": "1", "key": "postcode"})
    assert typed.status_code == 422
    assert field_error(typed, "key") == (
        "A question taken out of the survey used this column. Enter a different one"
    )
    asked = fill(admin, NEW, {"prompt": "Postcode", "type": "text", "page": "1"})
    added = confirm(admin, asked, NEW)

    assert added.status_code == 303
    assert [q["key"] for q in current_survey()["pages"][0]["questions"]] == ["role", "postcode_2"]
    # And the key of a question people have answered stays as it is.
    locked = page(admin.get(f"{BUILDER}/questions/role"))
    assert locked.find(attrs={"name": "key"}) is None
    assert "It cannot be changed now that people have answered the survey." in text_of(locked)
