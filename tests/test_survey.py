"""The survey over HTTP, as respondents and the officer meet it.

A respondent is a test client: it opens a page, reads the form's hidden fields (CSRF token,
`loaded` stamp, the draft's token) and sends the form, keeping its cookies like a browser.
The survey is tests/support/factories.py's SURVEY_PAGES: page 1 asks everyone; page 2 only
community organisations (`obstacles` follows `delivers_now` on the same page); page 3
only council officers; page 4 everyone. Time moves only when a test moves the clock.
"""

from __future__ import annotations

import copy
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from app.extensions import db
from app.models import DRAFT, SUBMITTED
from app.survey import services
from tests.support.actors import Admin
from tests.support.clients import new_browser
from tests.support.factories import (
    SLUG,
    SURVEY_PAGES,
    TITLE,
    csrf_token,
)
from tests.support.many_scripts import PARAGRAPH, longest_line
from tests.support.outbox import outbox
from tests.support.pages import (
    field_error,
    h1_text,
    hidden_fields,
    kept_on_closed_page,
    page,
    summary_links,
    text_of,
    value_of,
    where,
)
from tests.support.survey import (
    CHECK,
    CONFIRMATION,
    COUNCIL,
    DETAILS,
    DETAILS_URL,
    OFFICER_ROUTE,
    ORGANISATION,
    ORGANISATION_ROUTE,
    RESIDENT,
    RESPONDENT,
    STORY,
    SURVEY,
    answer,
    emailed_link,
    give_details,
    open_link,
    open_step,
    page_url,
    post_form,
    responses,
    save_and_email_link,
    save_on_page_2,
    send,
    send_form,
    take_route,
    the_response,
)

OFFICER = "officer@example.org"
REFERENCE = re.compile(r"SV-[23456789ABCDEFGHJKMNPQRSTWXYZ]{6}")

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"

# The prompts as respondents read them.
ROLE = "Which best describes you?"
POSTCODE = "What is your postcode?"
DELIVERS = "Do you deliver public service contracts today?"
OBSTACLES = "What gets in the way?"
COMMISSIONS = "Do you commission services?"
BUDGET = "Roughly how many contracts do you manage?"
CONFIDENCE = "How far do you agree that services are bought well?"
STORY_PROMPT = "Tell us about your experience"
FOLLOW_UP_EMAIL = "Email for follow-up questions"


# --- helpers ---------------------------------------------------------------------------------


def caption(response) -> str:
    return text_of(page(response).find(class_="caption"))


def checked(response, name: str) -> list[str]:
    """The values ticked for a radio or checkbox question."""
    soup = page(response)
    return [box["value"] for box in soup.find_all("input", attrs={"name": name, "checked": True})]


def check_rows(response) -> dict[str, str]:
    """The answers on the check page: prompt -> answer."""
    soup = page(response)
    first_list = soup.find("dl", class_="summary-list")
    return {
        text_of(row.find("dt")): text_of(row.find("dd", class_="answer"))
        for row in first_list.find_all("div", recursive=False)
    }


def deliver(runner) -> str:
    """Run `flask outbox send` once, as the worker would."""
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def lines_of(received) -> str:
    """An email's text part with plain newlines."""
    return received.text.replace("\r\n", "\n")


# --- a whole journey -------------------------------------------------------------------------


def test_a_council_officer_is_routed_through_pages_1_3_and_4_and_sends_the_response(
    client, clock, survey
):
    start = client.get(SURVEY)
    assert start.status_code == 200
    assert h1_text(start) == "Answer the survey"
    assert page(start).find("a", string="Start now")["href"] == page_url(1)

    first = open_step(client, page_url(1))
    assert h1_text(first) == "About you"
    assert caption(first).startswith("Page 1 of 3 ")  # pages 1 and 4, then the details
    assert answer(client, 1, OFFICER_ROUTE[1]) == page_url(3)  # page 2 is skipped

    third = open_step(client, page_url(3))
    assert h1_text(third) == "Buying services"
    assert caption(third).startswith("Page 2 of 4 ")
    assert page(third).find(class_="back-link")["href"] == page_url(1)
    assert answer(client, 3, OFFICER_ROUTE[3]) == page_url(4)

    fourth = open_step(client, page_url(4))
    assert h1_text(fourth) == "Your views"
    assert caption(fourth).startswith("Page 3 of 4 ")
    assert page(fourth).find(class_="back-link")["href"] == page_url(3)
    assert answer(client, 4, OFFICER_ROUTE[4]) == DETAILS_URL

    details = open_step(client, DETAILS_URL)
    assert caption(details).startswith("Page 4 of 4 ")
    assert give_details(client) == CHECK

    check = open_step(client, CHECK)
    assert h1_text(check) == "Check your answers before sending them"
    assert check_rows(check) == {
        ROLE: COUNCIL,
        POSTCODE: "AB1 2CD",
        COMMISSIONS: "Yes",
        BUDGET: "12",
        CONFIDENCE: "2",
        STORY_PROMPT: STORY,
        FOLLOW_UP_EMAIL: "ada.work@example.org",
    }
    sent = send(client, clock)
    assert sent.status_code == 303
    assert where(sent) == CONFIRMATION

    confirmation = client.get(CONFIRMATION)
    assert confirmation.status_code == 200
    assert h1_text(confirmation) == "Response sent"
    reference = text_of(page(confirmation).find(class_="reference"))
    assert REFERENCE.fullmatch(reference)
    assert f"We have sent a receipt with a copy of your answers to {RESPONDENT}" in text_of(
        page(confirmation)
    )

    response = the_response()
    assert response.status == SUBMITTED
    assert response.reference == reference
    assert response.late is False
    assert response.answers == {
        "role": COUNCIL,
        "postcode": "AB1 2CD",
        "commissions": "yes",
        "budget": 12,
        "confidence": "2",
        "story": STORY,
        "contact_email": "ada.work@example.org",
    }
    assert response.pages_done == [1, 3, 4]
    assert (response.respond_as, response.name, response.email) == (
        "individual",
        "Ada Jones",
        RESPONDENT,
    )
    assert (response.publish, response.consent) == ("anonymous", True)
    assert response.submitted_at == clock.now

    [alert] = outbox("alert")
    [receipt] = outbox("receipt")
    assert OFFICER in alert.to_addr
    assert RESPONDENT in receipt.to_addr
    assert reference in alert.subject and reference in receipt.subject
    assert len(outbox()) == 2


