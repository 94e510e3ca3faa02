"""Publishing call times in the admin area, removing one, and listing them by day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

from flask import current_app
from sqlalchemy import delete, exists, select, update

from app.calls import rules
from app.extensions import db
from app.formatting import timefmt
from app.models import BOOKED, Booking, Consultation, Slot, record_audit

T = TypeVar("T")


def publish(
    consultation: Consultation, wanted: list[rules.Span], now: datetime, actor: str
) -> rules.Sorted:
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
    result = rules.sort_out(wanted, [tuple(row) for row in published], now)
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


def upcoming(consultation: Consultation, now: datetime) -> list[tuple[Slot, Booking | None]]:
    """Published times that have not ended, each with the booking that holds it, if any."""
    rows = db.session.execute(
        select(Slot, Booking)
        .outerjoin(Booking, (Booking.slot_id == Slot.id) & (Booking.status == BOOKED))
        .where(Slot.consultation_id == consultation.id, Slot.ends_at > now)
        .order_by(Slot.starts_at)
    ).all()
    return [(slot, booking) for slot, booking in rows]


def by_day(items: list[T], key: Callable[[T], datetime] = lambda slot: slot.starts_at):
    """Things that happen at a time (slots, by default), grouped by their day in the
    site's time zone, in the order given."""
    zone = current_app.config["SITE_ZONE"]
    days: dict[date, list[T]] = {}
    for item in items:
        days.setdefault(key(item).astimezone(zone).date(), []).append(item)
    return days
