"""Removing personal data: an admin deleting one response when its respondent asks, and
`flask purge --older-than DAYS` for consultations closed longer ago than that.

Responses a test deletes are sent through the public forms, as respondents send them;
the purge's tests build responses straight in the database when what matters is what
the purge does to them, and use the forms for one whole story.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.evidence import files
from app.extensions import db
from app.intake import links, search
from app.intake.changes import ChangeSending, Outcome, apply_change
from app.intake.submissions import new_reference, new_token
from app.models import (
    BOOKED,
    DRAFT,
    SUBMITTED,
    Attachment,
    AuditEvent,
    Booking,
    ChoiceAnswer,
    Consultation,
    Note,
    OutboxEmail,
    Response,
    ResponseVersion,
    Tag,
    response_tag,
)
from app.survey import results
from tests.support import sample_files as sf
from tests.support.cancelled_calls import cancelled_with_its_message
from tests.support.clients import CheckedClient, new_browser
from tests.support.contact import (
    call_url,
    choose,
    deliver,
    publish,
    send_message,
)
from tests.support.factories import ADMIN_EMAIL, AuthActions, consultation_fields, csrf_token
from tests.support.pages import error_messages, hidden_fields, page, stamped_form, text_of

SLUG = "test-consultation"
TITLE = "Community services review"
OFFICER = "officer@example.org"
RESPONSES_URL = f"/admin/consultations/{SLUG}/responses"
EVIDENCE_URL = f"/consultations/{SLUG}/evidence"
SURVEY_URL = f"/consultations/{SLUG}/survey"
ADA = {"name": "Ada Jones", "email": "ada@example.org"}
EVIDENCE = {
    **ADA,
    "respondent_type": "Community organisation",
    "organisation": "Northside Food Bank",
    "topics": ["Trends", "Local successes"],
    "evidence": "Payment arrives 90 days after invoicing, so we borrow to pay staff.",
    "publish": "anonymous",
    "consent": "y",
}
SURVEY_ROUTE = {  # a council officer: pages 1, 3 and 4 of tests/support/factories.py's survey
    1: {"q_role": "Council officer", "q_postcode": "AB1 2CD"},
    3: {"q_commissions": "yes", "q_budget": "12"},
    4: {
        "q_confidence": "2",
        "q_story": "Too few suppliers.",
        "q_contact_email": "ada.work@example.org",
    },
}
SURVEY_DETAILS = {**ADA, "respond_as": "individual", "publish": "anonymous", "consent": "y"}


# --- sending responses as respondents do ------------------------------------------------------


def sent_form(client, path: str, fields: dict) -> str:
    """Open the form at `path`, send it with `fields` over its hidden ones; where it leads."""
    shown = client.get(path)
    assert shown.status_code == 200, (path, shown.status_code)
    data = {**hidden_fields(shown), **fields}
    sent = client.post(stamped_form(page(shown))["action"], data=data)
    assert sent.status_code == 303, (path, error_messages(sent))
    return sent.headers["Location"]


def send_survey(client, clock) -> Response:
    """Answer the survey as a council officer and send it."""
    for number, fields in SURVEY_ROUTE.items():
        sent_form(client, f"{SURVEY_URL}/pages/{number}", fields)
    sent_form(client, f"{SURVEY_URL}/details", SURVEY_DETAILS)
    clock.advance(seconds=5)
    sent_form(client, f"{SURVEY_URL}/check", {})
    return latest("survey")


def send_evidence(client, clock, documents: list[sf.Upload], **changes: Any) -> Response:
    """Send written evidence with `documents`, as a browser sends a form with files."""
    shown = client.get(EVIDENCE_URL)
    clock.advance(seconds=5)
    fields = [*hidden_fields(shown).items(), ("website", "")]
    for name, value in {**EVIDENCE, **changes}.items():
        fields += [(name, item) for item in (value if isinstance(value, list) else [value])]
    fields += [("documents", document) for document in documents]
    body, content_type = sf.multipart(fields)
    sent = client.post(EVIDENCE_URL, data=body, content_type=content_type)
    assert sent.status_code == 303, error_messages(sent)
    return latest("evidence")


def latest(channel: str) -> Response:
    db.session.rollback()
    return db.session.scalar(
        select(Response).filter_by(channel=channel, status=SUBMITTED).order_by(Response.id.desc())
    )


@pytest.fixture
def admin(app, admin_user) -> CheckedClient:
    """A browser signed in as an admin, apart from the respondents' browsers."""
    browser = new_browser(app)
    assert AuthActions(browser).login().status_code == 303
    return browser


