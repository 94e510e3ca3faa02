"""The respondent's link, from the receipt a real SMTP server received: the page it opens,
changing whether the response may be published, and new links for lost ones.

Respondents send through the public forms (tests/support/survey.py, evidence.py,
contact.py) and follow the link in the receipt, as people do, with the steps in
tests/support/respondents.py. Withdrawing is in tests/test_respondent_withdrawal.py;
junk sent to these forms in tests/test_respondent_links_fuzz.py.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import current_app
from sqlalchemy import select

from app.consultations.lifecycle import Override
from app.extensions import db
from app.intake import channels
from app.intake.changes import ChangeSending, apply_change
from app.models import Response, ResponseVersion
from app.respondents import services
from tests.support import evidence as ev
from tests.support import sample_files as sf
from tests.support import survey as sv
from tests.support.clients import new_browser
from tests.support.contact import VALID_MESSAGE, call_url, deliver, publish
from tests.support.factories import TITLE
from tests.support.outbox import outbox
from tests.support.pages import (
    field_error,
    h1_text,
    page,
    redirect_path,
    stamped_form,
    summary_links,
    text_of,
)
from tests.support.respondents import (
    ADA,
    NEW_LINK,
    NEW_LINK_SENT,
    NOT_WORKING,
    OFFICER,
    audit_events,
    issued_link,
    link_in,
    link_named,
    links_in_new_links,
    newest,
    open_and_send,
    receipt_link,
    send_a_message,
    send_evidence,
    send_shown,
    send_survey,
    stored,
    token_of,
)
from tests.support.responses import insert_response

PUBLISH_ROW = "May we publish your response?"


# --- helpers ---------------------------------------------------------------------------------


def rows_on(shown) -> dict[str, str]:
    """What the page lists the response said: label -> value."""
    return {
        text_of(row.find("dt")): text_of(row.find("dd"))
        for row in page(shown).select("dl.summary-list > div")
    }


def flashed(shown) -> list[str]:
    return [text_of(p) for p in page(shown).select("#flashes p")]


def versions_of(response_id: int) -> list[ResponseVersion]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(ResponseVersion)
            .filter_by(response_id=response_id)
            .order_by(ResponseVersion.number)
        )
    )


@pytest.fixture
def consultation(make_survey):
    """Taking a survey, written evidence and messages, open for three weeks more."""
    return make_survey()


# --- the page the link opens --------------------------------------------------------------------


def test_the_link_in_the_evidence_receipt_opens_what_was_sent(
    client, clock, consultation, smtp_server
):
    documents = [sf.upload("pdf", filename="Annual report 2026.pdf"), sf.upload("txt")]
    evidence = send_evidence(client, clock, documents)
    link = receipt_link(smtp_server, clock, evidence.reference)

    shown = new_browser(client.application).get(link)  # on another device, too

    assert shown.status_code == 200
    soup = page(shown)
    assert text_of(soup.find(class_="caption")) == TITLE
    assert h1_text(shown) == "Your written evidence"
    assert f"Your reference number is {evidence.reference}" in text_of(soup)
    assert "Sent at midday UK time on 1 February 2027." in text_of(soup)
    assert "Last changed" not in text_of(soup)
    rows = rows_on(shown)
    assert rows["Evidence"] == " ".join(ev.EVIDENCE.split())
    assert rows["Themes"] == "Trends; Local successes"
    assert rows[PUBLISH_ROW] == "Yes, anonymously"
    assert rows["Documents"] == "Annual report 2026.pdf; evidence.txt"
    assert link_named(shown, "Change whether we may publish it") == f"{link}/publication"
    assert link_named(shown, "Withdraw your response") == f"{link}/withdraw"


def test_the_link_in_the_survey_receipt_opens_the_answers(client, clock, consultation, smtp_server):
    response = send_survey(client, clock)

    shown = client.get(receipt_link(smtp_server, clock, response.reference))

    assert h1_text(shown) == "Your survey response"
    rows = rows_on(shown)
    assert rows["Which best describes you?"] == "Council officer"
    assert rows["Tell us about your experience"] == sv.STORY
    assert rows["Name"] == "Ada Jones"
    assert rows[PUBLISH_ROW] == "Yes, anonymously"


def test_a_message_links_to_its_call_and_has_no_publication_choice(
    client, clock, consultation, smtp_server
):
    publish(consultation, clock.now + timedelta(days=2))
    message, sent_to = send_a_message(client, clock)
    link = receipt_link(smtp_server, clock, message.reference)

    shown = client.get(link)

    assert h1_text(shown) == "Your message"
    assert rows_on(shown)["Your message"] == " ".join(VALID_MESSAGE["message"].split())
    call_page = link_named(shown, "Choose a time for your call, or change it")
    assert call_page is not None and urlsplit(call_page).path == urlsplit(call_url_of(sent_to)).path
    assert link_named(shown, "Change whether we may publish it") is None
    assert client.get(f"{link}/publication").status_code == 404
    assert link_named(shown, "Withdraw your response") == f"{link}/withdraw"


def call_url_of(location: str) -> str:
    class Sent:
        status_code = 303
        headers = {"Location": location}

    return call_url(Sent())


def change_url_of(response: Response, link: str) -> str:
    """Where the response's channel sends the holder of `link` to change it."""
    token = token_of(link)
    with current_app.test_request_context():
        change = channels.of(stored(response.id)).change_url(stored(response.id), token)
    assert change is not None
    return change


