"""Booking, moving and cancelling a call in a published time, and the times still free.

A slot is held by the booking whose row the database accepts: a partial unique index
lets only one booked booking point at a slot, so two people racing for one time get
one booking and one "that time has just been taken", whatever Python saw before.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError

from app.calls import rules
from app.calls.emails import notify_call
from app.extensions import db
from app.formatting import timefmt
from app.models import (
    BOOKED,
    CANCELLED,
    LARGEST_ID,
    Booking,
    Consultation,
    Response,
    Slot,
    record_audit,
)


class SlotUnavailable(Exception):
    """The chosen time cannot be booked; the message says why, for the person choosing."""


TAKEN = "That time has just been taken. Choose another time."
GONE = "That time is no longer available. Choose another time."


def notice() -> timedelta:
    """How long before a call it can still be booked (BOOKING_NOTICE_HOURS)."""
    return timedelta(hours=current_app.config["BOOKING_NOTICE_HOURS"])


def taken(consultation: Consultation, now: datetime) -> bool:
    """Whether the consultation takes bookings now: while open, and after the close if set to."""
    return rules.available(consultation.state(now), consultation.bookings_after_close)


def booked_count(consultation: Consultation) -> int:
    """How many calls are booked (and not cancelled) for the consultation."""
    return db.session.scalar(
        select(func.count(Booking.id))
        .join(Response)
        .where(Response.consultation_id == consultation.id, Booking.status == BOOKED)
    )


# Free times.


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
    if not taken(consultation, now):
        return False
    return db.session.scalar(_free(consultation, now).limit(1)) is not None


def _bookable_slot(consultation: Consultation, slot_id: str, now: datetime) -> Slot:
    """The slot chosen, if it exists for this consultation and is far enough ahead."""
    slot = None
    # PostgreSQL refuses a number too big for an INTEGER column, so such a value is no slot.
    if slot_id.isascii() and slot_id.isdigit() and len(slot_id) < 12 and int(slot_id) <= LARGEST_ID:
        slot = db.session.scalar(
            select(Slot).filter_by(id=int(slot_id), consultation_id=consultation.id)
        )
    if slot is None or not rules.bookable(slot.starts_at, now, notice()):
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


def cancel(
    booking: Booking, now: datetime, by: str, commit: bool = True, because: str | None = None
) -> bool:
    """Cancel the call, freeing its time; both get the cancellation. False if it already
    was cancelled: a call is cancelled once. Without `commit`, the cancellation is left in
    the caller's transaction (deleting its response cancels it so, all or nothing);
    `because` is emails.MESSAGE_DELETED then, and the emails say so instead of who wrote."""
    return _change(
        booking,
        "cancelled",
        now,
        status=CANCELLED,
        cancelled_at=now,
        cancelled_by=by,
        commit=commit,
        because=because,
    )


def _change(
    booking: Booking,
    event: str,
    now: datetime,
    *unchanged,
    commit: bool = True,
    because: str | None = None,
    **values,
) -> bool:
    """Change a call that is still booked (and `unchanged`) as a new version of its calendar
    event, and tell both, in one commit. False, changing nothing, if it was not."""
    changed = db.session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BOOKED, *unchanged)
        .values(sequence=Booking.sequence + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        if commit:
            db.session.rollback()
        return False
    db.session.refresh(booking)
    notify_call(booking, event, now, because)
    if commit:
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