def test_without_an_email_address_only_the_officer_is_alerted(client, clock, survey):
    take_route(client, OFFICER_ROUTE, {**DETAILS, "email": ""})
    send(client, clock)

    confirmation = client.get(CONFIRMATION)
    assert "we will not send you a receipt" in text_of(page(confirmation))
    assert [email.kind for email in outbox()] == ["alert"]


def test_the_officers_alert_and_the_receipt_arrive_with_the_reference_and_the_answers(
    client, clock, survey, smtp_server, runner
):
    take_route(client, OFFICER_ROUTE)
    send(client, clock)
    reference = the_response().reference
    assert smtp_server.received == []  # the request only queued them

    assert "sent 2, failed 0" in deliver(runner)

    [alert] = smtp_server.to(OFFICER)
    [receipt] = smtp_server.to(RESPONDENT)
    assert alert.message["Subject"] == f"Survey response {reference} from Ada Jones: {TITLE}"
    assert reference in receipt.message["Subject"]
    for message in (lines_of(alert), lines_of(receipt)):
        assert reference in message
        for prompt, text in [
            (ROLE, COUNCIL),
            (COMMISSIONS, "Yes"),
            (BUDGET, "12"),
            (STORY_PROMPT, STORY),
            (FOLLOW_UP_EMAIL, "ada.work@example.org"),
        ]:
            assert f"{prompt}\n{text}\n" in message
        assert DELIVERS not in message  # not on a council officer's route
        assert OBSTACLES not in message
    assert "Responding as: As an individual" in alert.text
    assert "after the deadline" not in alert.text
    assert "Dear Ada Jones" in receipt.text
    assert re.search(r"/admin/responses/\d+", alert.text)


def test_a_long_answer_in_any_script_reaches_a_strict_mail_server_intact(
    client, clock, make_survey, smtp_server, runner
):
    pages = copy.deepcopy(SURVEY_PAGES)
    [story] = [q for page in pages for q in page["questions"] if q["key"] == "story"]
    story["max_length"] = 20_000
    make_survey(survey={"pages": pages})
    long_story = (PARAGRAPH * 400)[:20_000].strip()  # one paragraph, four scripts, emoji
    take_route(client, {**OFFICER_ROUTE, 4: {**OFFICER_ROUTE[4], "q_story": long_story}})
    send(client, clock)

    # The suite's server refuses lines over 998 octets, as strict servers do.
    assert "sent 2, failed 0" in deliver(runner)
    for message in (*smtp_server.to(OFFICER), *smtp_server.to(RESPONDENT)):
        assert longest_line(message.raw) <= 998
        assert f"{STORY_PROMPT}\n{long_story}\n" in lines_of(message)
        assert long_story in " ".join(BeautifulSoup(message.html, "html.parser").get_text().split())


# --- routing: answers the route excludes are never stored ------------------------------------


def test_page_2_shows_the_follow_up_with_a_note_saying_when_to_answer_it(client, survey):
    assert answer(client, 1, ORGANISATION_ROUTE[1]) == page_url(2)

    second = open_step(client, page_url(2))

    assert h1_text(second) == "Running services"
    assert caption(second).startswith("Page 2 of 4 ")
    follow_up = page(second).find(id="q_obstacles-hint")
    assert text_of(follow_up) == "Answer this if you chose ‘Yes’ above."


def test_a_community_organisations_follow_up_is_kept_when_they_deliver_services(
    client, clock, survey
):
    take_route(client, ORGANISATION_ROUTE)

    assert the_response().answers == {
        "role": ORGANISATION,
        "postcode": "ZZ9 9ZZ",
        "delivers_now": "yes",
        "obstacles": ["Paperwork", "Other: Insurance"],
        "confidence": "4",
        "story": STORY,
    }
    assert check_rows(open_step(client, CHECK))[OBSTACLES] == "Paperwork; Other: Insurance"


def test_an_obstacles_answer_is_not_stored_when_they_do_not_deliver_services(client, survey):
    answer(client, 1, ORGANISATION_ROUTE[1])

    leads_to = answer(
        client,
        2,
        {"q_delivers_now": "no", "q_obstacles": ["Paperwork"], "other_obstacles": "Insurance"},
    )

    assert leads_to == page_url(4)
    assert the_response().answers == {
        "role": ORGANISATION,
        "postcode": "ZZ9 9ZZ",
        "delivers_now": "no",
    }


@pytest.mark.parametrize(
    ("earlier", "number", "data"),
    [
        ({}, 1, {"q_role": ORGANISATION}),
        ({1: {"q_role": ORGANISATION}}, 2, {"q_delivers_now": "no"}),
    ],
    ids=["on-page-1", "on-page-2"],
)
def test_a_page_3_answer_posted_on_another_page_is_never_stored(
    client, survey, earlier, number, data
):
    for earlier_number, earlier_data in earlier.items():
        answer(client, earlier_number, earlier_data)

    answer(client, number, {**data, "q_commissions": "yes", "q_budget": "7"})

    stored = the_response().answers
    assert "commissions" not in stored
    assert "budget" not in stored


def test_a_page_3_answer_is_not_stored_even_for_a_council_officer_posting_it_on_page_1(
    client, survey
):
    answer(client, 1, {"q_role": COUNCIL, "q_commissions": "yes"})

    assert the_response().answers == {"role": COUNCIL}
    third = open_step(client, page_url(3))
    assert checked(third, "q_commissions") == []