@pytest.mark.parametrize("channel", ["survey", "evidence"])
def test_while_open_the_page_says_until_when_it_can_be_changed(
    client, clock, consultation, smtp_server, channel
):
    sent = send_survey(client, clock) if channel == "survey" else send_evidence(client, clock)
    link = receipt_link(smtp_server, clock, sent.reference)

    shown = client.get(link)

    assert link_named(shown, "Change your response") == change_url_of(sent, link)
    text = text_of(page(shown))
    assert "You can change it until midday UK time on 22 February 2027." in text
    assert "has closed" not in text


def test_a_message_taken_after_the_close_can_be_changed_after_it_and_says_so(
    client, clock, consultation
):
    message, _sent_to = send_a_message(client, clock)
    link = issued_link(message)

    shown = client.get(link)

    assert link_named(shown, "Change your response") == change_url_of(message, link)
    text = text_of(page(shown))
    assert "You can change it, even after the consultation closes." in text
    assert "until" not in text  # the deadline is no limit for it


def test_a_message_not_taken_after_the_close_can_be_changed_until_the_deadline(
    client, clock, consultation
):
    consultation.messages_after_close = False
    db.session.commit()
    message, _sent_to = send_a_message(client, clock)

    shown = client.get(issued_link(message))

    text = text_of(page(shown))
    assert "You can change it until midday UK time on 22 February 2027." in text
    assert "after the consultation closes" not in text


def test_messages_taken_after_the_close_can_still_be_changed_then(client, clock, consultation):
    message, _sent_to = send_a_message(client, clock)
    link = issued_link(message)
    clock.set(consultation.closes_at + timedelta(days=1))

    shown = client.get(link)

    assert link_named(shown, "Change your response") == change_url_of(message, link)
    text = text_of(page(shown))
    assert "The consultation has closed, but you can still change your message." in text
    assert "no longer change" not in text


def test_opened_again_by_an_admin_after_the_deadline_it_can_be_changed_while_open(
    client, clock, consultation
):
    evidence = send_evidence(client, clock)
    link = issued_link(evidence)
    consultation.override = Override.OPEN.value
    db.session.commit()
    clock.set(consultation.closes_at + timedelta(days=1))

    shown = client.get(link)

    assert link_named(shown, "Change your response") == change_url_of(evidence, link)
    assert "You can change it while the consultation is open." in text_of(page(shown))