# --- reading what is stored -------------------------------------------------------------------


def count(model, **where: Any) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def event_keys() -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(select(OutboxEmail.event_key)))


def audit(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id))
    )


def stored_files(app: Flask) -> set[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def delete_url(response: Response) -> str:
    return f"/admin/responses/{response.id}/delete"


def confirm_delete(client, response: Response):
    """Press "Delete this response" on the confirmation page."""
    return client.post(
        delete_url(response), data={"csrf_token": csrf_token(client, delete_url(response))}
    )


# --- deleting one response: who may ------------------------------------------------------------


def test_deleting_needs_a_signed_in_user(app, client, clock, survey):
    evidence = send_evidence(client, clock, [])
    anonymous = new_browser(app)
    token = csrf_token(anonymous, "/admin/login")

    for answer in (
        anonymous.get(delete_url(evidence)),
        anonymous.post(delete_url(evidence), data={"csrf_token": token}),
    ):
        assert answer.status_code == 302
        assert urlsplit(answer.headers["Location"]).path == "/admin/login"
    assert count(Response, id=evidence.id) == 1


def test_a_policy_officer_may_not_delete_a_response(client, clock, survey, officer):
    evidence = send_evidence(client, clock, [])
    token = csrf_token(officer, "/admin/")

    assert officer.get(delete_url(evidence)).status_code == 403
    assert officer.post(delete_url(evidence), data={"csrf_token": token}).status_code == 403
    assert count(Response, id=evidence.id) == 1
    assert audit("delete_response") == []


def test_deleting_needs_the_forms_csrf_token(client, clock, survey, admin):
    evidence = send_evidence(client, clock, [])

    assert admin.post(delete_url(evidence)).status_code == 400
    assert admin.post(delete_url(evidence), data={"csrf_token": "forged"}).status_code == 400
    assert count(Response, id=evidence.id) == 1


@pytest.mark.parametrize("response_id", ["999", "2147483648"])
def test_an_unknown_response_is_not_found(admin, survey, response_id):
    assert admin.get(f"/admin/responses/{response_id}/delete").status_code == 404


def test_a_draft_is_not_found(admin, survey, clock):
    draft = Response(
        consultation=survey,
        channel="survey",
        status=DRAFT,
        token=new_token(),
        answers={},
        pages_done=[],
        started_at=clock.now,
        updated_at=clock.now,
    )
    db.session.add(draft)
    db.session.commit()

    assert admin.get(delete_url(draft)).status_code == 404
    assert (
        admin.post(delete_url(draft), data={"csrf_token": csrf_token(admin, "/admin/")}).status_code
        == 404
    )
    assert count(Response, id=draft.id) == 1


# --- deleting one response: what it does -------------------------------------------------------


def test_the_confirmation_page_says_what_will_be_deleted(client, clock, survey, admin):
    evidence = send_evidence(client, clock, [sf.upload("pdf"), sf.upload("txt")])

    shown = admin.get(delete_url(evidence))

    assert shown.status_code == 200
    soup = page(shown)
    assert text_of(soup.find("h1")) == f"Delete response {evidence.reference}"
    rows = {text_of(row.find("dt")): text_of(row.find("dd")) for row in soup.select("dl > div")}
    assert rows == {
        "Reference": evidence.reference,
        "Type": "Written evidence",
        "Name": "Ada Jones",
        "Email address": "ada@example.org",
        "Documents": "2",
    }
    assert "This cannot be undone." in text_of(soup)
    form = soup.find("form", attrs={"action": delete_url(evidence)})
    assert text_of(form.find("button")) == "Delete this response"
    assert soup.find("a", href=f"/admin/responses/{evidence.id}") is not None
    assert count(Response, id=evidence.id) == 1  # looking deletes nothing


def test_deleting_evidence_removes_it_its_documents_notes_tags_and_emails(
    app, client, clock, survey, admin
):
    evidence = send_evidence(client, clock, [sf.upload("pdf"), sf.upload("docx")])
    other = send_evidence(
        new_browser(app), clock, [sf.upload("txt")], name="Bo Li", email="bo@example.org"
    )
    tag = Tag(consultation_id=survey.id, name="Cost")
    db.session.add_all([tag, Note(response_id=evidence.id, author=ADMIN_EMAIL, text="Call back")])
    db.session.flush()
    db.session.execute(response_tag.insert(), [{"response_id": evidence.id, "tag_id": tag.id}])
    db.session.commit()
    names = {a.stored_name for a in evidence.attachments}
    assert len(names) == 2 and names <= stored_files(app)
    ours = {f"alert:evidence:{evidence.reference}", f"receipt:evidence:{evidence.reference}"}
    theirs = {f"alert:evidence:{other.reference}", f"receipt:evidence:{other.reference}"}
    assert ours | theirs <= event_keys()

    reference, evidence_id = evidence.reference, evidence.id

    deleted = confirm_delete(admin, evidence)

    assert deleted.status_code == 303
    assert urlsplit(deleted.headers["Location"]).path == RESPONSES_URL
    assert flashes(admin) == [f"Response {reference} deleted."]
    assert count(Response, id=evidence_id) == 0
    assert count(Attachment, response_id=evidence_id) == 0
    assert count(Note, response_id=evidence_id) == 0
    assert count(response_tag, response_id=evidence_id) == 0
    assert count(Tag, id=tag.id) == 1  # the tag itself stays for the others
    assert not names & stored_files(app)
    assert ours.isdisjoint(event_keys())
    # Only that respondent's: the other response, its document and its emails stay.
    assert count(Response, id=other.id) == 1
    assert {a.stored_name for a in other.attachments} <= stored_files(app)
    assert theirs <= event_keys()


def test_the_audit_log_says_what_was_deleted_without_who_sent_it(client, clock, survey, admin):
    evidence = send_evidence(client, clock, [])
    reference = evidence.reference

    confirm_delete(admin, evidence)

    (event,) = audit("delete_response")
    assert event.actor == ADMIN_EMAIL
    assert event.consultation_id == survey.id
    assert event.detail == (
        f"Deleted response {reference} (Written evidence) at the respondent's request"
    )
    assert "Ada" not in event.detail and "ada@example.org" not in event.detail


def test_deleting_a_survey_response_removes_its_counted_choices(client, clock, survey, admin):
    response = send_survey(client, clock)
    assert response.answers["role"] == "Council officer"
    assert count(ChoiceAnswer, response_id=response.id) == 3  # role, commissions, confidence
    assert count(OutboxEmail) == 2
    reference, response_id = response.reference, response.id

    confirm_delete(admin, response)

    assert count(Response, id=response_id) == 0
    assert count(ChoiceAnswer, response_id=response_id) == 0
    assert count(OutboxEmail) == 0
    (event,) = audit("delete_response")
    assert event.detail == f"Deleted response {reference} (Survey) at the respondent's request"


def test_a_document_already_gone_from_disk_does_not_stop_the_delete(
    app, client, clock, survey, admin
):
    evidence = send_evidence(client, clock, [sf.upload("pdf")])
    (Path(app.config["UPLOAD_FOLDER"]) / evidence.attachments[0].stored_name).unlink()
    evidence_id = evidence.id

    assert confirm_delete(admin, evidence).status_code == 303
    assert count(Response, id=evidence_id) == 0


@pytest.fixture
def booked_call(app, client, clock, survey, smtp_server):
    """A message whose call, a week ahead, is booked and whose invites have gone."""
    (slot,) = publish(survey, clock.now + timedelta(days=7))
    url = call_url(send_message(client, clock))
    assert choose(client, url, slot).status_code == 303
    deliver(clock.now)
    smtp_server.clear()
    db.session.rollback()
    return db.session.scalar(select(Booking).filter_by(status=BOOKED))


def test_a_call_still_to_come_is_cancelled_and_both_are_told(
    clock, admin, booked_call, smtp_server
):
    message, uid = booked_call.response, booked_call.uid
    sequence = booked_call.sequence
    reference, message_id = message.reference, message.id
    shown = admin.get(delete_url(message))
    assert "The call booked for" in text_of(page(shown))
    keys = event_keys()
    assert {f"alert:message:{reference}", f"receipt:message:{reference}"} <= keys
    assert any(key.startswith(f"call-booked:{uid}:") for key in keys)

    assert confirm_delete(admin, message).status_code == 303

    assert count(Response, id=message_id) == 0
    assert count(Booking) == 0
    db.session.rollback()
    left = db.session.scalars(select(OutboxEmail)).all()
    assert sorted((email.kind, email.status) for email in left) == [
        ("call_cancelled", "pending"),
        ("call_cancelled", "pending"),
    ]
    assert all(f":{uid}:" in email.event_key for email in left)
    (event,) = audit("delete_response")
    assert event.detail == f"Deleted response {reference} (Message) at the respondent's request"
    assert audit("cancel_call") == []  # it would name the respondent

    deliver(clock.now)
    (to_respondent,) = smtp_server.to("ann@example.org")
    (to_officer,) = smtp_server.to(OFFICER)
    officer_said, respondent_said = cancelled_with_its_message(
        to_officer, to_respondent, uid, sequence
    )
    assert officer_said.startswith(
        f"Call for message {reference} cancelled:"
        " the message was deleted at the respondent's request"
    )
    assert (
        f'The call for message {reference} about "{TITLE}" has been cancelled:'
        " the message was deleted at the respondent's request."
    ) in officer_said
    assert (
        f'Your call with Sam Okafor about "{TITLE}" is cancelled because your message was'
        " deleted at your request."
    ) in respondent_said
    assert len(smtp_server.received) == 2


def test_a_call_that_has_taken_place_is_deleted_without_a_cancellation(
    clock, admin, booked_call, smtp_server
):
    message = booked_call.response
    clock.set(booked_call.ends_at + timedelta(days=1))

    assert confirm_delete(admin, message).status_code == 303

    assert count(Booking) == 0
    assert count(OutboxEmail) == 0
    deliver(clock.now)
    assert smtp_server.received == []


# --- the purge: building what it works on ------------------------------------------------------


def closed(clock, days_ago: float, slug: str = "closed", **changes: Any) -> Consultation:
    """A consultation whose deadline was `days_ago` days ago."""
    closes_at = clock.now - timedelta(days=days_ago)
    fields = consultation_fields(
        clock.now,
        slug=slug,
        title=f"Consultation {slug}",
        opens_at=closes_at - timedelta(days=42),
        closes_at=closes_at,
    )
    consultation = Consultation(**{**fields, **changes})
    db.session.add(consultation)
    db.session.commit()
    return consultation


PREFIXES = {"survey": "SV", "evidence": "EV", "contact": "CT"}


def submitted(consultation: Consultation, channel: str, **fields: Any) -> Response:
    """A submitted response from Ada, sent a week before the deadline."""
    at = consultation.closes_at - timedelta(days=7)
    values = {
        "consultation": consultation,
        "channel": channel,
        "status": SUBMITTED,
        "token": new_token(),
        "reference": new_reference(PREFIXES[channel]),
        "answers": {},
        "pages_done": [],
        **ADA,
        "consent": True,
        "publish": "named",
        "started_at": at - timedelta(minutes=20),
        "updated_at": at,
        "submitted_at": at,
        **fields,
    }
    response = Response(**values)
    search.index(response)
    db.session.add(response)
    db.session.commit()
    return response


def attach(app: Flask, response: Response, text: str = "Our figures\n") -> str:
    """Store a document for the response, as the evidence form does; its stored name."""
    checked = files.CheckedFile("figures.txt", "txt", text.encode())
    name = files.store(Path(app.config["UPLOAD_FOLDER"]), checked)
    db.session.add(
        Attachment(
            response_id=response.id,
            original_name="figures.txt",
            stored_name=name,
            file_type="txt",
            size=len(checked.data),
            sha256=checked.sha256,
        )
    )
    db.session.commit()
    return name


def email(consultation: Consultation, key: str, status: str, kind: str = "receipt") -> None:
    db.session.add(
        OutboxEmail(
            event_key=key,
            kind=kind,
            consultation=consultation,
            to_addr="Ada Jones <ada@example.org>",
            subject="Your response",
            body_text="Dear Ada Jones",
            body_html="<p>Dear Ada Jones</p>",
            message_id=f"<{key}@example.org>",
            status=status,
        )
    )
    db.session.commit()


def columns(response: Response) -> dict[str, Any]:
    """Every column of the response as stored now."""
    db.session.rollback()
    db.session.refresh(response)
    return {column.key: getattr(response, column.key) for column in Response.__table__.columns}


def purge(runner, days: str = "30"):
    result = runner.invoke(args=["purge", "--older-than", days])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


NOTHING = (
    "Nothing to purge: no consultation closed more than 30 days ago has personal details left."
)


# --- the purge: which consultations ------------------------------------------------------------


def test_only_consultations_closed_longer_ago_than_the_period_are_purged(clock, runner):
    old = submitted(closed(clock, 31, "old"), "evidence", evidence_text="Old evidence")
    recent = submitted(closed(clock, 29, "recent"), "evidence")
    forced_open = submitted(closed(clock, 31, "forced-open", override="open"), "evidence")
    still_open = submitted(closed(clock, -3, "still-open"), "evidence")

    assert purge(runner) == [
        "Consultation old: removed personal details from 1 response; deleted 0 drafts,"
        " 0 documents and 0 emails."
    ]

    assert columns(old)["name"] == ""
    for kept in (recent, forced_open, still_open):
        assert (columns(kept)["name"], columns(kept)["purged_at"]) == ("Ada Jones", None)


def test_a_consultation_closed_by_hand_before_its_deadline_waits_for_its_deadline(clock, runner):
    response = submitted(closed(clock, -3, "closed-early", override="closed"), "evidence")

    assert purge(runner, "0") == [
        "Nothing to purge: no consultation closed more than 0 days ago has personal details left."
    ]
    assert columns(response)["name"] == "Ada Jones"


def test_with_nothing_to_purge_it_says_so(clock, runner, make_consultation):
    make_consultation()

    assert purge(runner) == [NOTHING]
    assert audit("purge") == []


# --- the purge: what goes and what stays -------------------------------------------------------


@pytest.fixture
def old_survey(make_survey, clock) -> Consultation:
    """tests/support/factories.py's survey, closed 40 days ago."""
    return make_survey(
        opens_at=clock.now - timedelta(days=90), closes_at=clock.now - timedelta(days=40)
    )


def test_each_response_loses_the_respondents_details_and_keeps_what_they_said(
    app, clock, runner, old_survey
):
    answers = {
        "role": "Council officer",
        "commissions": "yes",
        "budget": 12,
        "confidence": "4",
        "contact_email": "ada.work@example.org",
    }
    survey_response = submitted(
        old_survey, "survey", answers=answers, respond_as="organisation", organisation="Eastfield"
    )
    evidence = submitted(
        old_survey,
        "evidence",
        organisation="Northside Food Bank",
        respondent_type="Community organisation",
        topics=["Trends"],
        evidence_text="Payment arrives 90 days late.",
        publish="anonymous",
        late=True,
    )
    message = submitted(
        old_survey,
        "contact",
        phone="+442079460123",
        subject="Bus routes",
        message="The 42 no longer runs.",
        wants_call=True,
        organisation="Riverside Tenants",
    )
    results.record(survey_response, list(old_survey.questions))
    tag = Tag(consultation_id=old_survey.id, name="Cost")
    db.session.add_all([tag, Note(response_id=evidence.id, author=ADMIN_EMAIL, text="Strong case")])
    db.session.flush()
    db.session.execute(response_tag.insert(), [{"response_id": evidence.id, "tag_id": tag.id}])
    starts = old_survey.closes_at + timedelta(days=2)
    db.session.add(
        Booking(
            response_id=message.id,
            uid="call-1@example.org",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            booked_at=starts - timedelta(days=3),
            updated_at=starts - timedelta(days=3),
        )
    )
    db.session.commit()
    before = {r.id: columns(r) for r in (survey_response, evidence, message)}
    choices = count(ChoiceAnswer, response_id=survey_response.id)
    assert choices == 3

    purge(runner)

    blanked = {"name": "", "email": "", "phone": "", "purged_at": clock.now}
    for response in (survey_response, evidence, message):
        after = columns(response)
        changed = {key for key in after if after[key] != before[response.id][key]}
        expected = set(blanked) | {"token", "search_text"}
        if response.channel == "contact":
            expected |= {"subject", "message"}
            assert (after["subject"], after["message"]) == ("", "")
        if response.channel == "survey":
            expected |= {"answers"}
        # Ada had no telephone number on her survey and evidence: nothing to change there.
        if response.channel != "contact":
            expected -= {"phone"}
        assert changed == expected, response.channel
        assert {key: after[key] for key in blanked} == blanked
        assert after["token"] != before[response.id]["token"]
        assert after["search_text"] == search.text_of(response)
    # An email address typed as an answer goes with the rest of the details.
    assert columns(survey_response)["answers"] == {
        key: value for key, value in answers.items() if key != "contact_email"
    }
    assert count(ChoiceAnswer, response_id=survey_response.id) == choices
    assert count(Note, response_id=evidence.id) == 1
    assert count(response_tag, response_id=evidence.id) == 1
    (booking,) = db.session.scalars(select(Booking)).all()
    assert (booking.starts_at, booking.status) == (starts, BOOKED)


def test_drafts_documents_and_emails_no_longer_to_be_sent_are_deleted(
    app, clock, runner, old_survey
):
    evidence = submitted(old_survey, "evidence", evidence_text="See the figures")
    stored = [attach(app, evidence), attach(app, evidence, "More figures\n")]
    draft = Response(
        consultation=old_survey,
        channel="survey",
        status=DRAFT,
        token=new_token(),
        answers={"role": "Resident"},
        pages_done=[1],
        email="someone@example.org",
        started_at=old_survey.closes_at - timedelta(days=3),
        updated_at=old_survey.closes_at - timedelta(days=3),
    )
    db.session.add(draft)
    db.session.commit()
    draft_id = draft.id
    for status in ("sent", "failed", "digested", "withdrawn"):
        email(old_survey, f"receipt:{status}", status)
    email(old_survey, "receipt:pending", "pending")
    email(old_survey, "alert:held", "held", kind="alert")  # waiting for the daily digest
    other = closed(clock, 10, "other")
    email(other, "receipt:other", "sent")
    assert set(stored) <= stored_files(app)

    assert purge(runner) == [
        f"{TITLE}: removed personal details from 1 response; deleted 1 draft,"
        " 2 documents and 4 emails."
    ]

    assert count(Response, id=draft_id) == 0
    assert count(Attachment) == 0
    assert not set(stored) & stored_files(app)
    assert event_keys() == {"receipt:pending", "alert:held", "receipt:other"}
    (event,) = audit("purge")
    assert (event.actor, event.consultation_id) == ("purge command", old_survey.id)
    assert event.detail == (
        "Removed personal details from 1 response; deleted 1 draft, 2 documents and 4 emails"
    )


def test_the_search_no_longer_finds_the_respondent_but_finds_what_they_wrote(
    clock, runner, old_survey
):
    submitted(old_survey, "evidence", evidence_text="Payment arrives 90 days late.")

    def found(query: str) -> int:
        db.session.rollback()
        return db.session.scalar(select(func.count(Response.id)).where(search.matches(query)))

    assert (found("Ada Jones"), found("ada@example.org"), found("payment late")) == (1, 1, 1)
    purge(runner)
    assert (found("Ada Jones"), found("ada@example.org"), found("payment late")) == (0, 0, 1)


def test_running_it_twice_changes_nothing_the_second_time(app, clock, runner, old_survey):
    evidence = submitted(old_survey, "evidence")
    attach(app, evidence)
    email(old_survey, "receipt:sent", "sent")
    purge(runner)
    after_first = columns(evidence)

    assert purge(runner) == [NOTHING]
    assert columns(evidence) == after_first
    assert len(audit("purge")) == 1


def test_a_message_whose_call_is_still_to_come_keeps_its_details_until_the_call(
    clock, runner, old_survey
):
    message = submitted(old_survey, "contact", phone="+442079460123", subject="Buses")
    starts = clock.now + timedelta(days=2)
    db.session.add(
        Booking(
            response_id=message.id,
            uid="still-to-come@example.org",
            starts_at=starts,
            ends_at=starts + timedelta(minutes=30),
            booked_at=clock.now,
            updated_at=clock.now,
        )
    )
    db.session.commit()
    email(old_survey, "call-booked:still-to-come@example.org:0:respondent", "sent", "call_booked")
    email(old_survey, f"receipt:message:{message.reference}", "sent")

    purge(runner)

    assert (columns(message)["phone"], columns(message)["purged_at"]) == ("+442079460123", None)
    assert event_keys() == {"call-booked:still-to-come@example.org:0:respondent"}

    clock.set(starts + timedelta(hours=1))
    purge(runner)
    assert (columns(message)["phone"], columns(message)["subject"]) == ("", "")
    assert event_keys() == set()


def test_a_closing_summary_stays_while_the_worker_could_still_send_it(clock, runner):
    recent = closed(clock, 3, "recent")
    email(recent, "closing_summary:1:stamp", "sent", "closing_summary")
    email(recent, "receipt:recent", "sent")

    assert purge(runner, "2") == [
        "Consultation recent: removed personal details from 0 responses; deleted 0 drafts,"
        " 0 documents and 1 email."
    ]
    assert event_keys() == {"closing_summary:1:stamp"}


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--older-than", "-1"], "Invalid value for '--older-than'"),
        (["--older-than", "thirty"], "Invalid value for '--older-than'"),
        (["--older-than", "99999999999"], "Invalid value for '--older-than'"),
        ([], "Missing option '--older-than'"),
    ],
)
def test_a_wrong_period_is_a_usage_error(runner, args, problem):
    result = runner.invoke(args=["purge", *args])

    assert result.exit_code == 2
    assert problem in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_the_respondents_link_stops_working_and_the_versions_they_replaced_go(
    app, clock, runner, old_survey
):
    evidence = submitted(old_survey, "evidence", evidence_text="As first sent, by Ada Jones")
    token = links.issue(evidence)
    db.session.commit()
    sending = ChangeSending(new_token(), 1, clock.now, False, token)
    changed = apply_change(evidence, sending, lambda r: setattr(r, "evidence_text", "As changed"))
    assert changed is Outcome.CHANGED
    assert count(ResponseVersion, response_id=evidence.id) == 1
    browser = new_browser(app)
    assert browser.get(f"/your-response/{token}").status_code == 200

    purge(runner)

    assert columns(evidence)["link_hash"] is None
    assert columns(evidence)["evidence_text"] == "As changed"
    assert count(ResponseVersion, response_id=evidence.id) == 0
    assert browser.get(f"/your-response/{token}").status_code == 404