def test_a_page_off_the_route_sends_the_respondent_where_they_are(client, survey):
    answer(client, 1, {"q_role": RESIDENT})

    skipped = client.get(page_url(2))

    assert skipped.status_code == 303
    assert where(skipped) == page_url(4)
    token = csrf_token(client, page_url(4))
    posted = client.post(page_url(3), data={"q_commissions": "yes", "csrf_token": token})
    assert posted.status_code == 303
    assert "commissions" not in the_response().answers


def test_going_back_and_changing_role_drops_the_answers_that_no_longer_apply(client, survey):
    take_route(client, ORGANISATION_ROUTE)

    # From page 4, Back twice: page 2, then page 1.
    fourth = open_step(client, page_url(4))
    back = page(fourth).find(class_="back-link")["href"]
    assert back == page_url(2)
    second = open_step(client, back)
    assert checked(second, "q_delivers_now") == ["yes"]  # answers are there on the way back
    back = page(second).find(class_="back-link")["href"]
    assert back == page_url(1)
    first = open_step(client, back)
    assert checked(first, "q_role") == [ORGANISATION]

    leads_to = send_form(client, first, {"q_role": COUNCIL, "q_postcode": "ZZ9 9ZZ"})

    assert where(leads_to) == page_url(3)  # the new route's page they have not seen
    stored = the_response()
    assert "delivers_now" not in stored.answers
    assert "obstacles" not in stored.answers
    assert stored.answers["story"] == STORY  # page 4 still applies
    assert answer(client, 3, OFFICER_ROUTE[3]) == page_url(4)
    assert answer(client, 4, {"q_confidence": "4", "q_story": STORY}) == CHECK

    check = open_step(client, CHECK)
    assert list(check_rows(check)) == [
        ROLE,
        POSTCODE,
        COMMISSIONS,
        BUDGET,
        CONFIDENCE,
        STORY_PROMPT,
        FOLLOW_UP_EMAIL,
    ]
    assert check_rows(check)[FOLLOW_UP_EMAIL] == "Not answered"


def test_the_check_page_offers_a_change_link_for_each_answer_that_comes_back_to_check(
    client, survey
):
    take_route(client, OFFICER_ROUTE)
    check = open_step(client, CHECK)
    change = {
        text_of(row.find("dt")): row.find("dd", class_="change").a["href"]
        for row in page(check).find("dl", class_="summary-list").find_all("div", recursive=False)
    }
    assert change[BUDGET] == page_url(3, **{"return": "check"})

    changed = post_form(client, change[BUDGET], {"q_commissions": "yes", "q_budget": "40"})

    assert where(changed) == CHECK
    assert check_rows(open_step(client, CHECK))[BUDGET] == "40"


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "data", "field_id", "message", "kept"),
    [
        pytest.param(
            1,
            {"q_postcode": "AB1 2CD"},
            "q_role-1",
            "Select one option",
            {"q_postcode": "AB1 2CD"},
            id="required-choice-missing",
        ),
        pytest.param(
            1,
            {"q_role": "Mayor", "q_postcode": "AB1 2CD"},
            "q_role-1",
            "Select one of the options shown",
            {"q_postcode": "AB1 2CD"},
            id="choice-not-offered",
        ),
        pytest.param(
            3,
            {"q_commissions": "yes", "q_budget": "5000"},
            "q_budget",
            "Enter a number from 0 to 1000",
            {"q_budget": "5000"},
            id="number-out-of-range",
        ),
        pytest.param(
            3,
            {"q_commissions": "yes", "q_budget": "-1"},
            "q_budget",
            "Enter a number from 0 to 1000",
            {"q_budget": "-1"},
            id="number-below-range",
        ),
        pytest.param(
            3,
            {"q_commissions": "yes", "q_budget": "lots"},
            "q_budget",
            "Enter a number, like 12 or 3.5",
            {"q_budget": "lots"},
            id="not-a-number",
        ),
        pytest.param(
            3,
            {"q_budget": "12"},
            "q_commissions-1",
            "Select yes or no",
            {"q_budget": "12"},
            id="required-yes-no-missing",
        ),
        pytest.param(
            4,
            {"q_confidence": "3", "q_story": STORY, "q_contact_email": "ada@"},
            "q_contact_email",
            EMAIL_FORMAT,
            {"q_story": STORY, "q_contact_email": "ada@"},
            id="email-malformed",
        ),
        pytest.param(
            4,
            {"q_confidence": "3", "q_story": "x" * 301},
            "q_story",
            "Answer must be 300 characters or fewer",
            {"q_story": "x" * 301},
            id="longtext-over-its-limit",
        ),
        pytest.param(
            4,
            {"q_confidence": "9", "q_story": STORY},
            "q_confidence-1",
            "Select one of the options shown",
            {"q_story": STORY},
            id="scale-out-of-range",
        ),
        pytest.param(
            4,
            {"q_story": STORY},
            "q_confidence-1",
            "Select a number from 1 to 5",
            {"q_story": STORY},
            id="required-scale-missing",
        ),
    ],
)
def test_an_invalid_answer_is_refused_by_the_field_and_the_other_answers_stay(
    client, survey, number, data, field_id, message, kept
):
    if number != 1:
        answer(client, 1, {"q_role": COUNCIL})
    before = [r.answers for r in responses()]

    refused = post_form(client, page_url(number), data)

    assert refused.status_code == 422
    soup = page(refused)
    assert soup.title.get_text().startswith("Error: ")
    assert summary_links(refused) == {message: field_id}
    assert soup.find(id=field_id) is not None  # the link lands on the field
    assert field_error(refused, field_id.removesuffix("-1")) == message
    for name, value in kept.items():
        assert value_of(refused, name) == value
    assert [r.answers for r in responses()] == before  # nothing changed


def test_a_refused_page_keeps_the_choices_ticked(client, survey):
    answer(client, 1, {"q_role": COUNCIL})

    refused = post_form(client, page_url(3), {"q_commissions": "no", "q_budget": "lots"})

    assert refused.status_code == 422
    assert checked(refused, "q_commissions") == ["no"]