@pytest.mark.parametrize(
    ("channel", "still"),
    [
        ("evidence", "You can still change whether we may publish it, or withdraw it."),
        ("contact", "You can still withdraw it."),
    ],
)
def test_once_closed_the_page_says_it_can_no_longer_be_changed(
    client, clock, consultation, channel, still
):
    consultation.messages_after_close = False  # else messages go on being taken, and changed
    db.session.commit()
    sent = (
        send_evidence(client, clock) if channel == "evidence" else send_a_message(client, clock)[0]
    )
    link = issued_link(sent)
    clock.set(consultation.closes_at + timedelta(hours=1))

    shown = client.get(link)

    text = text_of(page(shown))
    assert "This consultation has closed, so you can no longer change your response." in text
    assert still in text
    assert link_named(shown, "Change your response") is None
    assert link_named(shown, "Withdraw your response") == f"{link}/withdraw"


def test_a_way_of_responding_no_longer_offered_says_it_can_no_longer_be_changed(
    client, clock, consultation
):
    evidence = send_evidence(client, clock)
    link = issued_link(evidence)
    consultation.channels = [name for name in consultation.channels if name != "evidence"]
    db.session.commit()

    shown = client.get(link)

    text = text_of(page(shown))
    assert "You can no longer change your response." in text
    assert "You can still change whether we may publish it, or withdraw it." in text
    assert "has closed" not in text
    assert link_named(shown, "Change your response") is None


@pytest.mark.parametrize("suffix", ["", "/publication", "/withdraw"])
@pytest.mark.parametrize("token", ["a" * 32, "short", "not-a-link-but-a-long-one-anyway"])
def test_a_link_that_opens_nothing_says_so(client, consultation, suffix, token):
    shown = client.get(f"/your-response/{token}{suffix}")

    assert shown.status_code == 404
    assert h1_text(shown) == NOT_WORKING
    assert link_named(shown, "Get a new link to your response") == NEW_LINK


# --- changing whether it may be published --------------------------------------------------------


def test_changing_the_publication_choice_is_a_new_version_with_both_emails(
    client, clock, consultation, smtp_server
):
    evidence = send_evidence(client, clock)
    link = receipt_link(smtp_server, clock, evidence.reference)
    smtp_server.clear()
    form_page = client.get(link_named(client.get(link), "Change whether we may publish it"))
    assert h1_text(form_page) == "Change whether we may publish your response"
    checked = stamped_form(page(form_page)).find(
        "input", attrs={"name": "publish", "checked": True}
    )
    assert checked["value"] == "anonymous"
    clock.advance(minutes=2)

    changed = send_shown(client, form_page, {"publish": "no"})

    assert changed.status_code == 303
    assert redirect_path(changed) == link
    shown = client.get(link)
    assert flashed(shown) == ["Your choice about publishing is saved: No, do not publish"]
    assert rows_on(shown)[PUBLISH_ROW] == "No, do not publish"
    assert "Last changed at 12:02pm UK time on 1 February 2027." in text_of(page(shown))
    response = stored(evidence.id)
    assert (response.publish, response.version, response.changed_at) == ("no", 2, clock.now)
    (older,) = versions_of(evidence.id)
    assert older.number == 1
    assert [PUBLISH_ROW, "Yes, anonymously"] in older.rows
    (event,) = audit_events("respondent_change")
    assert event.actor == "respondent"
    assert evidence.reference in event.detail and "Ada" not in event.detail
    deliver(clock.now)
    (receipt,) = smtp_server.to(ADA)
    text = receipt.text.replace("\r\n", "\n")
    assert f"Your reference number is still {evidence.reference}." in text
    assert f"{PUBLISH_ROW}\nBefore: Yes, anonymously\nNow: No, do not publish" in text
    assert link_in(text) == link  # the same link goes on working
    (alert,) = smtp_server.to(OFFICER)
    assert "changed by the respondent" in str(alert.message["Subject"])
    assert "Before: Yes, anonymously" in alert.text


def test_the_same_form_sent_twice_makes_one_change(client, clock, consultation):
    link = issued_link(send_evidence(client, clock))
    form_page = client.get(f"{link}/publication")
    clock.advance(seconds=5)

    answers = [send_shown(client, form_page, {"publish": "named"}) for _ in range(2)]

    assert [a.status_code for a in answers] == [303, 303]
    response = newest("evidence")
    assert (response.publish, response.version) == ("named", 2)
    assert len(outbox("receipt")) == 2  # the first receipt and one change receipt


