"""A respondent withdrawing what they sent, from the link in their receipt.

Withdrawing deletes the response as an admin's "Delete this response" does (its answers,
counted choices, documents on disk, the emails about it still waiting, a call still to
come), sends the respondent a confirmation and tells the officer, by reference only, and
records it in the audit log without a name or an address. Responses are sent through the
public forms and their links read from the receipts a real SMTP server received
(the steps in tests/support/respondents.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.intake import channels, links
from app.intake.changes import ChangeSending, Outcome
from app.models import (
    BOOKED,
    Attachment,
    Booking,
    ChoiceAnswer,
    OutboxEmail,
    Response,
    ResponseVersion,
)
from app.privacy.withdrawal import withdraw
from app.respondents.services import change_publication
from tests.support import sample_files as sf
from tests.support.cancelled_calls import cancelled_with_its_message
from tests.support.clients import new_browser
from tests.support.concurrency import at_once
from tests.support.contact import choose, deliver, publish
from tests.support.evidence import files_on_disk
from tests.support.factories import TITLE
from tests.support.outbox import outbox
from tests.support.pages import h1_text, page, redirect_path, text_of
from tests.support.respondents import (
    ADA,
    NOT_WORKING,
    OFFICER,
    WITHDRAWN,
    audit_events,
    audited,
    issued_link,
    link_named,
    open_and_send,
    receipt_link,
    send_a_message,
    send_evidence,
    send_shown,
    send_survey,
    stored,
    token_of,
)


def count(model, **where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def emails_about(reference: str) -> list[str]:
    """The kinds of the emails in the outbox whose event names the reference."""
    return sorted(e.kind for e in outbox() if f":{reference}" in e.event_key)


def confirm(browser, clock, link: str):
    """Open the confirmation page from the response's page and press the button."""
    return open_and_send(
        browser, clock, link_named(browser.get(link), "Withdraw your response"), {}
    )


@pytest.fixture
def consultation(make_survey):
    return make_survey()


# --- the confirmation page ---------------------------------------------------------------------


def test_the_confirmation_page_says_exactly_what_will_happen(client, clock, consultation):
    evidence = send_evidence(client, clock, [sf.upload("pdf")])
    link = issued_link(evidence)

    shown = client.get(f"{link}/withdraw")

    assert shown.status_code == 200
    assert h1_text(shown) == "Withdraw your response"
    text = text_of(page(shown))
    assert (
        f"You are about to withdraw your written evidence, reference {evidence.reference}" in text
    )
    for said in (
        "we delete it, your documents and your personal details",
        "it will not be counted, read or published",
        "we send you an email to confirm it",
        "You cannot undo this. To take part again, you would need to send a new response.",
    ):
        assert said in text, said
    assert "call" not in text and "answers" not in text
    button = page(shown).find("form", attrs={"action": f"{link}/withdraw"}).find("button")
    assert text_of(button) == "Withdraw your response"
    assert link_named(shown, "Keep your response") == link
    assert count(Response, id=evidence.id) == 1  # looking withdraws nothing


# What each kind of response takes with it: a survey its answers, evidence its documents,
# a message only the respondent's details; a message is never published.
HELD = {
    "survey": (
        "it, your answers and your personal details",
        "counted, read or published",
    ),
    "evidence": ("it and your personal details", "counted, read or published"),
    "message": ("it and your personal details", "counted or read"),
}


def send_one(client, clock, kind: str) -> Response:
    if kind == "survey":
        return send_survey(client, clock)
    if kind == "evidence":
        return send_evidence(client, clock)  # with no documents
    return send_a_message(client, clock)[0]


@pytest.mark.parametrize("kind", HELD)
def test_both_pages_say_what_goes_with_each_kind_of_response(client, clock, consultation, kind):
    link = issued_link(send_one(client, clock, kind))
    deleted, not_used = HELD[kind]

    before = text_of(page(client.get(f"{link}/withdraw")))
    assert redirect_path(confirm(client, clock, link)) == WITHDRAWN
    after = text_of(page(client.get(WITHDRAWN)))

    assert f"we delete {deleted} " in before
    assert f"it will not be {not_used} " in before
    assert f"We have deleted {deleted}. It will not be {not_used}." in after
    if kind != "survey":
        assert "answers" not in before + after
    if kind == "message":
        assert "publish" not in before + after