def test_other_ticked_without_saying_what_is_refused(client, survey):
    answer(client, 1, {"q_role": ORGANISATION})

    refused = post_form(
        client, page_url(2), {"q_delivers_now": "yes", "q_obstacles": ["Paperwork", "__other__"]}
    )

    assert refused.status_code == 422
    assert summary_links(refused) == {"Enter your other answer": "other_obstacles"}
    assert field_error(refused, "other_obstacles") == "Enter your other answer"
    assert checked(refused, "q_obstacles") == ["Paperwork", "__other__"]
    assert checked(refused, "q_delivers_now") == ["yes"]
    assert "delivers_now" not in the_response().answers


def test_a_refused_page_as_htmx_has_an_error_title(client, survey):
    refused = post_form(client, page_url(1), {}, headers={"HX-Request": "true"})

    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: About you")


def test_the_story_box_says_its_limit(client, survey):
    answer(client, 1, {"q_role": RESIDENT})

    fourth = open_step(client, page_url(4))

    box = page(fourth).find("textarea", attrs={"name": "q_story"})
    assert box["data-maxlength"] == "300"
    assert "up to 300 characters" in text_of(page(fourth).find(id="q_story-count"))


@pytest.mark.parametrize(
    ("change", "field_id", "message"),
    [
        pytest.param(
            {"respond_as": "organisation", "organisation": ""},
            "organisation",
            "Enter the name of your organisation",
            id="organisation-required-for-an-organisation",
        ),
        pytest.param(
            {"publish": "named", "name": ""},
            "name",
            "Enter your name, or choose to publish your response anonymously",
            id="name-required-to-publish-with-a-name",
        ),
        pytest.param(
            {"consent": None},
            "consent",
            "Confirm that you agree to us keeping your response",
            id="consent-required",
        ),
        pytest.param(
            {"respond_as": None},
            "respond_as-1",
            "Select whether you are responding as an individual or for an organisation",
            id="respond-as-required",
        ),
        pytest.param(
            {"publish": None},
            "publish-1",
            "Select whether we may publish your response",
            id="publish-required",
        ),
        pytest.param({"email": "ada@@example"}, "email", EMAIL_FORMAT, id="email-malformed"),
    ],
)
def test_the_details_page_checks_who_is_responding_and_their_consent(
    client, survey, change, field_id, message
):
    take_route(client, {1: {"q_role": RESIDENT}, 4: {"q_confidence": "3"}}, DETAILS)
    before = the_response()
    typed = {**DETAILS, "name": "Typed Name", "email": "typed@example.org", **change}

    refused = post_form(client, DETAILS_URL, typed)

    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: About you and your response")
    assert summary_links(refused) == {message: field_id}
    assert field_error(refused, field_id.removesuffix("-1")) == message
    for name in ("name", "email", "organisation"):
        if typed.get(name) is not None:
            assert value_of(refused, name) == typed[name]
    after = the_response()
    assert (after.name, after.email) == (before.name, before.email)


def test_an_organisations_name_is_kept_only_when_responding_for_one(client, survey):
    take_route(
        client,
        {1: {"q_role": RESIDENT}, 4: {"q_confidence": "3"}},
        {**DETAILS, "respond_as": "individual", "organisation": "Riverside Trust"},
    )
    assert the_response().organisation == ""

    give_details(
        client, {**DETAILS, "respond_as": "organisation", "organisation": "Riverside Trust"}
    )

    assert the_response().organisation == "Riverside Trust"
    assert "Riverside Trust" in text_of(page(open_step(client, CHECK)))


# --- double submits --------------------------------------------------------------------------


def test_sending_the_same_form_twice_makes_one_response(client, clock, survey):
    take_route(client, OFFICER_ROUTE)
    shown = open_step(client, CHECK)
    clock.advance(seconds=5)

    first = send_form(client, shown, {})
    second = send_form(client, shown, {})  # a double tap, or a refresh of the post

    assert (first.status_code, second.status_code) == (303, 303)
    assert where(second) == CONFIRMATION
    [response] = responses()
    assert response.status == SUBMITTED
    assert len(outbox("alert")) == 1
    assert len(outbox("receipt")) == 1
    confirmation = client.get(CONFIRMATION)
    assert text_of(page(confirmation).find(class_="reference")) == response.reference


def test_back_to_the_check_page_after_sending_and_sending_again_makes_one_response(
    client, clock, survey
):
    take_route(client, OFFICER_ROUTE)
    shown = open_step(client, CHECK)
    clock.advance(seconds=5)
    send_form(client, shown, {})
    reference = the_response().reference

    back = client.get(CHECK)  # Back reloads the page: the draft is no longer this device's
    assert back.status_code == 303
    again = send_form(client, shown, {})  # the page the browser kept, sent again

    assert where(again) == CONFIRMATION
    assert [(r.status, r.reference) for r in responses()] == [(SUBMITTED, reference)]
    assert len(outbox("alert")) == 1
    assert len(outbox("receipt")) == 1


def test_the_same_token_sent_from_another_browser_makes_no_second_response(
    app, client, clock, survey
):
    take_route(client, OFFICER_ROUTE)
    shown = open_step(client, CHECK)
    token = hidden_fields(shown)["token"]
    clock.advance(seconds=5)
    send_form(client, shown, {})
    reference = the_response().reference

    other = new_browser(app)
    other_token = csrf_token(other, SURVEY + "/pages/1")
    copied = other.post(
        CHECK, data={**hidden_fields(shown), "csrf_token": other_token, "token": token}
    )

    assert copied.status_code == 303
    assert where(copied) == CONFIRMATION
    assert [(r.status, r.reference) for r in responses()] == [(SUBMITTED, reference)]
    assert len(outbox("alert")) == 1
    assert len(outbox("receipt")) == 1


def test_an_unknown_token_sends_nothing(client, clock, survey):
    take_route(client, OFFICER_ROUTE)
    shown = open_step(client, CHECK)
    clock.advance(seconds=5)

    forged = send_form(client, shown, {"token": "not-a-real-token"})

    assert forged.status_code == 303
    assert where(forged) == SURVEY
    assert the_response().status == DRAFT
    assert outbox() == []


# --- the deadline and its grace --------------------------------------------------------------