def test_a_change_from_another_tab_is_shown_rather_than_overwritten(client, clock, consultation):
    link = issued_link(send_evidence(client, clock))
    first_tab = client.get(f"{link}/publication")
    second_tab = client.get(f"{link}/publication")
    clock.advance(seconds=5)
    assert send_shown(client, first_tab, {"publish": "no"}).status_code == 303

    refused = send_shown(client, second_tab, {"publish": "named"})

    assert refused.status_code == 409
    text = text_of(page(refused))
    assert "changed in another tab or on another device" in text
    assert "It now says: No, do not publish." in text
    form = stamped_form(page(refused))
    assert form.find("input", attrs={"name": "publish", "checked": True})["value"] == "no"
    assert newest("evidence").publish == "no"
    clock.advance(seconds=5)
    again = send_shown(client, refused, {"publish": "named"})
    assert again.status_code == 303
    assert (newest("evidence").publish, newest("evidence").version) == ("named", 3)


def test_sending_the_choice_as_it_was_changes_nothing(client, clock, consultation):
    evidence = send_evidence(client, clock)
    link = issued_link(evidence)

    kept = open_and_send(client, clock, f"{link}/publication", {"publish": "anonymous"})

    assert kept.status_code == 303
    assert flashed(client.get(link)) == ["You did not change anything."]
    response = stored(evidence.id)
    assert (response.version, response.changed_at) == (1, None)
    assert versions_of(evidence.id) == []
    assert [e.kind for e in outbox()] == ["alert", "receipt"]


def test_the_choice_can_be_changed_after_the_close(client, clock, consultation):
    evidence = send_evidence(client, clock)
    link = issued_link(evidence)
    clock.set(consultation.closes_at + timedelta(days=3))

    changed = open_and_send(client, clock, f"{link}/publication", {"publish": "no"})

    assert changed.status_code == 303
    assert (stored(evidence.id).publish, stored(evidence.id).version) == ("no", 2)


@pytest.mark.parametrize("choice", ["", "maybe", "NO"])
def test_a_choice_not_offered_is_refused_by_the_field(client, clock, consultation, choice):
    evidence = send_evidence(client, clock)
    link = issued_link(evidence)

    refused = open_and_send(client, clock, f"{link}/publication", {"publish": choice})

    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: Change whether we may publish")
    message = (
        "Select whether we may publish your response"
        if not choice
        else ("Select one of the options shown")
    )
    assert summary_links(refused) == {message: "publish-1"}
    assert field_error(refused, "publish") == message
    assert stored(evidence.id).version == 1


def test_a_bot_filling_in_the_hidden_field_changes_nothing(client, clock, consultation):
    evidence = send_evidence(client, clock)
    link = issued_link(evidence)

    answer = open_and_send(
        client, clock, f"{link}/publication", {"publish": "no", "website": "http://spam"}
    )

    assert answer.status_code == 200
    assert h1_text(answer) == "Thank you"
    assert stored(evidence.id).publish == "anonymous"


# --- new links for lost ones ----------------------------------------------------------------------


def ask_for_links(browser, clock, address: str, seconds: float = 5):
    return open_and_send(browser, clock, NEW_LINK, {"email": address}, seconds)


def new_links_emails(smtp_server, clock) -> list:
    deliver(clock.now)
    return [m for m in smtp_server.received if "Your links to" in str(m.message["Subject"])]


def test_the_page_asks_for_an_email_address(client, consultation):
    shown = client.get(NEW_LINK)

    assert h1_text(shown) == "Get a new link to your response"
    field = stamped_form(page(shown)).find("input", attrs={"name": "email"})
    assert (field["type"], field["autocomplete"]) == ("email", "email")