def test_emails_of_new_links_go_once_older_than_the_period(clock, runner):
    """They belong to no consultation, and hold an address and what was sent from it."""
    for key, status, days_ago in (
        ("new-links:old-sent", "sent", 31),
        ("new-links:old-failed", "failed", 31),
        ("new-links:old-pending", "pending", 31),  # the worker would otherwise lose it
        ("new-links:recent", "sent", 29),
    ):
        db.session.add(
            OutboxEmail(
                event_key=key,
                kind="new_links",
                to_addr="ada@example.org",
                subject="Your links to view or change your responses",
                body_text="Written evidence EV-7K2QX9",
                body_html="<p>Written evidence EV-7K2QX9</p>",
                message_id=f"<{key}@example.org>",
                status=status,
                created_at=clock.now - timedelta(days=days_ago),
            )
        )
    db.session.commit()

    purge(runner)

    assert event_keys() == {"new-links:old-pending", "new-links:recent"}
    (event,) = audit("purge")
    assert (event.actor, event.consultation_id) == ("purge command", None)
    assert event.detail == "Deleted 2 emails of new links to responses"


# --- the purge: a whole story through the forms -----------------------------------------------


def test_responses_sent_through_the_forms_are_purged_after_the_period(
    app, client, clock, survey, smtp_server, runner
):
    survey_response = send_survey(client, clock)
    evidence = send_evidence(new_browser(app), clock, [sf.upload("pdf")])
    message_browser = new_browser(app)
    (slot,) = publish(survey, clock.now + timedelta(days=2))
    call_page = call_url(send_message(message_browser, clock))
    assert choose(message_browser, call_page, slot).status_code == 303
    deliver(clock.now)
    assert len(smtp_server.received) == 8  # alerts and receipts of three, two invites
    document = evidence.attachments[0].stored_name
    survey_answers = dict(survey_response.answers)

    clock.set(survey.closes_at + timedelta(days=31))
    assert message_browser.get(call_page).status_code == 200
    lines = purge(runner)

    assert len(lines) == 1
    assert lines[0].startswith(f"{TITLE}: removed personal details from 3 responses; deleted ")
    assert lines[0].endswith(" 1 document and 8 emails.")
    for response in (survey_response, evidence, latest("contact")):
        stored = columns(response)
        assert (stored["name"], stored["email"], stored["purged_at"]) == ("", "", clock.now)
    assert columns(survey_response)["answers"] == {
        key: value for key, value in survey_answers.items() if key != "contact_email"
    }
    assert columns(evidence)["evidence_text"] == EVIDENCE["evidence"]
    assert document not in stored_files(app)
    # The link in the emails that let the respondent change the call leads nowhere now.
    assert message_browser.get(call_page).status_code == 404
    db.session.rollback()
    assert db.session.scalars(select(Booking.status)).all() == [BOOKED]  # kept, for the record


def test_a_message_sent_after_the_close_is_kept_until_it_is_as_old_as_the_period(clock, runner):
    consultation = closed(clock, 60, "late-message")
    early = submitted(consultation, "contact", message="Sent before the close")
    late = submitted(
        consultation,
        "contact",
        message="Sent after the close",
        submitted_at=clock.now - timedelta(days=5),
    )

    purge(runner)

    assert columns(early)["message"] == ""
    assert (columns(late)["name"], columns(late)["message"]) == (
        "Ada Jones",
        "Sent after the close",
    )
    clock.advance(days=26)
    purge(runner)
    assert (columns(late)["name"], columns(late)["message"]) == ("", "")


def test_a_download_is_audited_without_the_documents_name(app, client, clock, survey, admin):
    evidence = send_evidence(client, clock, [sf.upload("pdf")])
    attachment = evidence.attachments[0]

    downloaded = admin.get(f"/admin/attachments/{attachment.id}")
    downloaded.close()

    assert downloaded.status_code == 200
    (event,) = audit("download")
    assert event.detail == (
        f"Downloaded a document (PDF, {attachment.size:,} bytes) from {evidence.reference}"
    )
    assert attachment.original_name not in event.detail