@pytest.fixture
def closing_soon(make_survey, clock):
    """The survey closes an hour from now, with the default 30 minutes' grace."""
    return make_survey(closes_at=clock.now + timedelta(hours=1))


def test_a_response_started_before_the_deadline_is_taken_late_within_the_grace(
    client, clock, closing_soon
):
    deadline = closing_soon.closes_at
    take_route(client, OFFICER_ROUTE)
    clock.set(deadline + timedelta(minutes=20))

    check = open_step(client, CHECK)
    notice = text_of(page(check).find(class_="notice-warning"))
    assert "The deadline has passed" in notice
    sent = send_form(client, check, {})

    assert where(sent) == CONFIRMATION
    response = the_response()
    assert (response.status, response.late) == (SUBMITTED, True)
    confirmation = text_of(page(client.get(CONFIRMATION)))
    assert "Your response arrived after the deadline" in confirmation
    [alert] = outbox("alert")
    assert "This arrived after the deadline, within the grace period" in alert.body_text


@pytest.mark.parametrize(
    ("after_deadline", "status"),
    [(timedelta(minutes=29, seconds=59), 303), (timedelta(minutes=30), 410)],
    ids=["last-second-of-the-grace", "grace-over"],
)
def test_the_grace_runs_for_exactly_30_minutes_by_default(
    client, clock, closing_soon, after_deadline, status
):
    take_route(client, OFFICER_ROUTE)
    check = open_step(client, CHECK)
    clock.set(closing_soon.closes_at + after_deadline)

    sent = send_form(client, check, {})

    assert sent.status_code == status
    assert the_response().status == (SUBMITTED if status == 303 else DRAFT)


def test_a_page_loaded_before_the_deadline_can_start_a_draft_within_the_grace(
    client, clock, closing_soon
):
    first = open_step(client, page_url(1))
    clock.set(closing_soon.closes_at + timedelta(minutes=10))

    accepted = send_form(client, first, OFFICER_ROUTE[1])

    assert accepted.status_code == 303
    assert the_response().answers["role"] == COUNCIL


def test_the_grace_is_set_per_consultation(client, clock, make_survey):
    consultation = make_survey(closes_at=clock.now + timedelta(hours=1), grace_minutes=5)
    take_route(client, OFFICER_ROUTE)
    check = open_step(client, CHECK)
    clock.set(consultation.closes_at + timedelta(minutes=6))

    refused = send_form(client, check, {})

    assert refused.status_code == 410
    assert the_response().status == DRAFT


def test_after_the_grace_sending_shows_the_closed_page_with_what_they_wrote(
    client, clock, closing_soon
):
    take_route(client, OFFICER_ROUTE)
    check = open_step(client, CHECK)
    clock.set(closing_soon.closes_at + timedelta(minutes=30))  # the grace has just run out

    refused = send_form(client, check, {})

    assert refused.status_code == 410
    assert h1_text(refused) == "The deadline for responses has passed"
    kept = kept_on_closed_page(refused)
    assert kept[ROLE] == COUNCIL
    assert kept[STORY_PROMPT] == STORY
    assert "What you wrote was not sent" in text_of(page(refused))
    assert the_response().status == DRAFT
    assert outbox() == []


def test_after_the_grace_a_page_being_sent_shows_what_was_typed_on_it(client, clock, closing_soon):
    answer(client, 1, OFFICER_ROUTE[1])
    answer(client, 3, OFFICER_ROUTE[3])
    fourth = open_step(client, page_url(4))
    clock.set(closing_soon.closes_at + timedelta(hours=2))

    typed = "A story typed while the deadline passed."
    refused = send_form(client, fourth, {"q_confidence": "5", "q_story": typed})

    assert refused.status_code == 410
    kept = kept_on_closed_page(refused)
    assert kept[STORY_PROMPT] == typed
    assert kept[ROLE] == COUNCIL  # and what earlier pages saved
    assert "story" not in the_response().answers


def test_after_the_grace_reopening_the_check_page_still_shows_what_they_wrote(
    client, clock, closing_soon
):
    take_route(client, OFFICER_ROUTE)
    clock.set(closing_soon.closes_at + timedelta(hours=1))

    reopened = client.get(CHECK)

    assert reopened.status_code == 410
    assert kept_on_closed_page(reopened).get(STORY_PROMPT) == STORY


@pytest.mark.parametrize("minutes", [-60, 5], ids=["before-the-deadline", "within-the-grace"])
def test_a_close_forced_by_an_admin_refuses_at_once_with_no_grace(
    app, client, clock, closing_soon, admin_user, minutes
):
    take_route(client, OFFICER_ROUTE)
    check = open_step(client, CHECK)
    clock.set(closing_soon.closes_at + timedelta(minutes=minutes))
    Admin.signs_in(app).closes(SLUG)

    refused = send_form(client, check, {})

    assert refused.status_code == 410
    expected = (
        "This consultation is closed" if minutes < 0 else "The deadline for responses has passed"
    )
    assert h1_text(refused) == expected
    assert kept_on_closed_page(refused)[STORY_PROMPT] == STORY
    assert the_response().status == DRAFT
    assert outbox("alert") == []


def test_a_new_visitor_after_the_deadline_is_told_it_has_closed(client, clock, closing_soon):
    clock.set(closing_soon.closes_at + timedelta(minutes=1))  # within the grace, but new

    start = client.get(SURVEY)
    first = client.get(page_url(1))

    assert start.status_code == 410
    assert h1_text(start) == "The deadline for responses has passed"
    assert first.status_code == 410
    assert responses() == []


def test_a_post_without_a_stamp_after_the_deadline_is_refused(client, clock, closing_soon):
    first = open_step(client, page_url(1))
    clock.set(closing_soon.closes_at + timedelta(minutes=1))

    refused = send_form(client, first, {**OFFICER_ROUTE[1], "loaded": None})

    assert refused.status_code == 410
    assert responses() == []


# --- guards against bots ---------------------------------------------------------------------