def test_a_known_address_gets_one_email_with_a_new_link_to_each_response(
    client, clock, consultation, smtp_server
):
    evidence = send_evidence(client, clock)
    survey = send_survey(client, clock)
    old = {r.reference: receipt_link(smtp_server, clock, r.reference) for r in (evidence, survey)}
    smtp_server.clear()
    browser = new_browser(client.application)  # the receipts are on another device

    asked = ask_for_links(browser, clock, "ADA@example.org")

    assert asked.status_code == 303 and redirect_path(asked) == NEW_LINK_SENT
    shown = browser.get(NEW_LINK_SENT)
    assert h1_text(shown) == "Check your email"
    said = " ".join(page(shown).find("main").find("p").get_text().split())
    assert said == (
        "If you sent any responses from ADA@example.org, we have emailed you a new link to each"
        " one. Links in earlier emails about them no longer work."
    )
    (email,) = new_links_emails(smtp_server, clock)
    assert email.message["To"] == ADA
    new = links_in_new_links(email.text)
    assert set(new) == {evidence.reference, survey.reference}
    for reference, path in new.items():
        assert f'{path}"' in email.html  # the HTML part links there too
        assert f"Your reference number is {reference}" in text_of(page(browser.get(path)))
        assert path != old[reference]
        assert client.get(old[reference]).status_code == 404  # the old link stopped working


def test_an_unknown_address_gets_the_same_page_and_no_email(
    client, clock, consultation, smtp_server
):
    send_evidence(client, clock)
    deliver(clock.now)
    known, unknown = new_browser(client.application), new_browser(client.application)
    ask_for_links(known, clock, ADA)
    clock.advance(seconds=1)

    asked = ask_for_links(unknown, clock, "bea@example.org")

    assert asked.status_code == 303 and redirect_path(asked) == NEW_LINK_SENT
    said = text_of(page(unknown.get(NEW_LINK_SENT)))
    assert said == text_of(page(known.get(NEW_LINK_SENT))).replace(ADA, "bea@example.org")
    assert [m.message["To"] for m in new_links_emails(smtp_server, clock)] == [ADA]


def test_the_page_names_no_address_in_a_browser_that_asked_for_none(client, consultation):
    shown = client.get(NEW_LINK_SENT)

    assert h1_text(shown) == "Check your email"
    text = text_of(page(shown))
    assert "If you sent any responses from the email address you gave, we have emailed" in text
    assert "no more than once every 15 minutes" in text


def test_asking_again_within_15_minutes_sends_nothing_and_keeps_the_links(
    client, clock, consultation, smtp_server
):
    evidence = send_evidence(client, clock)
    deliver(clock.now)
    ask_for_links(client, clock, ADA)
    (first,) = new_links_emails(smtp_server, clock)
    clock.advance(minutes=5)

    ask_for_links(client, clock, ADA)

    assert len(new_links_emails(smtp_server, clock)) == 1
    first_link = links_in_new_links(first.text)[evidence.reference]
    assert client.get(first_link).status_code == 200
    clock.advance(minutes=15)
    ask_for_links(client, clock, ADA)
    second = new_links_emails(smtp_server, clock)[-1]
    assert second is not first
    assert client.get(first_link).status_code == 404
    assert client.get(links_in_new_links(second.text)[evidence.reference]).status_code == 200


def test_purged_responses_get_no_new_link(client, clock, consultation):
    evidence = send_evidence(client, clock)
    evidence.purged_at = clock.now
    db.session.commit()

    ask_for_links(client, clock, ADA)

    assert outbox("new_links") == []


def test_addresses_match_whatever_the_case_of_their_letters_a_to_z(app, clock, consultation):
    """The rule is the same on SQLite, whose lower() folds only A to Z, and PostgreSQL."""
    for number, address in enumerate(["Ada@Example.org", "Ünal@example.org", "ünal@example.org"]):
        insert_response(consultation, clock.now, number, email=address)
    db.session.commit()

    def found(address: str) -> list[str]:
        return sorted(r.email for r in services.sent_from(address))

    assert found("ada@example.org") == ["Ada@Example.org"]
    assert found("ADA@EXAMPLE.ORG") == ["Ada@Example.org"]
    assert found("ünal@example.org") == ["ünal@example.org"]
    assert found("ÜNAL@EXAMPLE.ORG") == ["Ünal@example.org"]
    assert found("bea@example.org") == []


