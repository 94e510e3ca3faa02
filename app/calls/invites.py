"""Calendar invites (.ics) for booked calls, made with the icalendar library.

One event per booking, identified by the booking's UID: a moved call is the same event
with a higher SEQUENCE, and a cancellation is METHOD:CANCEL for that UID, so calendar
apps update or remove the event they already have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

from app.mail.outbox import EmailAttachment

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


def _uk_rules() -> Timezone:
    """Europe/London as yearly rules: summer time from 1am GMT on the last Sunday of March
    to 1am GMT on the last Sunday of October, as it has been since 1996.

    Outlook reads a zone's RRULE and ignores RDATE lists, which is what icalendar makes
    from zoneinfo, so the UK's zone (the site's own) is written out by hand.
    """
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("dtstart", datetime(1996, 3, 31, 1, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    summer.add("tzoffsetfrom", timedelta(0))
    summer.add("tzoffsetto", timedelta(hours=1))
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("dtstart", datetime(1996, 10, 27, 2, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    winter.add("tzoffsetfrom", timedelta(hours=1))
    winter.add("tzoffsetto", timedelta(0))
    zone = Timezone()
    zone.add("tzid", "Europe/London")
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


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
    if zone.key == "Europe/London":
        ical.add_component(_uk_rules())
    ical.add_component(event)
    # Another zone's rules for the years around the call, from zoneinfo.
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