@pytest.fixture
def bot_log(caplog):
    """The warnings the bot guards log, as a function returning their messages."""

    def messages() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.levelno == logging.WARNING and "looks automated" in record.getMessage()
        ]

    return messages


def assert_neutral(response) -> None:
    assert response.status_code == 200
    assert h1_text(response) == "Thank you"
    assert "We have received what you sent." in text_of(page(response))
    assert page(response).find(class_="error-summary") is None


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ({"website": "http://cheap-pills.example"}, "honeypot filled in"),
        ({"loaded": None}, "form stamp missing or altered"),
        ({"loaded": "MjAyNy0wMi0wMVQxMjowMDowMCswMDowMA.forged"}, "form stamp missing or altered"),
    ],
    ids=["honeypot", "stamp-missing", "stamp-altered"],
)
def test_a_bot_sending_a_page_gets_a_neutral_answer_and_nothing_is_stored(
    client, survey, bot_log, tamper, reason
):

    response = post_form(client, page_url(1), {**OFFICER_ROUTE[1], **tamper})

    assert_neutral(response)
    assert responses() == []
    assert outbox() == []
    [logged] = bot_log()
    assert reason in logged
    assert f"{SURVEY}/pages/1" in logged


@pytest.mark.parametrize(
    "tamper",
    [{"website": "spam"}, {"loaded": None}, {"loaded": "forged"}],
    ids=["honeypot", "stamp-missing", "stamp-altered"],
)
def test_a_bot_sending_the_check_page_gets_a_neutral_answer_and_nothing_is_sent(
    client, clock, survey, bot_log, tamper
):
    take_route(client, OFFICER_ROUTE)
    shown = open_step(client, CHECK)
    clock.advance(seconds=30)

    response = send_form(client, shown, tamper)

    assert_neutral(response)
    assert the_response().status == DRAFT
    assert outbox() == []
    assert len(bot_log()) == 1


@pytest.mark.parametrize(
    ("path", "data"),
    [(DETAILS_URL, DETAILS), (f"{SURVEY}/save", {"email": RESPONDENT})],
    ids=["details", "save"],
)
def test_a_filled_honeypot_on_details_or_save_is_neutral_and_changes_nothing(
    client, survey, bot_log, path, data
):
    answer(client, 1, {"q_role": RESIDENT})
    answer(client, 4, {"q_confidence": "3"})

    response = post_form(client, path, {**data, "website": "spam"})

    assert_neutral(response)
    stored = the_response()
    assert (stored.email, stored.consent) == ("", False)
    assert outbox() == []
    assert len(bot_log()) == 1


def test_sending_sooner_than_a_person_could_is_neutral_and_leaves_a_draft(
    client, clock, survey, bot_log
):
    take_route(client, OFFICER_ROUTE)  # all in the same instant the draft started

    response = send(client, clock, seconds=2)  # SUBMIT_MIN_SECONDS is 3

    assert_neutral(response)
    assert the_response().status == DRAFT
    assert outbox() == []
    [logged] = bot_log()
    assert "sent too soon" in logged


@pytest.fixture
def submit_limit(app_config):
    """Sending is limited to two a minute per address."""
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_SUBMIT"] = "2 per minute"


def test_sending_is_rate_limited_per_address(submit_limit, app, client, clock, survey):
    browsers = [client, new_browser(app), new_browser(app)]
    shown = []
    for browser in browsers:
        take_route(browser, OFFICER_ROUTE)
        shown.append(open_step(browser, CHECK))
    clock.advance(seconds=5)

    statuses = [send_form(b, s, {}).status_code for b, s in zip(browsers, shown, strict=True)]

    assert statuses == [303, 303, 429]
    assert sorted(r.status for r in responses()) == [DRAFT, SUBMITTED, SUBMITTED]
    assert len(outbox("alert")) == 2
    assert browsers[2].get(CHECK).status_code == 200  # only sending is limited


# --- save and come back ----------------------------------------------------------------------


def test_save_and_come_back_later_emails_a_link(client, survey):
    assert save_on_page_2(client) == f"{SURVEY}/save"
    save = open_step(client, f"{SURVEY}/save")
    assert h1_text(save) == "Your answers are saved"

    sent = send_form(client, save, {"email": RESPONDENT})

    assert where(sent) == f"{SURVEY}/saved"
    saved = client.get(f"{SURVEY}/saved")
    assert h1_text(saved) == "Check your email"
    assert f"We have sent a link to {RESPONDENT}" in text_of(page(saved))
    [email] = outbox("resume")
    assert email.to_addr == RESPONDENT
    assert the_response().answers["obstacles"] == ["Paperwork", "Other: Insurance"]
    assert the_response().status == DRAFT


def test_save_asks_for_a_valid_email_address(client, survey):
    save_on_page_2(client)

    refused = post_form(client, f"{SURVEY}/save", {"email": "not an email"})

    assert refused.status_code == 422
    assert summary_links(refused) == {EMAIL_FORMAT: "email"}
    assert value_of(refused, "email") == "not an email"
    assert outbox() == []


def test_the_emailed_link_resumes_the_draft_on_another_device(
    app, client, survey, smtp_server, runner
):
    save_on_page_2(client)
    post_form(client, f"{SURVEY}/save", {"email": RESPONDENT})
    deliver(runner)
    [email] = smtp_server.to(RESPONDENT)
    assert TITLE in email.message["Subject"]
    link = re.search(r"https?://\S+/resume/\S+", email.text).group(0)

    phone = new_browser(app)
    asked = phone.get(urlsplit(link).path)
    assert h1_text(asked) == "Continue the survey you saved?"
    opened = open_link(phone, urlsplit(link).path)

    assert opened.status_code == 303
    assert where(opened) == page_url(4)  # pages 1 and 2 are done
    fourth = open_step(phone, page_url(4))
    second = open_step(phone, page(fourth).find(class_="back-link")["href"])
    assert checked(second, "q_delivers_now") == ["yes"]
    assert checked(second, "q_obstacles") == ["Paperwork", "__other__"]
    assert value_of(second, "other_obstacles") == "Insurance"
    first = open_step(phone, page_url(1))
    assert checked(first, "q_role") == [ORGANISATION]
    assert value_of(first, "q_postcode") == "ZZ9 9ZZ"


