"""The emails the site sends about events: alerts and receipts, deadline reminders,
summaries, digests (a call's emails are app.calls.emails').

Everything here only queues rows through app.outbox inside the caller's transaction;
the worker delivers them.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.calls.emails import queue_call_reminders
from app.consultations.lifecycle import State
from app.extensions import db
from app.formatting.csv_safety import safe_cell
from app.intake import channels
from app.intake.versions import Change
from app.mail.compose import officer, queue_once, site_url
from app.mail.outbox import DIGESTED, HELD, EmailAttachment, address, queue_email
from app.models import Consultation, OutboxEmail

# The officer's reminder comes this long before the deadline (a call's: calls.rules).
DEADLINE_REMINDER_BEFORE = timedelta(hours=24)
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
    # The respondent's private link to view, change or withdraw it: in the receipt only.
    link_url: str = ""
    # 1 as first sent; more once the respondent has changed it.
    version: int = 1
    # Sent with the box for news of the consultation ticked: the receipt says what follows.
    following: bool = False

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


def notify_submission(submission: Submission, now: datetime) -> None:
    """Queue the officer's alert (or hold it for the digest) and the respondent's receipt."""
    _queue_alert_and_receipt(
        submission,
        f"{submission.kind}:{submission.reference}",
        ("officer_alert", "receipt"),
        {"submission": submission, "consultation": submission.consultation},
        payload=submission.digest_row(),
        receipt_to=submission.email,
        attachments=submission.attachments,
        now=now,
    )


def notify_change(
    submission: Submission, changes: list[Change], now: datetime, moved_from: str = ""
) -> None:
    """Queue the officer's alert that a response was changed by its respondent (or hold it
    for the digest), and the respondent's receipt listing what changed, copied to
    `moved_from`, the address it was sent from, when the change gave it another."""
    # Keys end with the reference, as the first emails' do: withdrawing the response
    # deletes any of them still waiting.
    _queue_alert_and_receipt(
        submission,
        f"{submission.kind}:v{submission.version}:{submission.reference}",
        ("change_alert", "change_receipt"),
        {"submission": submission, "consultation": submission.consultation, "changes": changes},
        payload=submission.digest_row() | {"kind": f"{submission.kind_label} (changed)"},
        receipt_to=submission.email or moved_from,
        receipt_cc=moved_from if submission.email else "",
        now=now,
    )


def _queue_alert_and_receipt(
    submission: Submission,
    key: str,
    templates: tuple[str, str],
    context: dict,
    *,
    payload: dict[str, str],
    receipt_to: str,
    now: datetime,
    receipt_cc: str = "",
    attachments: list[EmailAttachment] | None = None,
) -> None:
    """Queue the officer's alert, or hold it for the digest, and the receipt, when there
    is an address to send it to: both about `submission`, their event keys ending `key`."""
    consultation = submission.consultation
    to, cc = officer(consultation)
    alert_template, receipt_template = templates
    queue_email(
        event_key=f"alert:{key}",
        kind="alert",
        to=to,
        cc=cc,
        reply_to=address(submission.name, submission.email) if submission.email else "",
        template=alert_template,
        context=context,
        consultation=consultation,
        attachments=attachments,
        payload=payload,
        held=consultation.alert_mode == "daily",
        now=now,
    )
    if receipt_to:
        queue_email(
            event_key=f"receipt:{key}",
            kind="receipt",
            to=address(submission.name, receipt_to),
            cc=address("", receipt_cc) if receipt_cc else "",
            reply_to=to,
            template=receipt_template,
            context=context,
            consultation=consultation,
            attachments=attachments,
            now=now,
        )


@dataclass(frozen=True)
class Withdrawal:
    """A response its respondent withdrew: no more than the emails about it need."""

    kind: str  # as Submission.kind
    kind_label: str
    reference: str
    consultation: Consultation
    name: str
    email: str
    withdrawn_at: datetime
    # What went with it besides the respondent's details, as the confirmation says.
    held: dict[str, bool] = field(default_factory=dict)


def notify_withdrawal(withdrawal: Withdrawal, now: datetime) -> None:
    """Queue the respondent's confirmation that the response is gone, and tell the officer
    (or hold it for the digest): by reference, with no personal details."""
    consultation = withdrawal.consultation
    to, cc = officer(consultation)
    context = {"withdrawal": withdrawal, "consultation": consultation}
    # Random endings: a reference is free again once its response is gone.
    ending = f"{withdrawal.reference}:{secrets.token_hex(8)}"
    queue_email(
        event_key=f"withdrawn-alert:{ending}",
        kind="withdrawn_alert",
        to=to,
        cc=cc,
        template="withdrawal_alert",
        context=context,
        consultation=consultation,
        payload={
            "reference": withdrawal.reference,
            "kind": f"{withdrawal.kind_label} (withdrawn)",
            "submitted_at": withdrawal.withdrawn_at.isoformat(),
            "late": "no",
            "event": "withdrawn",
        },
        held=consultation.alert_mode == "daily",
        now=now,
    )
    if withdrawal.email:
        queue_email(
            event_key=f"withdrawn-receipt:{ending}",
            kind="withdrawn_receipt",
            to=address(withdrawal.name, withdrawal.email),
            reply_to=to,
            template="withdrawal_receipt",
            context=context,
            consultation=consultation,
            forget_when_sent=True,  # they asked for their details to be deleted
            now=now,
        )


@dataclass(frozen=True)
class LinkSent:
    """One response in the email that replaces lost links: what it was, and its new link."""

    consultation_title: str
    kind_label: str
    reference: str
    submitted_at: datetime
    link_url: str


def queue_new_links(email: str, sent: list[LinkSent], event_key: str, now: datetime) -> bool:
    """Email new links for the responses sent from this address, to it, once per
    `event_key`. Returns whether it was queued."""
    return queue_once(
        event_key,
        kind="new_links",
        to=address("", email),
        template="new_links",
        context={"sent": sent},
        now=now,
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%MZ")


def _queue_deadline_notice(consultation: Consultation, kind: str, now: datetime) -> bool:
    """Queue the officer's reminder or closing summary for the current deadline, once."""
    to, cc = officer(consultation)
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
        Consultation.published_at.is_not(None),
        Consultation.closes_at > now,
        Consultation.closes_at <= now + DEADLINE_REMINDER_BEFORE,
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
        Consultation.published_at.is_not(None),
        Consultation.closes_at <= now,
        Consultation.closes_at > now - SUMMARY_WITHIN,
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
        to, cc = officer(consultation)
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
