"""Shared steps for the get-in-touch tests: publish times, send a message, book a call,
deliver the outbox and read the calendar invites that arrive."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from app.extensions import db
from app.mail import notifications, outbox
from app.models import Booking, Consultation, Response, Slot
from tests.support.factories import SLUG
from tests.support.smtp_server import Received

MESSAGE_URL = f"/consultations/{SLUG}/contact"
VALID_MESSAGE = {
    "name": "Ann Example",
    "email": "ann@example.org",
    "phone": "020 7946 0123",
    "organisation": "Riverside Tenants",
    "subject": "Bus routes in the north of the borough",
    "message": "The 42 no longer runs after 7pm.\nPeople cannot get home from work.",
    "wants_call": "yes",
}


def publish(consultation: Consultation, *starts: datetime, minutes: int = 30) -> list[Slot]:
    """Publish call times straight into the database (the admin pages have their own tests)."""
    slots = [
        Slot(consultation=consultation, starts_at=start, ends_at=start + timedelta(minutes=minutes))
        for start in starts
    ]
    db.session.add_all(slots)
    db.session.commit()
    return slots


def form_fields(client: FlaskClient, url: str) -> dict[str, str]:
    """The hidden fields (CSRF token, form token, load stamp) of the form at `url`."""
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    return {
        field["name"]: field.get("value", "")
        for field in soup.select("form[method=post] input[type=hidden]")
    }


def send_message(client: FlaskClient, clock, fields: dict | None = None, url: str = MESSAGE_URL):
    """Load the message form, wait as a person would, and send it."""
    data = form_fields(client, url)
    clock.advance(seconds=5)  # quicker than SUBMIT_MIN_SECONDS looks like a bot
    data.update(VALID_MESSAGE if fields is None else fields)
    return client.post(url, data=data)


def call_url(response) -> str:
    """Where sending a message that asks for a call leads: the page to choose a time."""
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert re.search(r"/contact/call/[A-Za-z0-9_-]+$", location), location
    return location


def choose(client: FlaskClient, url: str, slot: Slot | str, **extra: str):
    """Send the form at `url` (choose, or change to, a time) with this slot chosen."""
    data = form_fields(client, url)
    data["slot"] = str(slot.id) if isinstance(slot, Slot) else slot
    data.update(extra)
    return client.post(url, data=data)


def messages() -> list[Response]:
    """Every message, oldest first (PostgreSQL keeps no order without ORDER BY)."""
    return list(
        db.session.scalars(select(Response).filter_by(channel="contact").order_by(Response.id))
    )


def bookings() -> list[Booking]:
    return list(db.session.scalars(select(Booking).order_by(Booking.id)))


def deliver(now: datetime) -> tuple[int, int]:
    """What the outbox worker does in one round: queue what is due, then send it."""
    notifications.queue_scheduled(now)
    return outbox.deliver_due(now)


def invite(received: Received) -> Calendar:
    """The calendar file attached to an email, parsed."""
    parts = [
        part
        for part in received.message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]
    assert len(parts) == 1, f"expected one calendar attachment, got {len(parts)}"
    return Calendar.from_ical(parts[0].get_payload(decode=True))
