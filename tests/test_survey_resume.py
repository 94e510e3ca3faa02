"""The survey's emailed "continue later" link works once, and moves the draft.

Someone saves a survey and has the link emailed to them. Opening the link asks first
(a GET changes nothing, since mail scanners follow links); the button moves the draft to
that browser and spends the link, so neither the link nor the browser that asked for it
can see, send or change what is typed afterwards. The respondents are test clients that
take the survey's steps in tests/support/survey.py.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from app.models import DRAFT, SUBMITTED
from app.survey import services
from tests.support.clients import new_browser
from tests.support.concurrency import at_once
from tests.support.factories import csrf_token
from tests.support.outbox import outbox
from tests.support.pages import h1_text, page, text_of, where
from tests.support.survey import (
    CHECK,
    DETAILS,
    DETAILS_URL,
    OFFICER_ROUTE,
    RESIDENT,
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
    send_form,
    take_route,
    the_response,
)

SAVE = f"{SURVEY}/save"
USED = "This link has been used or has expired"
ASK = "Continue the survey you saved?"
REPLACES = "You already have a survey in progress on this device."

# What the person who opens the link types afterwards.
THEIR_STORY = "Our shop closed in May and my phone number is 07700 900123"
THEIR_DETAILS = {**DETAILS, "name": "Bea Lindqvist", "email": "bea@example.org"}
THEIR_SECRETS = (THEIR_STORY, "Bea Lindqvist", "bea@example.org")


def what_the_survey_shows(browser) -> str:
    """Every step of the survey as this browser gets it, following where each sends it."""
    steps = (SURVEY, page_url(1), page_url(2), page_url(4), DETAILS_URL, CHECK, SAVE)
    return "\n".join(
        browser.get(path, follow_redirects=True).get_data(as_text=True) for path in steps
    )


def link_hash(path: str) -> str:
    return hashlib.sha256(path.rsplit("/", 1)[1].encode()).hexdigest()


# --- the finding: a planted draft read back --------------------------------------------------


def test_what_is_typed_after_the_link_is_opened_elsewhere_cannot_be_read_with_it(
    app, client, survey
):
    link = save_and_email_link(client)  # the person who saved, in their own browser

    other = new_browser(app)  # someone they sent the link to
    assert where(open_link(other, link)) == page_url(4)
    answer(other, 4, {"q_confidence": "5", "q_story": THEIR_STORY})
    give_details(other, THEIR_DETAILS)

    # The link again, in the browser that asked for it and in a fresh one.
    for browser in (client, new_browser(app)):
        opened = open_link(browser, link)
        seen = opened.get_data(as_text=True) + what_the_survey_shows(browser)
        assert [secret for secret in THEIR_SECRETS if secret in seen] == []
        assert opened.status_code == 404
        assert h1_text(opened) == USED
    # The one who opened it still has it all.
    assert THEIR_STORY in open_step(other, CHECK).get_data(as_text=True)


def test_the_browser_that_asked_for_the_link_cannot_send_or_change_the_draft_once_moved(
    app, client, clock, survey
):
    take_route(client, OFFICER_ROUTE)
    check_page = open_step(client, CHECK)  # left open in a tab
    post_form(client, SAVE, {"email": "a@example.org"})
    link = emailed_link()

    other = new_browser(app)
    open_link(other, link)
    changed = post_form(
        other, page_url(4, **{"return": "check"}), OFFICER_ROUTE[4] | {"q_story": THEIR_STORY}
    )
    assert where(changed) == DETAILS_URL  # their own address and consent first
    give_details(other, THEIR_DETAILS)

    clock.advance(seconds=30)
    sent = send_form(client, check_page, {})  # the tab left open, with the draft's old token
    again = client.post(  # a new link for it
        SAVE, data={"email": "a@example.org", "csrf_token": csrf_token(client, page_url(1))}
    )
    answer(client, 1, {"q_role": RESIDENT})  # answering starts a draft of their own

    assert where(sent) == SURVEY
    assert where(again) == SURVEY
    moved, own = responses()
    assert (moved.status, moved.answers["story"], moved.name) == (
        DRAFT,
        THEIR_STORY,
        "Bea Lindqvist",
    )
    assert moved.answers["role"] == OFFICER_ROUTE[1]["q_role"]
    assert own.answers == {"role": RESIDENT}
    assert len(outbox("resume")) == 1
    assert outbox("receipt") == []


@pytest.mark.parametrize("change", ["save a page", "ask for a new link"])
def test_a_request_from_the_old_browser_under_way_as_the_link_is_opened_changes_nothing(
    app, client, clock, survey, change
):
    """The old browser's request read the draft just before the link moved it elsewhere."""
    link = save_and_email_link(client)
    stale = the_response()  # as the old browser's request read it

    with app.app_context():  # the other browser's request, with its own database session
        moved = services.take_over(survey, link.rsplit("/", 1)[1], clock.now)
    if change == "save a page":
        questions = list(survey.questions)
        done = services.save_page(stale, questions, 4, {"story": "planted"}, clock.now)
    else:
        done = services.send_resume_link(survey, stale, "a@example.org", clock.now)

    assert moved is not None
    assert done is False
    assert "story" not in the_response().answers
    assert the_response().resume_hash is None
    assert len(outbox("resume")) == 1


