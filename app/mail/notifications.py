"""The emails the site sends about events: alerts and receipts, reminders, summaries, digests.

Everything here only queues rows through app.outbox inside the caller's transaction;
the worker delivers them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, url_for
from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from app.calls import invites
from app.calls import rules as calls
from app.consultations.lifecycle import State
from app.extensions import db
from app.formatting import phones
from app.formatting.csv_safety import safe_cell
from app.formatting.timefmt import call_time
from app.intake import channels
from app.mail.outbox import DIGESTED, HELD, EmailAttachment, address, queue_email, withdraw
from app.models import BOOKED, Booking, Consultation, OutboxEmail

REMINDER_BEFORE = timedelta(hours=24)
# A summary is only worth sending soon after the close; older closes are history.
SUMMARY_WITHIN = timedelta(days=7)
DIGEST_HOUR = 8  # site time
DIGEST_COLUMNS = [
    "reference",
    "kind",
    "submitted_at",
    "name",
    "organisation",
    "respondent_type",
    "email",
    "late",
]


@dataclass(frozen=True)
class Submission:
    """What came in, as the officer's alert and the respondent's receipt describe it."""

    kind: str  # "survey", "evidence", "message", "booking"
    kind_label: str  # "Survey response"
    reference: str
    consultation: Consultation
    submitted_at: datetime
    admin_url: str
    name: str = ""
    email: str = ""
    organisation: str = ""
    respondent_type: str = ""
    late: bool = False
    # The copy of what was submitted: (question or field, answer).
    details: list[tuple[str, str]] = field(default_factory=list)
    attachment_names: list[str] = field(default_factory=list)
    # Files for both emails, such as a calendar invite.
    attachments: list[EmailAttachment] = field(default_factory=list)
    # What the receipt says happens next, when not the consultation's usual course.
    next_steps: str = ""
    # A link for the respondent to carry on, such as choosing a time for a call.
    action_label: str = ""
    action_url: str = ""

    def digest_row(self) -> dict[str, str]:
        """The facts the daily digest lists and puts in its CSV."""
        return {
            "reference": self.reference,
            "kind": self.kind_label,
            "submitted_at": self.submitted_at.isoformat(),
            "name": self.name,
            "organisation": self.organisation,
            "respondent_type": self.respondent_type,
            "email": self.email,
            "late": "yes" if self.late else "no",
        }


def site_url(endpoint: str, **values: object) -> str:
    """An absolute link built on SITE_URL, never on the Host header a request claims."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return current_app.config["SITE_URL"].rstrip("/") + path


def _officer(consultation: Consultation) -> tuple[str, str]:
    """The officer's address, and the team inbox to copy (POLICY_OFFICER_EMAIL) if set."""
    copy = current_app.config.get("POLICY_OFFICER_EMAIL") or ""
    to = address(consultation.officer_name, consultation.officer_email)
    return to, copy if copy.lower() != consultation.officer_email.lower() else ""


def notify_submission(submission: Submission, now: datetime) -> None:
    """Queue the officer's alert (or hold it for the digest) and the respondent's receipt."""
    consultation = submission.consultation
    to, cc = _officer(consultation)
    context = {"submission": submission, "consultation": consultation}
    queue_email(
        event_key=f"alert:{submission.kind}:{submission.reference}",
        kind="alert",
        to=to,
        cc=cc,
        reply_to=address(submission.name, submission.email) if submission.email else "",
        template="officer_alert",
        context=context,
        consultation=consultation,
        attachments=submission.attachments,
        payload=submission.digest_row(),
        held=consultation.alert_mode == "daily",
        now=now,
    )
    if submission.email:
        queue_email(
            event_key=f"receipt:{submission.kind}:{submission.reference}",
            kind="receipt",
            to=address(submission.name, submission.email),
            reply_to=to,
            template="receipt",
            context=context,
            consultation=consultation,
            attachments=submission.attachments,
            now=now,
        )


def queue_once(event_key: str, **kwargs) -> bool:
    """Queue an email unless its event already has one; two workers racing get one row."""
    if db.session.scalar(select(exists().where(OutboxEmail.event_key == event_key))):
        return False
    try:
        with db.session.begin_nested():
            queue_email(event_key=event_key, **kwargs)
    except IntegrityError:
        return False  # another worker queued it between our check and our insert
    return True


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%MZ")


