"""The emails about a call: to the respondent and the officer, each with its calendar
invite, when it is booked, moved or cancelled, and a reminder before it.

Only queued, through app.mail.outbox, inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import exists, select, update

from app.calls import invites
from app.calls.rules import REMINDER_BEFORE
from app.extensions import db
from app.formatting import phones
from app.formatting.timefmt import call_time
from app.mail.compose import officer, queue_once, site_url
from app.mail.outbox import address, queue_email, withdraw
from app.models import BOOKED, Booking, OutboxEmail

CALL_PEOPLE = ("respondent", "officer")
# Why a call is cancelled when no one chose to cancel the call itself: its message is being
# deleted, withdrawn by the respondent or deleted at their request (retention.delete_response).
MESSAGE_DELETED = "message_deleted"


def _call_key(booking: Booking, event: str, who: str, sequence: int | None = None) -> str:
    sequence = booking.sequence if sequence is None else sequence
    return f"call-{event}:{booking.uid}:{sequence}:{who}"


def _call_email(
    booking: Booking, event: str, who: str, now: datetime, because: str | None = None
) -> dict:
    """The queue_email arguments for one person's email about a call, with its invite.

    The invite holds what each needs and no more, since calendars are often shared: the
    officer's has who to call and on what number; neither has the link to change the call.
    A call cancelled `because` its message is deleted tells the officer nothing of who
    sent it (the point of deleting it), and the respondent no link, which leads nowhere now.
    """
    message = booking.response
    consultation = message.consultation
    zone = current_app.config["SITE_ZONE"]
    phone = phones.display(message.phone, current_app.config["PHONE_REGION"])
    officer_to, officer_cc = officer(consultation)
    respondent = address(message.name, message.email)
    for_officer = who == "officer"
    deleted = because == MESSAGE_DELETED
    location = f"Telephone call to {phone}"
    if for_officer and deleted:
        summary = f"Call for message {message.reference}: {consultation.title}"
        description = f"Cancelled: message {message.reference} has been deleted."
        location = "Telephone call"
    elif for_officer:
        summary = f"Call with {message.name}: {consultation.title}"
        description = f"Call {message.name} on {phone}. Their message is {message.reference}."
    else:
        summary = f"Call with {consultation.officer_name}: {consultation.title}"
        description = (
            "This call is cancelled: your message has been deleted."
            if deleted
            else f"{consultation.officer_name} will call you on {phone}."
            " To change or cancel the call, use the link in our email."
        )
    invite = invites.Invite(
        uid=booking.uid,
        sequence=booking.sequence,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        summary=summary,
        description=description,
        location=location,
        organiser_name=consultation.officer_name,
        organiser_email=consultation.officer_email,
        attendee_name="" if for_officer and deleted else message.name,
        attendee_email=message.email,
    )
    method = invites.CANCEL if event == "cancelled" else invites.REQUEST
    reply_to = officer_to
    if for_officer:
        # A reply to a deleted message's sender would tell the officer who it was.
        reply_to = "" if deleted else respondent
    return {
        "event_key": _call_key(booking, event, who),
        "kind": f"call_{event}",
        "to": officer_to if for_officer else respondent,
        "cc": officer_cc if for_officer else "",
        "reply_to": reply_to,
        "template": "call",
        "context": {
            "event": event,
            "for_officer": for_officer,
            "message_deleted": deleted,
            "booking": booking,
            "message": message,
            "consultation": consultation,
            "when": call_time(booking.starts_at, booking.ends_at, zone),
            "phone": phone,
            # Neither leads anywhere once the message is deleted.
            "manage_url": ""
            if deleted
            else site_url("contact.call", slug=consultation.slug, token=message.token),
            "admin_url": "" if deleted else site_url("admin.response", response_id=message.id),
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


def notify_call(booking: Booking, event: str, now: datetime, because: str | None = None) -> None:
    """Queue the respondent's and the officer's email about a call that was just booked,
    moved or cancelled, each with the calendar invite or cancellation; `because` is
    MESSAGE_DELETED for a call cancelled as its message is deleted.

    Sent at once whatever the officer's alert setting: a call cannot wait for a digest.
    Emails about the call's earlier states not sent yet are withdrawn: an invite for the
    old time, or a reminder, arriving after the change would put it back in a calendar.
    """
    withdraw(_superseded(booking))
    for who in CALL_PEOPLE:
        queue_email(**_call_email(booking, event, who, now, because))


def queue_call_reminders(now: datetime) -> int:
    """A reminder to both, with the invite again, in the 24 hours before each call.

    A reminder not sent by the time its call starts (the mail server was down) is
    withdrawn rather than sent late.
    """
    soon = (
        Booking.status == BOOKED,
        Booking.starts_at > now,
        Booking.starts_at <= now + REMINDER_BEFORE,
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
        if not booking.reminder_due(now):
            continue
        for who in CALL_PEOPLE:
            key = _call_key(booking, "reminder", who)
            if db.session.scalar(select(exists().where(OutboxEmail.event_key == key))):
                continue  # queued on an earlier round: build nothing
            email = _call_email(booking, "reminder", who, now)
            queued += queue_once(**email, send_before=booking.starts_at)
    return queued