def test_a_send_from_the_old_browser_under_way_as_the_link_is_opened_sends_nothing(
    app, client, clock, survey, monkeypatch
):
    """The old tab's send read the draft just before another browser opened the link."""
    take_route(client, OFFICER_ROUTE)
    check_page = open_step(client, CHECK)  # left open in a tab
    post_form(client, SAVE, {"email": "a@example.org"})
    link = emailed_link()
    read_draft = services.find_by_token
    moved = []

    def link_opened_meanwhile(*args, **kwargs):
        draft = read_draft(*args, **kwargs)
        if not moved:
            moved.append(True)
            with app.app_context():  # the other browser's request, with its own session
                moved.append(services.take_over(survey, link.rsplit("/", 1)[1], clock.now))
        return draft

    monkeypatch.setattr(services, "find_by_token", link_opened_meanwhile)
    clock.advance(seconds=30)
    sent = send_form(client, check_page, {})
    monkeypatch.undo()

    assert moved[1] is not None
    assert where(sent) == SURVEY  # this browser starts afresh, seeing nothing of it
    assert the_response().status == DRAFT
    assert outbox("receipt") == [] and outbox("alert") == []


# --- opening the link ------------------------------------------------------------------------


def test_opening_the_link_asks_first_and_changes_nothing(app, client, survey):
    link = save_and_email_link(client)
    before = the_response()

    scanner = new_browser(app)
    for _ in range(2):
        asked = scanner.get(link)
        assert asked.status_code == 200
        assert h1_text(asked) == ASK
        assert REPLACES not in text_of(page(asked))
        html = asked.get_data(as_text=True)
        for answer_given in ("ZZ9 9ZZ", "Insurance", "Paperwork"):
            assert answer_given not in html
        form = page(asked).find("button", string="Continue the survey").find_parent("form")
        assert (form["method"], form["action"]) == ("post", link)
        assert form.find("input", attrs={"name": "csrf_token"}) is not None

    after = the_response()
    assert (after.token, after.resume_hash) == (before.token, before.resume_hash)
    # The saver's browser still has it, and the link still works for a person.
    assert page(client.get(SURVEY)).find("a", string="Continue your response") is not None
    assert where(open_link(new_browser(app), link)) == page_url(4)


def test_the_link_works_once_and_then_shows_how_to_get_a_new_one(app, client, survey):
    link = save_and_email_link(client)
    phone = new_browser(app)
    assert where(open_link(phone, link)) == page_url(4)

    for browser in (phone, new_browser(app)):
        used = open_link(browser, link)

        assert used.status_code == 404
        assert h1_text(used) == USED
        words = text_of(page(used))
        assert "works once" in words
        assert "choose ‘Save and come back later’ and we will email you a new link" in words
        assert "Insurance" not in used.get_data(as_text=True)
        assert page(used).find("a", string="go to the survey")["href"] == SURVEY
    # On the device that opened it, "go to the survey" carries on.
    start = phone.get(SURVEY)
    assert page(start).find("a", string="Continue your response")["href"] == page_url(4)


def test_the_browser_that_saved_the_draft_is_told_nothing_of_it_once_moved(app, client, survey):
    link = save_and_email_link(client)
    open_link(new_browser(app), link)

    start = client.get(SURVEY)

    assert page(start).find("a", string="Start now") is not None
    assert where(client.get(SAVE)) == SURVEY


def test_in_a_browser_that_has_the_draft_already_the_link_carries_on_and_is_kept(
    app, client, survey
):
    link = save_and_email_link(client)

    opened = client.get(link)  # the saver clicks their own link on the same device

    assert where(opened) == page_url(4)
    assert the_response().resume_hash == link_hash(link)
    assert where(open_link(new_browser(app), link)) == page_url(4)  # still works elsewhere


def test_the_page_says_the_saved_survey_replaces_the_one_in_progress_here(app, client, survey):
    link = save_and_email_link(client)
    phone = new_browser(app)
    answer(phone, 1, {"q_role": RESIDENT, "q_postcode": "LS6 2AB"})  # a survey of its own

    asked = phone.get(link)

    assert h1_text(asked) == ASK
    assert REPLACES in text_of(page(asked).find(class_="notice"))
    keep = page(asked).find("a", string="Keep the survey in progress on this device")
    assert keep["href"] == SURVEY
    # Keeping it: the phone's own survey is still there.
    assert open_step(phone, page_url(1)).get_data(as_text=True).count("LS6 2AB") == 1

    # Continuing: the saved survey replaces it on this device.
    assert where(open_link(phone, link)) == page_url(4)
    first = open_step(phone, page_url(1)).get_data(as_text=True)
    assert "ZZ9 9ZZ" in first
    assert "LS6 2AB" not in first
    assert len(responses()) == 2  # the phone's own draft is not deleted, only left


