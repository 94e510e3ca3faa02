"""Storing messages to the policy officer, and booking, moving and cancelling calls.

A slot is held by the booking whose row the database accepts: a partial unique index
lets only one booked booking point at a slot, so two people racing for one time get
one booking and one "that time has just been taken", whatever Python saw before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from app.calls import rules as calls
from app.consultations.lifecycle import State
from app.contact.forms import MessageForm
from app.extensions import db
from app.formatting import phones, timefmt
from app.intake.submissions import admit, count_sent, new_reference, store_once
from app.mail.notifications import Submission, notify_call, notify_submission, site_url
from app.models import (
    BOOKED,
    CANCELLED,
    LARGEST_ID,
    SUBMITTED,
    Booking,
    Consultation,
    Response,
    Slot,
    record_audit,
)

CHANNEL = "contact"
T = TypeVar("T")


class SlotUnavailable(Exception):
    """The chosen time cannot be booked; the message says why, for the person choosing."""


TAKEN = "That time has just been taken. Choose another time."
GONE = "That time is no longer available. Choose another time."


def notice() -> timedelta:
    """How long before a call it can still be booked (BOOKING_NOTICE_HOURS)."""
    return timedelta(hours=current_app.config["BOOKING_NOTICE_HOURS"])


def counts(consultation: Consultation) -> dict[str, int]:
    """Messages received and calls booked, for summaries."""
    booked = db.session.scalar(
        select(func.count(Booking.id))
        .join(Response)
        .where(Response.consultation_id == consultation.id, Booking.status == BOOKED)
    )
    return {"Messages": count_sent(consultation, CHANNEL), "Calls booked": booked}


# Who may do what, and when.


def bookings_taken(consultation: Consultation, now: datetime) -> bool:
    return calls.available(consultation.state(now), consultation.bookings_after_close)


def admit_to(
    consultation: Consultation,
    after_close: bool,
    now: datetime,
    loaded_at: datetime | None,
    written: Callable[[], list[tuple[str, str]]] | None = None,
) -> bool:
    """Let a request through, as `submissions.admit` does for the other channels, except
    that a closed consultation may go on taking messages (or bookings) if it is set to.
    Those are not late: they are welcome after the close. True when late."""
    if not consultation.offers(CHANNEL):
        abort(404)
    if after_close and consultation.state(now) is State.CLOSED:
        return False
    return admit(consultation, CHANNEL, now, loaded_at, written)


# Messages.


def find_message(consultation: Consultation, token: str) -> Response | None:
    """The message sent with this token (the form's, then the link's), if any."""
    return db.session.scalar(
        select(Response).filter_by(
            consultation_id=consultation.id, channel=CHANNEL, status=SUBMITTED, token=token
        )
    )


def send_message(
    consultation: Consultation,
    form: MessageForm,
    token: str,
    loaded_at: datetime | None,
    now: datetime,
    late: bool,
) -> Response:
    """Store the message and queue the officer's alert and the receipt, in one commit.

    A second send of the same form returns the first.
    """

    def build(token: str) -> Response:
        return Response(
            consultation=consultation,
            channel=CHANNEL,
            status=SUBMITTED,
            token=token,
            reference=new_reference("CT"),
            answers={},
            pages_done=[],
            name=form.name.data.strip(),
            email=form.email.data,
            phone=form.phone_number,
            organisation=(form.organisation.data or "").strip(),
            subject=form.subject.data.strip(),
            message=form.message.data.strip(),
            wants_call=form.wants_a_call,
            consent=True,
            late=late,
            started_at=loaded_at or now,
            updated_at=now,
            submitted_at=now,
        )

    message, _stored = store_once(
        build,
        token,
        lambda token: find_message(consultation, token),
        lambda message: notify_submission(as_submission(message), now),
    )
    return message


def detail_rows(message: Response) -> list[tuple[str, str]]:
    """The message as the emails and the admin area list it."""
    region = current_app.config["PHONE_REGION"]
    rows = [("Name", message.name), ("Email address", message.email)]
    if message.phone:
        rows.append(("Telephone number", phones.display(message.phone, region)))
    if message.organisation:
        rows.append(("Organisation", message.organisation))
    rows += [
        ("What is your message about?", message.subject),
        ("Your message", message.message),
        ("Would you like to book a call?", "Yes" if message.wants_call else "No"),
    ]
    return rows


def as_submission(message: Response) -> Submission:
    """The message as the officer's alert and the respondent's receipt describe it."""
    consultation = message.consultation
    call_link = {}
    if message.wants_call:
        call_link = {
            "action_label": "Choose a time for your call, or change it",
            "action_url": site_url("contact.call", slug=consultation.slug, token=message.token),
        }
    return Submission(
        kind="message",
        kind_label="Message",
        reference=message.reference or "",
        consultation=consultation,
        submitted_at=message.submitted_at or message.updated_at,
        admin_url=site_url("admin.response", response_id=message.id),
        name=message.name,
        email=message.email,
        organisation=message.organisation,
        late=message.late,
        details=detail_rows(message),
        next_steps=f"{consultation.officer_name} will reply to you by email, usually within"
        " 5 working days.",
        **call_link,
    )


# Slots.


def _free(consultation: Consultation, now: datetime):
    held = exists().where(Booking.slot_id == Slot.id, Booking.status == BOOKED)
    return select(Slot).where(
        Slot.consultation_id == consultation.id, Slot.starts_at >= now + notice(), ~held
    )


def free_slots(consultation: Consultation, now: datetime) -> list[Slot]:
    """The times that can be booked now: far enough ahead and held by no booking."""
    return list(db.session.scalars(_free(consultation, now).order_by(Slot.starts_at)))


def calls_offered(consultation: Consultation, now: datetime) -> bool:
    """Whether to ask if the respondent wants a call: bookings taken and a time free."""
    if not bookings_taken(consultation, now):
        return False
    return db.session.scalar(_free(consultation, now).limit(1)) is not None


def by_day(items: list[T], key: Callable[[T], datetime] = lambda slot: slot.starts_at):
    """Things that happen at a time (slots, by default), grouped by their day in the
    site's time zone, in the order given."""
    zone = current_app.config["SITE_ZONE"]
    days: dict[date, list[T]] = {}
    for item in items:
        days.setdefault(key(item).astimezone(zone).date(), []).append(item)
    return days