def _queue_deadline_notice(consultation: Consultation, kind: str, now: datetime) -> bool:
    """Queue the officer's reminder or closing summary for the current deadline, once."""
    to, cc = _officer(consultation)
    return queue_once(
        f"{kind}:{consultation.id}:{_stamp(consultation.closes_at)}",
        kind=kind,
        to=to,
        cc=cc,
        template=kind,
        context={
            "consultation": consultation,
            "counts": channels.submission_counts(consultation),
            "admin_url": site_url("admin.dashboard"),
        },
        consultation=consultation,
        now=now,
    )


def queue_reminders(now: datetime) -> int:
    """A reminder to the officer 24 hours before each deadline, once per deadline."""
    closing_soon = select(Consultation).where(
        Consultation.closes_at > now, Consultation.closes_at <= now + REMINDER_BEFORE
    )
    return sum(
        _queue_deadline_notice(consultation, "reminder", now)
        for consultation in db.session.scalars(closing_soon).all()
        if consultation.state(now) is State.OPEN and consultation.override == "auto"
    )


def queue_closing_summaries(now: datetime) -> int:
    """A summary to the officer once a consultation has closed, once per deadline.

    One an admin keeps open past its deadline is summarised when it really closes.
    """
    recently_closed = select(Consultation).where(
        Consultation.closes_at <= now, Consultation.closes_at > now - SUMMARY_WITHIN
    )
    return sum(
        _queue_deadline_notice(consultation, "closing_summary", now)
        for consultation in db.session.scalars(recently_closed).all()
        if consultation.state(now) is State.CLOSED
    )


def digest_csv(rows: list[dict[str, str]], zone: ZoneInfo) -> bytes:
    """The digest's rows as CSV, in site time, with would-be formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=DIGEST_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        local = dict(row)
        if row.get("submitted_at"):
            submitted = datetime.fromisoformat(row["submitted_at"]).astimezone(zone)
            local["submitted_at"] = submitted.strftime("%Y-%m-%d %H:%M:%S %Z")
        writer.writerow({key: safe_cell(local.get(key, "")) for key in DIGEST_COLUMNS})
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def queue_digests(now: datetime) -> int:
    """Each morning at 8, one email per consultation listing what was held until then.

    Only what arrived before this morning's 8am is listed; anything later waits for
    tomorrow's digest, so every day's digest covers the same 24 hours.
    """
    zone = current_app.config["SITE_ZONE"]
    local = now.astimezone(zone)
    cutoff = local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if local < cutoff:
        return 0
    held = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status == HELD, OutboxEmail.created_at < cutoff)
        .order_by(OutboxEmail.id)
    ).all()
    by_consultation: dict[int, list[OutboxEmail]] = {}
    for email in held:
        if email.consultation_id is not None:
            by_consultation.setdefault(email.consultation_id, []).append(email)
    queued = 0
    for consultation_id, emails in by_consultation.items():
        consultation = db.session.get(Consultation, consultation_id)
        rows = [email.payload for email in emails]
        to, cc = _officer(consultation)
        day = local.date().isoformat()
        if queue_once(
            f"digest:{consultation.id}:{day}",
            kind="digest",
            to=to,
            cc=cc,
            template="digest",
            context={
                "consultation": consultation,
                "rows": rows,
                "admin_url": site_url("admin.dashboard"),
            },
            consultation=consultation,
            attachments=[
                EmailAttachment(
                    f"{consultation.slug}-{day}.csv", "text/csv", digest_csv(rows, zone)
                )
            ],
            now=now,
        ):
            for email in emails:
                email.status = DIGESTED
            queued += 1
    return queued


CALL_PEOPLE = ("respondent", "officer")


def _call_key(booking: Booking, event: str, who: str, sequence: int | None = None) -> str:
    sequence = booking.sequence if sequence is None else sequence
    return f"call-{event}:{booking.uid}:{sequence}:{who}"


def _call_email(booking: Booking, event: str, who: str, now: datetime) -> dict:
    """The queue_email arguments for one person's email about a call, with its invite.

    The invite holds what each needs and no more, since calendars are often shared: the
    officer's has who to call and on what number; neither has the link to change the call.
    """
    message = booking.response
    consultation = message.consultation
    zone = current_app.config["SITE_ZONE"]
    phone = phones.display(message.phone, current_app.config["PHONE_REGION"])
    officer_to, officer_cc = _officer(consultation)
    respondent = address(message.name, message.email)
    for_officer = who == "officer"
    if for_officer:
        summary = f"Call with {message.name}: {consultation.title}"
        description = f"Call {message.name} on {phone}. Their message is {message.reference}."
    else:
        summary = f"Call with {consultation.officer_name}: {consultation.title}"
        description = (
            f"{consultation.officer_name} will call you on {phone}."
            " To change or cancel the call, use the link in our email."
        )
    invite = invites.Invite(
        uid=booking.uid,
        sequence=booking.sequence,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        summary=summary,
        description=description,
        location=f"Telephone call to {phone}",
        organiser_name=consultation.officer_name,
        organiser_email=consultation.officer_email,
        attendee_name=message.name,
        attendee_email=message.email,
    )
    method = invites.CANCEL if event == "cancelled" else invites.REQUEST
    return {
        "event_key": _call_key(booking, event, who),
        "kind": f"call_{event}",
        "to": officer_to if for_officer else respondent,
        "cc": officer_cc if for_officer else "",
        "reply_to": respondent if for_officer else officer_to,
        "template": "call",
        "context": {
            "event": event,
            "for_officer": for_officer,
            "booking": booking,
            "message": message,
            "consultation": consultation,
            "when": call_time(booking.starts_at, booking.ends_at, zone),
            "phone": phone,
            "manage_url": site_url("contact.call", slug=consultation.slug, token=message.token),
            "admin_url": site_url("admin.response", response_id=message.id),
        },
        "consultation": consultation,
        "attachments": [invites.attachment(invite, method, zone, now)],
        "now": now,
    }


def _superseded(booking: Booking) -> list[str]:
    """The emails about the call's earlier states: its invites, moves and reminders."""
    return [
        _call_key(booking, event, who, sequence)
        for sequence in range(booking.sequence)
        for event in ("booked", "moved", "reminder")
        for who in CALL_PEOPLE
    ]