def test_asking_for_a_new_link_stops_the_earlier_one(app, client, survey):
    first = save_and_email_link(client)
    post_form(client, SAVE, {"email": "other@example.org"})
    second = emailed_link()

    assert first != second
    assert open_link(new_browser(app), first).status_code == 404
    assert where(open_link(new_browser(app), second)) == page_url(4)


def test_the_database_keeps_only_a_hash_of_the_link(client, survey):
    link = save_and_email_link(client)
    token = link.rsplit("/", 1)[1]
    draft = the_response()

    assert draft.resume_hash == link_hash(link)
    stored = [str(getattr(draft, column.key)) for column in draft.__table__.columns]
    assert not [value for value in stored if token in value]


def test_opening_the_link_gives_the_draft_a_new_session_token(app, client, survey):
    link = save_and_email_link(client)
    old_token = the_response().token

    open_link(new_browser(app), link)

    assert the_response().token != old_token
    assert the_response().resume_hash is None


def test_using_the_link_needs_the_forms_csrf_token(app, client, survey):
    link = save_and_email_link(client)
    phone = new_browser(app)
    phone.get(link)

    forged = phone.post(link, data={})

    assert forged.status_code == 400
    assert the_response().resume_hash == link_hash(link)
    assert where(open_link(phone, link)) == page_url(4)


def test_of_two_browsers_using_the_link_at_once_one_gets_the_draft(app, client, survey):
    link = save_and_email_link(client)
    browsers = [new_browser(app) for _ in range(2)]
    forms = []
    for browser in browsers:
        asked = browser.get(link)
        fields = {"csrf_token": page(asked).find("input", attrs={"name": "csrf_token"})["value"]}
        forms.append((browser, fields))

    results = at_once(
        [lambda b=b, f=f: b.post(link, data=f) for b, f in forms], context=app.app_context
    )

    assert sorted(r.status_code for r in results) == [303, 404]
    assert the_response().resume_hash is None


def test_a_link_for_another_consultation_or_of_the_wrong_shape_is_refused(app, client, survey):
    link = save_and_email_link(client)
    token = link.rsplit("/", 1)[1]

    for path in (f"{SURVEY}/resume/{token[:-1]}!", f"{SURVEY}/resume/{'x' * 300}"):
        assert new_browser(app).get(path).status_code == 404
    assert the_response().resume_hash == link_hash(link)


def test_a_sent_response_keeps_no_link(client, clock, survey):
    take_route(client, OFFICER_ROUTE)
    post_form(client, SAVE, {"email": "a@example.org"})
    shown = open_step(client, CHECK)
    clock.advance(seconds=5)
    send_form(client, shown, {})

    assert the_response().status == SUBMITTED
    assert the_response().resume_hash is None


def test_within_the_grace_the_link_still_asks_and_says_the_deadline_has_passed(
    app, client, clock, make_survey
):
    consultation = make_survey(closes_at=clock.now + timedelta(hours=1))
    link = save_and_email_link(client)
    clock.set(consultation.closes_at + timedelta(minutes=10))

    asked = new_browser(app).get(link)

    assert h1_text(asked) == ASK
    assert "The deadline has passed" in text_of(page(asked))


def test_the_emails_say_the_link_works_once(client, survey):
    save_and_email_link(client)
    [email] = outbox("resume")

    for body in (email.body_text, email.body_html):
        assert "The link works once" in body
        assert "If you ask for a new link, this one stops working." in body


def test_the_buttons_form_carries_only_its_csrf_token(app, client, survey):
    """Nothing of the draft, and no bot guard: the link's token is the secret."""
    link = save_and_email_link(client)
    form = page(new_browser(app).get(link)).find("form")

    assert [field["name"] for field in form.find_all("input")] == ["csrf_token"]


def test_the_address_that_asked_for_the_link_never_gets_the_receipt_of_who_opened_it(
    app, client, clock, survey
):
    take_route(client, OFFICER_ROUTE)  # with their details: a@… is the receipt's address
    post_form(client, SAVE, {"email": "a@example.org"})
    link = emailed_link()

    other = new_browser(app)
    assert where(open_link(other, link)) == DETAILS_URL  # consent and address asked again
    assert "a@example.org" not in open_step(other, DETAILS_URL).get_data(as_text=True)
    give_details(other, {**THEIR_DETAILS, "email": ""})
    shown = open_step(other, CHECK)
    clock.advance(seconds=30)
    assert where(send_form(other, shown, {})).endswith("/confirmation")

    assert the_response().status == SUBMITTED
    assert the_response().email == ""
    assert outbox("receipt") == []