def test_after_the_close_the_confirmation_page_says_no_new_response_can_be_sent(
    client, clock, consultation
):
    evidence_link = issued_link(send_evidence(client, clock))
    message_link = issued_link(send_a_message(client, clock)[0])
    clock.set(consultation.closes_at + timedelta(days=1))

    evidence_page = text_of(page(client.get(f"{evidence_link}/withdraw")))
    message_page = text_of(page(client.get(f"{message_link}/withdraw")))

    closed = "You cannot undo this. The consultation has closed, so you cannot send a new response."
    assert closed in evidence_page
    # Messages are still taken after the close, so one can be sent again.
    assert "To take part again, you would need to send a new response." in message_page
    assert "has closed" not in message_page


def test_a_call_still_to_come_is_named_on_the_confirmation_page(client, clock, consultation):
    (slot,) = publish(consultation, clock.now + timedelta(days=2))
    message, call_page = send_a_message(client, clock)
    assert choose(client, call_page, slot).status_code == 303

    shown = client.get(f"{issued_link(message)}/withdraw")

    assert (
        "your call with Sam Okafor on Wednesday 3 February 2027, midday to 12:30pm UK time is"
        " cancelled, and we tell them" in text_of(page(shown))
    )


# --- withdrawing ----------------------------------------------------------------------------------


def test_withdrawn_evidence_is_gone_with_its_documents_and_its_emails_still_waiting(
    app, client, clock, consultation, smtp_server
):
    evidence = send_evidence(client, clock, [sf.upload("pdf"), sf.upload("txt")])
    other = send_evidence(new_browser(app), clock, [sf.upload("odt")], email="bo@example.org")
    reference, evidence_id = evidence.reference, evidence.id
    names = {a.stored_name for a in evidence.attachments}
    assert names <= set(files_on_disk(app))
    link = issued_link(evidence)  # as the receipt carries, which is not delivered yet

    done = confirm(client, clock, link)

    assert done.status_code == 303 and redirect_path(done) == WITHDRAWN
    shown = client.get(WITHDRAWN)
    assert h1_text(shown) == "Your response has been withdrawn"
    text = text_of(page(shown))
    assert reference in text
    assert "We have sent you an email to confirm it." in text
    assert count(Response, id=evidence_id) == 0
    assert count(Attachment, response_id=evidence_id) == 0
    assert not names & set(files_on_disk(app))
    assert {a.stored_name for a in other.attachments} <= set(files_on_disk(app))
    assert emails_about(reference) == ["withdrawn_alert", "withdrawn_receipt"]
    assert emails_about(other.reference) == ["alert", "receipt"]
    assert len(outbox()) == 4
    assert client.get(link).status_code == 404
    assert h1_text(client.get(link)) == NOT_WORKING
    deliver(clock.now)
    (receipt,) = smtp_server.to(ADA)
    assert (
        str(receipt.message["Subject"]) == f"Your written evidence {reference} has been withdrawn"
    )
    said = receipt.text.replace("\r\n", " ").replace("\n", " ")
    assert "We have deleted it, your documents and your personal details." in said
    assert "It will not be counted, read or published." in said
    officers = [m for m in smtp_server.to(OFFICER) if "withdrawn" in str(m.message["Subject"])]
    (alert,) = officers
    assert reference in alert.text
    assert "Ada" not in alert.text and ADA not in alert.text


def test_the_audit_log_says_what_was_withdrawn_without_who_sent_it(client, clock, consultation):
    evidence = send_evidence(client, clock)
    reference = evidence.reference

    confirm(client, clock, issued_link(evidence))

    (event,) = audit_events("respondent_withdraw")
    assert event.actor == "respondent"
    assert event.consultation_id == consultation.id
    assert event.detail == f"Response {reference} (Written evidence) withdrawn by the respondent"
    assert audited("delete_response") == []