def notify_call(booking: Booking, event: str, now: datetime) -> None:
    """Queue the respondent's and the officer's email about a call that was just booked,
    moved or cancelled, each with the calendar invite or cancellation.

    Sent at once whatever the officer's alert setting: a call cannot wait for a digest.
    Emails about the call's earlier states not sent yet are withdrawn: an invite for the
    old time, or a reminder, arriving after the change would put it back in a calendar.
    """
    withdraw(_superseded(booking))
    for who in CALL_PEOPLE:
        queue_email(**_call_email(booking, event, who, now))


def queue_call_reminders(now: datetime) -> int:
    """A reminder to both, with the invite again, in the 24 hours before each call.

    A reminder not sent by the time its call starts (the mail server was down) is
    withdrawn rather than sent late.
    """
    soon = (
        Booking.status == BOOKED,
        Booking.starts_at > now,
        Booking.starts_at <= now + calls.REMINDER_BEFORE,
    )
    if not db.session.scalar(select(exists().where(*soon))):
        return 0
    # Lock the calls before reading them: the write lock on SQLite, their rows on
    # PostgreSQL. A call cancelled or moved meanwhile then waits for this commit and
    # withdraws the reminder it supersedes, instead of slipping in before it is queued.
    db.session.execute(
        update(Booking)
        .where(*soon)
        .values(sequence=Booking.sequence)
        .execution_options(synchronize_session=False)
    )
    queued = 0
    for booking in db.session.scalars(select(Booking).where(*soon)).all():
        if not calls.reminder_due(booking.starts_at, booking.updated_at, now):
            continue
        for who in CALL_PEOPLE:
            key = _call_key(booking, "reminder", who)
            if db.session.scalar(select(exists().where(OutboxEmail.event_key == key))):
                continue  # queued on an earlier round: build nothing
            email = _call_email(booking, "reminder", who, now)
            queued += queue_once(**email, send_before=booking.starts_at)
    return queued


def queue_scheduled(now: datetime) -> int:
    """Everything the clock makes due: reminders, closing summaries, digests. Commits."""
    queued = (
        queue_reminders(now)
        + queue_closing_summaries(now)
        + queue_digests(now)
        + queue_call_reminders(now)
    )
    db.session.commit()
    return queued