def _bookable_slot(consultation: Consultation, slot_id: str, now: datetime) -> Slot:
    """The slot chosen, if it exists for this consultation and is far enough ahead."""
    slot = None
    # PostgreSQL refuses a number too big for an INTEGER column, so such a value is no slot.
    if slot_id.isascii() and slot_id.isdigit() and len(slot_id) < 12 and int(slot_id) <= LARGEST_ID:
        slot = db.session.scalar(
            select(Slot).filter_by(id=int(slot_id), consultation_id=consultation.id)
        )
    if slot is None or not calls.bookable(slot.starts_at, now, notice()):
        raise SlotUnavailable(GONE)
    return slot


# Bookings.


def current_booking(message: Response) -> Booking | None:
    """The call this message holds now, if any."""
    return db.session.scalar(select(Booking).filter_by(response_id=message.id, status=BOOKED))


def last_booking(message: Response) -> Booking | None:
    """The message's most recent booking, cancelled or not."""
    return db.session.scalar(
        select(Booking).filter_by(response_id=message.id).order_by(Booking.id.desc()).limit(1)
    )


def _new_uid() -> str:
    host = urlsplit(current_app.config["SITE_URL"]).hostname or "localhost"
    return f"{uuid.uuid4()}@{host}"


def book(message: Response, slot_id: str, now: datetime) -> Booking:
    """Book the chosen time for this message, with both invites queued, in one commit.

    Raises SlotUnavailable when the time is gone or has just been taken. A second send
    of the form (the message already holds a call) returns that booking.
    """
    slot = _bookable_slot(message.consultation, slot_id, now)
    booking = Booking(
        response=message,
        slot=slot,
        uid=_new_uid(),
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        booked_at=now,
        updated_at=now,
    )
    try:
        db.session.add(booking)
        db.session.flush()  # the unique indexes decide here
    except IntegrityError:
        db.session.rollback()
        existing = current_booking(message)
        if existing is not None:
            return existing
        raise SlotUnavailable(TAKEN) from None
    notify_call(booking, "booked", now)
    db.session.commit()
    return booking


def move(booking: Booking, slot_id: str, now: datetime) -> bool:
    """Move the call to another free time, keeping its calendar event; both are told.

    False if nothing moved: the time chosen is the call's own, or the booking changed
    meanwhile (cancelled, or moved by a second send).
    """
    slot = _bookable_slot(booking.response.consultation, slot_id, now)
    if slot.id == booking.slot_id:
        return False
    try:
        return _change(
            booking,
            "moved",
            now,
            # As the person saw it: a second tap, already moved, changes nothing.
            Booking.sequence == booking.sequence,
            slot_id=slot.id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
        )
    except IntegrityError:
        db.session.rollback()
        raise SlotUnavailable(TAKEN) from None


def cancel(booking: Booking, now: datetime, by: str) -> bool:
    """Cancel the call, freeing its time; both get the cancellation. False if it already
    was cancelled: a call is cancelled once."""
    return _change(booking, "cancelled", now, status=CANCELLED, cancelled_at=now, cancelled_by=by)