def test_a_withdrawn_survey_response_is_no_longer_counted(client, clock, consultation, smtp_server):
    response = send_survey(client, clock)
    link = receipt_link(smtp_server, clock, response.reference)
    assert count(ChoiceAnswer, response_id=response.id) == 3
    assert channels.submission_counts(consultation)["Survey responses"] == 1
    response_id = response.id

    assert redirect_path(confirm(client, clock, link)) == WITHDRAWN

    assert count(Response, id=response_id) == 0
    assert count(ChoiceAnswer, response_id=response_id) == 0
    db.session.rollback()
    assert channels.submission_counts(consultation)["Survey responses"] == 0


def test_withdrawing_a_message_cancels_its_call_and_both_are_told(
    client, clock, consultation, smtp_server
):
    (slot,) = publish(consultation, clock.now + timedelta(days=2))
    message, call_page = send_a_message(client, clock)
    assert choose(client, call_page, slot).status_code == 303
    link = receipt_link(smtp_server, clock, message.reference)
    booked = db.session.scalar(select(Booking).filter_by(status=BOOKED))
    uid, sequence = booked.uid, booked.sequence
    message_id, reference = message.id, message.reference
    smtp_server.clear()

    assert redirect_path(confirm(client, clock, link)) == WITHDRAWN

    assert count(Response, id=message_id) == 0
    assert count(Booking) == 0
    deliver(clock.now)
    cancellations = [m for m in smtp_server.received if "text/calendar" in str(m.raw)]
    assert len(cancellations) == 2
    (to_ada,) = [m for m in cancellations if ADA in m.rcpt_tos]
    (to_officer,) = [m for m in cancellations if OFFICER in m.rcpt_tos]
    # The officer is told it was withdrawn, but not who sent it (as the withdraw page says).
    officer_said, ada_said = cancelled_with_its_message(to_officer, to_ada, uid, sequence)
    assert officer_said.startswith(
        f"Call for message {reference} cancelled: the message was withdrawn"
    )
    assert (
        f'The call for message {reference} about "{TITLE}" has been cancelled:'
        " the respondent withdrew the message."
    ) in officer_said
    assert (
        f'Your call with Sam Okafor about "{TITLE}" is cancelled because you withdrew your message.'
    ) in ada_said
    (confirmation,) = [m for m in smtp_server.to(ADA) if "withdrawn" in str(m.message["Subject"])]
    said = confirmation.text.replace("\r\n", " ").replace("\n", " ")
    assert "We have deleted it and your personal details. It will not be counted or read." in said
    assert client.get(call_page).status_code == 404


def test_a_response_can_be_withdrawn_after_the_close(client, clock, consultation):
    evidence = send_evidence(client, clock)
    link, evidence_id = issued_link(evidence), evidence.id
    clock.set(consultation.closes_at + timedelta(days=30))

    assert redirect_path(confirm(client, clock, link)) == WITHDRAWN
    assert count(Response, id=evidence_id) == 0


def test_a_change_made_before_the_withdrawal_goes_with_it(client, clock, consultation):
    evidence = send_evidence(client, clock)
    link, evidence_id = issued_link(evidence), evidence.id
    sending = ChangeSending("t" * 32, 1, clock.now, False, token_of(link))
    assert change_publication(stored(evidence_id), "no", sending) is Outcome.CHANGED
    assert count(ResponseVersion, response_id=evidence_id) == 1
    assert len(outbox("receipt")) == 2

    confirm(client, clock, link)

    assert count(Response, id=evidence_id) == 0
    assert count(ResponseVersion, response_id=evidence_id) == 0
    assert [e.kind for e in outbox()] == ["withdrawn_alert", "withdrawn_receipt"]


# --- once, and only once ------------------------------------------------------------------------


def test_sending_the_form_twice_ends_on_the_withdrawn_page_with_one_set_of_emails(
    client, clock, consultation
):
    link = issued_link(send_evidence(client, clock))
    shown = client.get(f"{link}/withdraw")
    clock.advance(seconds=2)

    answers = [send_shown(client, shown, {}) for _ in range(2)]

    assert [(a.status_code, redirect_path(a)) for a in answers] == [(303, WITHDRAWN)] * 2
    assert sorted(e.kind for e in outbox()) == ["withdrawn_alert", "withdrawn_receipt"]
    assert len(audited("respondent_withdraw")) == 1