def test_a_draft_resumed_on_another_device_can_be_finished_and_sent_there(
    app, client, clock, survey
):
    link = save_and_email_link(client)

    phone = new_browser(app)
    open_link(phone, link)
    answer(phone, 4, ORGANISATION_ROUTE[4])
    give_details(phone)
    sent = send(phone, clock)

    assert where(sent) == CONFIRMATION
    [response] = responses()
    assert response.status == SUBMITTED
    assert response.answers["delivers_now"] == "yes"


def test_a_bogus_resume_link_does_not_work(client, survey):
    response = client.get(f"{SURVEY}/resume/not-a-real-token")

    assert response.status_code == 404
    assert h1_text(response) == "This link has been used or has expired"
    assert "we will email you a new link" in text_of(page(response))


def test_the_resume_link_stops_working_once_the_consultation_has_closed(
    app, client, clock, closing_soon
):
    link = save_and_email_link(client)
    clock.set(closing_soon.closes_at + timedelta(minutes=31))

    opened = new_browser(app).get(link)

    assert opened.status_code == 410
    assert h1_text(opened) == "The deadline for responses has passed"
    assert "Insurance" not in opened.get_data(as_text=True)  # the closed page lists no answers


def test_the_resume_link_of_a_sent_response_no_longer_works(app, client, clock, survey):
    take_route(client, OFFICER_ROUTE)
    post_form(client, f"{SURVEY}/save", {"email": RESPONDENT})
    link = emailed_link()
    send(client, clock)

    phone = new_browser(app)
    opened = open_link(phone, link)

    assert opened.status_code == 404
    assert h1_text(opened) == "This link has been used or has expired"
    assert where(phone.get(CONFIRMATION)) == SURVEY  # not the reference
    assert the_response().resume_hash is None


def test_saving_a_page_without_its_required_answer_brings_the_respondent_back_to_it(
    client, clock, survey
):
    answer(client, 1, {"q_role": ORGANISATION})
    post_form(client, page_url(2), {"action": "save"})  # nothing answered on page 2 yet

    carry_on = page(open_step(client, f"{SURVEY}/save")).find(
        "a", string="Carry on with the survey"
    )

    assert carry_on["href"] == page_url(2)


def test_a_response_cannot_be_sent_without_its_required_answers(client, clock, survey):
    answer(client, 1, {"q_role": RESIDENT})
    post_form(client, page_url(4), {"q_story": STORY, "action": "save"})  # no confidence
    give_details(client)

    shown = client.get(CHECK)

    assert shown.status_code == 303
    assert where(shown) == page_url(4)
    # A send crafted with the draft's token is refused the same way.
    clock.advance(seconds=5)
    crafted = client.post(
        CHECK,
        data={"token": the_response().token, "csrf_token": csrf_token(client, page_url(4))},
    )
    assert crafted.status_code == 303
    assert where(crafted) == page_url(4)
    assert the_response().status == DRAFT
    assert outbox() == []


# --- the same device -------------------------------------------------------------------------


def test_coming_back_on_the_same_device_offers_to_continue_where_they_left_off(client, survey):
    answer(client, 1, OFFICER_ROUTE[1])

    start = client.get(SURVEY)

    assert start.status_code == 200
    link = page(start).find("a", string="Continue your response")
    assert link is not None
    assert page(start).find("a", string="Start now") is None
    assert link["href"] == page_url(3)

    answer(client, 3, OFFICER_ROUTE[3])
    answer(client, 4, OFFICER_ROUTE[4])
    assert page(client.get(SURVEY)).find("a", string="Continue your response")["href"] == (
        DETAILS_URL
    )
    give_details(client)
    assert page(client.get(SURVEY)).find("a", string="Continue your response")["href"] == CHECK


def test_after_sending_the_start_page_offers_a_fresh_start(client, clock, survey):
    take_route(client, OFFICER_ROUTE)
    send(client, clock)

    start = client.get(SURVEY)

    assert page(start).find("a", string="Start now") is not None
    assert page(start).find("a", string="Continue your response") is None


# --- htmx ------------------------------------------------------------------------------------


HTMX = {"HX-Request": "true"}


def test_an_htmx_request_gets_only_the_step_and_a_plain_one_the_whole_page(client, survey):
    fragment = client.get(page_url(1), headers=HTMX)
    whole = client.get(page_url(1))

    for response in (fragment, whole):
        assert response.status_code == 200
        assert "HX-Request" in response.headers.get("Vary", "")
    fragment_html = fragment.get_data(as_text=True)
    assert "<html" not in fragment_html
    assert "<main" not in fragment_html
    assert page(fragment).title.get_text() == "About you – Have your say"
    assert page(fragment).find("h1").get_text() == "About you"
    whole_html = whole.get_data(as_text=True)
    assert "<html" in whole_html
    assert page(whole).find(id="survey")["hx-boost"] == "true"


