"""Calendar invites (.ics) for booked calls, made with the icalendar library.

One event per booking, identified by the booking's UID: a moved call is the same event
with a higher SEQUENCE, and a cancellation is METHOD:CANCEL for that UID, so calendar
apps update or remove the event they already have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from app.outbox import EmailAttachment

PRODID = "-//Have your say//Calls with the policy officer//EN"
REQUEST, CANCEL = "REQUEST", "CANCEL"


@dataclass(frozen=True)
class Invite:
    """What an invite says about one call."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    description: str
    location: str
    organiser_name: str
    organiser_email: str
    attendee_name: str
    attendee_email: str


def _parameter_safe(text: str) -> str:
    """A name fit for a CN parameter, which can carry neither quotes nor line breaks."""
    return re.sub(r'[\x00-\x1f\x7f"]+', " ", text).strip()[:100]


def _address(name: str, email: str, **params: str) -> vCalAddress:
    person = vCalAddress(f"mailto:{email}")
    if _parameter_safe(name):
        person.params["CN"] = _parameter_safe(name)
    person.params.update(params)
    return person


def calendar(invite: Invite, method: str, zone: ZoneInfo, now: datetime) -> bytes:
    """The .ics file: the event in the site's time zone, with that zone's rules included."""
    event = Event.new(
        uid=invite.uid,
        sequence=invite.sequence,
        stamp=now,
        start=invite.starts_at.astimezone(zone),
        end=invite.ends_at.astimezone(zone),
        summary=invite.summary,
        description=invite.description,
        location=invite.location,
        organizer=_address(invite.organiser_name, invite.organiser_email),
        attendees=[
            _address(
                invite.attendee_name,
                invite.attendee_email,
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="ACCEPTED",  # they chose the time themselves
                RSVP="FALSE",
            )
        ],
        status="CANCELLED" if method == CANCEL else "CONFIRMED",
    )
    ical = Calendar()
    ical.add("prodid", PRODID)
    ical.add("version", "2.0")
    ical.add("method", method)
    ical.add_component(event)
    # The zone's rules for the year around the call, enough for any calendar app to
    # place it without knowing Europe/London itself, and short enough for an email.
    year = invite.starts_at.astimezone(zone).year
    ical.add_missing_timezones(first_date=date(year - 1, 1, 1), last_date=date(year + 1, 12, 31))
    return ical.to_ical()


def attachment(invite: Invite, method: str, zone: ZoneInfo, now: datetime) -> EmailAttachment:
    """The invite as an email attachment that mail clients offer to add to a calendar."""
    return EmailAttachment(
        "cancel.ics" if method == CANCEL else "invite.ics",
        f"text/calendar; method={method}; charset=UTF-8",
        calendar(invite, method, zone, now),
    )