def test_another_device_sending_after_the_withdrawal_is_told_the_link_no_longer_works(
    app, client, clock, consultation
):
    link = issued_link(send_evidence(client, clock))
    other = new_browser(app)
    their_page = other.get(f"{link}/withdraw")
    confirm(client, clock, link)

    late = send_shown(other, their_page, {})

    assert late.status_code == 404 and h1_text(late) == NOT_WORKING
    assert len(outbox("withdrawn_receipt")) == 1


def test_two_withdrawals_at_the_same_moment_withdraw_once(app, client, clock, consultation):
    evidence = send_evidence(client, clock, [sf.upload("pdf")])
    reference, evidence_id = evidence.reference, evidence.id
    token = token_of(issued_link(evidence))

    def withdraw_by_link() -> str | None:
        found = links.find(token)
        return withdraw(found, clock.now) if found is not None else None

    results = at_once([withdraw_by_link, withdraw_by_link], context=app.app_context, timeout=30)

    assert sorted(results, key=str) == sorted([reference, None], key=str)
    assert count(Response, id=evidence_id) == 0
    assert len(audited("respondent_withdraw")) == 1
    assert sorted(e.kind for e in outbox()) == ["withdrawn_alert", "withdrawn_receipt"]


def test_a_withdrawal_with_a_link_replaced_meanwhile_withdraws_nothing(
    app, client, clock, consultation
):
    evidence = send_evidence(client, clock)
    response = stored(evidence.id)  # as the request that opened the old link read it
    with app.app_context():  # meanwhile another request sends a new link
        links.issue(db.session.get(Response, evidence.id))
        db.session.commit()

    assert withdraw(response, clock.now) is None
    db.session.rollback()
    assert count(Response, id=evidence.id) == 1
    assert outbox("withdrawn_receipt") == []


def test_the_withdrawn_page_says_nothing_to_a_browser_that_withdrew_nothing(client, consultation):
    assert client.get(WITHDRAWN).status_code == 404


def test_a_form_sent_by_a_bot_withdraws_nothing(client, clock, consultation):
    evidence = send_evidence(client, clock)
    link = issued_link(evidence)

    answer = open_and_send(client, clock, f"{link}/withdraw", {"website": "http://spam"})

    assert answer.status_code == 200 and h1_text(answer) == "Thank you"
    assert count(Response, id=evidence.id) == 1
    assert count(OutboxEmail, kind="withdrawn_receipt") == 0


def test_the_withdrawal_email_names_the_consultation(client, clock, consultation, smtp_server):
    evidence = send_evidence(client, clock)
    reference = evidence.reference
    link = receipt_link(smtp_server, clock, reference)
    smtp_server.clear()

    confirm(client, clock, link)
    deliver(clock.now)

    (receipt,) = smtp_server.to(ADA)
    assert f'written evidence {reference} to "{TITLE}"' in receipt.text


def test_once_sent_the_emails_of_a_withdrawal_keep_no_trace_of_who_withdrew(
    client, clock, consultation, smtp_server
):
    (slot,) = publish(consultation, clock.now + timedelta(days=2))
    message, call_page = send_a_message(client, clock)
    assert choose(client, call_page, slot).status_code == 303
    link = receipt_link(smtp_server, clock, message.reference)
    name = message.name
    smtp_server.clear()

    confirm(client, clock, link)
    waiting = outbox("withdrawn_receipt") + outbox("call_cancelled")
    assert len(waiting) == 3  # her confirmation and the cancellation, to her and the officer
    # Before they go, hers are addressed to her and each cancellation has a calendar file
    # (the officer's names no one, but its event still lists her address as the attendee).
    assert sorted(ADA in email.to_addr for email in waiting) == [False, True, True]
    assert all(email.attachments for email in outbox("call_cancelled"))
    deliver(clock.now)

    assert len(smtp_server.to(ADA)) == 2  # both reached her first
    kept = outbox("withdrawn_receipt") + outbox("call_cancelled")
    assert {email.status for email in kept} == {"sent"}
    for email in kept:
        written = " ".join(
            [email.to_addr, email.cc_addr, email.reply_to, email.subject, email.body_text]
        )
        assert ADA not in written and name not in written and name not in email.body_html
        assert email.attachments == []