def test_an_address_in_the_wrong_shape_is_refused_and_kept(client, clock, consultation):
    refused = ask_for_links(client, clock, "ada at example")

    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: Get a new link to your response")
    message = "Enter an email address in the correct format, like name@example.com"
    assert summary_links(refused) == {message: "email"}
    assert field_error(refused, "email") == message
    assert stamped_form(page(refused)).find("input", attrs={"name": "email"})["value"] == (
        "ada at example"
    )


def test_a_form_sent_too_fast_or_with_the_hidden_field_sends_nothing(client, clock, consultation):
    send_evidence(client, clock)

    too_fast = ask_for_links(client, clock, ADA, seconds=1)
    bot = open_and_send(client, clock, NEW_LINK, {"email": ADA, "website": "x"})

    for answer in (too_fast, bot):
        assert answer.status_code == 303 and redirect_path(answer) == NEW_LINK_SENT
    assert outbox("new_links") == []


def test_asking_for_new_links_is_rate_limited(request, app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_LINKS"] = "2 per minute"
    app = request.getfixturevalue("app")
    clock = request.getfixturevalue("clock")
    request.getfixturevalue("consultation")
    browser = new_browser(app)
    shown = browser.get(NEW_LINK)
    clock.advance(seconds=5)

    answers = [send_shown(browser, shown, {"email": f"p{n}@example.org"}) for n in range(3)]

    assert [a.status_code for a in answers] == [303, 303, 429]
    assert h1_text(answers[2]) == "Too many attempts"
    assert browser.get(NEW_LINK).status_code == 200  # only asking is limited


def test_the_new_link_setting_has_a_default(app):
    assert app.config["RATELIMIT_LINKS"] == "5 per minute;20 per hour"


def test_nothing_personal_is_in_any_address(client, clock, consultation):
    """The pages' addresses hold the link's token and nothing the respondent typed."""
    link = issued_link(send_evidence(client, clock))
    token = token_of(link)
    shown = client.get(link)
    paths = [a["href"] for a in page(shown).find_all("a")] + [link]
    paths += [a["href"] for a in page(client.get(f"{link}/withdraw")).find_all("a")]
    typed = ["ada", "jones", "northside", "food", "payment"]

    for path in paths:
        assert not any(word in path.replace(token, "").lower() for word in typed), path


def test_a_response_sent_without_a_name_cannot_be_published_with_it(client, clock, consultation):
    unnamed = insert_response(consultation, clock.now, 1, "survey", name="", publish="anonymous")
    link = issued_link(unnamed)
    clock.advance(seconds=5)

    refused = open_and_send(client, clock, f"{link}/publication", {"publish": "named"})

    assert refused.status_code == 422
    assert field_error(refused, "publish").startswith("You did not give your name")
    assert (stored(unnamed.id).publish, stored(unnamed.id).version) == ("anonymous", 1)


def test_a_change_made_elsewhere_to_anything_but_the_choice_does_not_stop_it(
    client, clock, consultation
):
    evidence = send_evidence(client, clock)
    link = issued_link(evidence)
    choice_tab = client.get(f"{link}/publication")
    clock.advance(seconds=5)
    response = stored(evidence.id)
    elsewhere = ChangeSending("Elsewhere-token-0123456789", 1, clock.now, False, "x" * 32)
    assert apply_change(response, elsewhere, lambda r: setattr(r, "evidence_text", "New words"))
    assert stored(evidence.id).version == 2

    saved = send_shown(client, choice_tab, {"publish": "no"})

    assert saved.status_code == 303
    response = stored(evidence.id)
    assert (response.publish, response.evidence_text, response.version) == ("no", "New words", 3)


def test_new_links_end_the_old_links_to_a_messages_call_too(
    client, clock, consultation, smtp_server
):
    (slot,) = publish(consultation, clock.now + timedelta(days=2))
    message, call_page = send_a_message(client, clock)
    assert client.get(call_page).status_code == 200

    assert services.send_new_links(ADA, clock.now)
    deliver(clock.now)
    (links_email,) = [m for m in smtp_server.to(ADA) if "new link" in m.text]
    new_link = links_in_new_links(links_email.text)[message.reference]

    assert client.get(call_page).status_code == 404
    new_call_page = link_named(client.get(new_link), "Choose a time for your call, or change it")
    assert client.get(new_call_page).status_code == 200