def test_an_htmx_history_restore_gets_the_whole_page(client, survey):
    restored = client.get(page_url(1), headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert restored.status_code == 200
    assert "<html" in restored.get_data(as_text=True)


def test_an_htmx_form_post_is_answered_with_a_redirect_too(client, survey):
    response = post_form(client, page_url(1), OFFICER_ROUTE[1], headers=HTMX)

    assert response.status_code == 303
    assert where(response) == page_url(3)


def test_the_closed_page_replaces_the_whole_body_for_htmx(client, clock, closing_soon):
    take_route(client, OFFICER_ROUTE)
    check = open_step(client, CHECK)
    clock.set(closing_soon.closes_at + timedelta(hours=1))

    refused = send_form(client, check, {}, headers=HTMX)

    assert refused.status_code == 410
    assert refused.headers["HX-Retarget"] == "body"
    assert h1_text(refused) == "The deadline for responses has passed"
    assert kept_on_closed_page(refused)[STORY_PROMPT] == STORY


# --- what the admin sees ---------------------------------------------------------------------


def test_an_admin_sees_the_response_and_its_answers(app, client, clock, survey, auth):
    respondent = new_browser(app)
    take_route(respondent, OFFICER_ROUTE)
    send(respondent, clock)
    response = the_response()
    auth.login()

    listing = client.get(f"/admin/consultations/{SLUG}/responses")
    assert listing.status_code == 200
    assert "1 response received." in text_of(page(listing))
    link = page(listing).find("a", string=response.reference)
    assert link["href"] == f"/admin/responses/{response.id}"

    shown = client.get(link["href"])
    assert shown.status_code == 200
    assert h1_text(shown) == f"Response {response.reference}"
    answers = {
        text_of(row.find("dt")): text_of(row.find("dd"))
        for row in page(shown).find("dl", class_="summary-list").find_all("div")
    }
    assert answers == {
        ROLE: COUNCIL,
        POSTCODE: "AB1 2CD",
        COMMISSIONS: "Yes",
        BUDGET: "12",
        CONFIDENCE: "2",
        STORY_PROMPT: STORY,
        FOLLOW_UP_EMAIL: "ada.work@example.org",
    }


def test_a_draft_is_not_shown_to_the_admin(app, client, survey, auth):
    respondent = new_browser(app)
    answer(respondent, 1, OFFICER_ROUTE[1])
    draft = the_response()
    auth.login()

    listing = client.get(f"/admin/consultations/{SLUG}/responses")

    assert "0 responses received." in text_of(page(listing))
    assert client.get(f"/admin/responses/{draft.id}").status_code == 404


def test_responses_are_for_signed_in_admins_only(client, clock, survey):
    take_route(client, OFFICER_ROUTE)
    send(client, clock)
    response = the_response()

    for path in (f"/admin/consultations/{SLUG}/responses", f"/admin/responses/{response.id}"):
        refused = client.get(path)
        assert refused.status_code == 302, path
        assert urlsplit(refused.headers["Location"]).path == "/admin/login"


def test_what_a_respondent_types_is_shown_as_text_not_markup(app, client, clock, survey, auth):
    respondent = new_browser(app)
    story = '<script>alert("x")</script> & <b>bold</b>'
    take_route(
        respondent,
        {1: {"q_role": RESIDENT}, 4: {"q_confidence": "3", "q_story": story}},
        {**DETAILS, "name": "<i>Ada</i>"},
    )

    check = open_step(respondent, CHECK)
    check_html = check.get_data(as_text=True)
    assert "<script>alert" not in check_html
    assert "&lt;script&gt;alert" in check_html
    assert check_rows(check)[STORY_PROMPT] == story
    send(respondent, clock)

    auth.login()
    shown = client.get(f"/admin/responses/{the_response().id}")
    shown_html = shown.get_data(as_text=True)
    assert "<script>alert" not in shown_html
    assert "<b>bold</b>" not in shown_html
    assert "&lt;script&gt;alert" in shown_html
    assert story in text_of(page(shown))
    listing_html = client.get(f"/admin/consultations/{SLUG}/responses").get_data(as_text=True)
    assert "<i>Ada</i>" not in listing_html
    assert "&lt;i&gt;Ada&lt;/i&gt;" in listing_html


# --- found in review ---------------------------------------------------------------------


def test_a_page_saved_in_another_tab_as_the_response_is_sent_changes_nothing(
    app, client, clock, survey
):
    """Tab B has read the draft when tab A's send commits; B's save must not land."""
    take_route(client, OFFICER_ROUTE)
    stale = the_response()  # what tab B's request loaded, still a draft
    assert stale.status == "draft"
    assert send(client, clock).status_code == 303  # tab A sends
    before = dict(the_response().answers)
    questions = list(survey.questions)

    saved = services.save_page(stale, questions, 4, {"confidence": "5"}, clock.now)
    saved_details = services.save_details(stale, {**DETAILS, "organisation": ""}, clock.now)

    assert saved is False
    assert saved_details is False
    db.session.expire_all()
    assert the_response().answers == before
    assert the_response().status == "submitted"


def test_saving_for_later_with_an_answer_too_long_shows_it_and_keeps_the_saved_one(client, survey):
    answer(client, 1, {"q_role": RESIDENT})
    answer(client, 4, {"q_confidence": "3", "q_story": STORY})
    too_long = "x" * 301

    refused = post_form(client, page_url(4), {"q_story": too_long, "action": "save"})

    assert refused.status_code == 422
    assert "300 characters or fewer" in field_error(refused, "q_story")
    assert page(refused).find("textarea", id="q_story").text == too_long
    assert the_response().answers["story"] == STORY


def test_other_text_without_ticking_other_is_kept_as_other(client, survey):
    answer(client, 1, {"q_role": ORGANISATION})
    answer(
        client,
        2,
        {"q_delivers_now": "yes", "q_obstacles": ["Paperwork"], "other_obstacles": "Insurance"},
    )

    assert the_response().answers["obstacles"] == ["Paperwork", "Other: Insurance"]


def test_after_the_grace_the_closed_page_shows_choices_in_the_respondents_words(
    client, clock, closing_soon
):
    answer(client, 1, {"q_role": ORGANISATION})
    second = open_step(client, page_url(2))
    clock.set(closing_soon.closes_at + timedelta(hours=2))

    refused = send_form(client, second, ORGANISATION_ROUTE[2])

    assert refused.status_code == 410
    kept = kept_on_closed_page(refused)
    assert kept[DELIVERS] == "Yes"
    assert kept[OBSTACLES] == "Paperwork; Other: Insurance"


def test_a_first_page_corrected_after_an_error_in_the_grace_is_still_taken(
    client, clock, closing_soon
):
    first = open_step(client, page_url(1))
    clock.set(closing_soon.closes_at + timedelta(minutes=10))
    refused = send_form(client, first, {"q_role": None})
    assert refused.status_code == 422

    corrected = send_form(client, refused, {"q_role": RESIDENT})

    assert corrected.status_code == 303
    assert where(corrected) == page_url(4)