def _change(booking: Booking, event: str, now: datetime, *unchanged, **values) -> bool:
    """Change a call that is still booked (and `unchanged`) as a new version of its calendar
    event, and tell both, in one commit. False, changing nothing, if it was not."""
    changed = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BOOKED, *unchanged)
        .values(sequence=Booking.sequence + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        return False
    db.session.refresh(booking)
    notify_call(booking, event, now)
    db.session.commit()
    return True


# Publishing times, in the admin area.


def publish(
    consultation: Consultation, wanted: list[calls.Span], now: datetime, actor: str
) -> calls.Sorted:
    """Publish the wanted times that are ahead and clash with no other; say what was left.

    Times still running count as published, so a new time cannot overlap a call under way.
    Publishing for one consultation is one at a time: the first statement takes the write
    lock on its row (SQLite's database lock, PostgreSQL's row lock), so two officers, or a
    double click, cannot publish overlapping times between the check and the insert.
    """
    db.session.execute(
        update(Consultation).where(Consultation.id == consultation.id).values(updated_at=now)
    )
    published = db.session.execute(
        select(Slot.starts_at, Slot.ends_at).where(
            Slot.consultation_id == consultation.id, Slot.ends_at > now
        )
    ).all()
    result = calls.sort_out(wanted, [tuple(row) for row in published], now)
    if result.new:
        db.session.add_all(
            Slot(consultation=consultation, starts_at=start, ends_at=end, created_at=now)
            for start, end in result.new
        )
        zone = current_app.config["SITE_ZONE"]
        first, last = result.new[0], result.new[-1]
        record_audit(
            actor,
            "publish_times",
            consultation,
            f"Published {len(result.new)} call {'time' if len(result.new) == 1 else 'times'},"
            f" {timefmt.call_time(*first, zone)} to {timefmt.call_time(*last, zone)}",
        )
    db.session.commit()
    return result


def remove_slot(slot: Slot, actor: str, now: datetime) -> bool:
    """Remove a published time nobody holds. False if it was booked meanwhile.

    The slot's row is locked first: on PostgreSQL that waits for a booking being made
    for it to commit, and the DELETE, a new statement, then sees that booking.
    """
    held = exists().where(Booking.slot_id == Slot.id, Booking.status == BOOKED)
    zone = current_app.config["SITE_ZONE"]
    consultation, when = slot.consultation, timefmt.call_time(slot.starts_at, slot.ends_at, zone)
    db.session.execute(select(Slot.id).where(Slot.id == slot.id).with_for_update())
    removed = db.session.execute(
        delete(Slot).where(Slot.id == slot.id, ~held).execution_options(synchronize_session=False)
    ).rowcount
    if not removed:
        db.session.rollback()
        return False
    record_audit(actor, "remove_time", consultation, f"Removed the call time {when}")
    db.session.commit()
    return True


def cancel_for_officer(booking: Booking, actor: str, now: datetime) -> bool:
    """Cancel a call from the admin area; the respondent and the officer are told."""
    message = booking.response
    zone = current_app.config["SITE_ZONE"]
    record_audit(
        actor,
        "cancel_call",
        message.consultation,
        # The reference, not the name: the log outlives a deletion or the purge.
        f"Cancelled the call for {message.reference},"
        f" {timefmt.call_time(booking.starts_at, booking.ends_at, zone)}",
    )
    return cancel(booking, now, by="officer")


def upcoming(consultation: Consultation, now: datetime) -> list[tuple[Slot, Booking | None]]:
    """Published times that have not ended, each with the booking that holds it, if any."""
    rows = db.session.execute(
        select(Slot, Booking)
        .outerjoin(Booking, (Booking.slot_id == Slot.id) & (Booking.status == BOOKED))
        .where(Slot.consultation_id == consultation.id, Slot.ends_at > now)
        .order_by(Slot.starts_at)
    ).all()
    return [(slot, booking) for slot, booking in rows]


def save_settings(
    consultation: Consultation, messages_after_close: bool, bookings_after_close: bool, actor: str
) -> bool:
    """Whether get in touch stays available after the close. Returns whether it changed."""
    new = (messages_after_close, bookings_after_close)
    if (consultation.messages_after_close, consultation.bookings_after_close) == new:
        return False
    consultation.messages_after_close, consultation.bookings_after_close = new
    words = {True: "yes", False: "no"}
    record_audit(
        actor,
        "contact_settings",
        consultation,
        f"After the close: messages {words[new[0]]}, bookings {words[new[1]]}",
    )
    db.session.commit()
    return True
