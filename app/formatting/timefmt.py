"""Show instants in the site's time zone, with the zone named, in GOV.UK style."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def zone_label(zone: ZoneInfo) -> str:
    """What to call the zone in a sentence: 'UK time' for Europe/London."""
    return "UK time" if zone.key == "Europe/London" else f"{zone.key.replace('_', ' ')} time"


def clock_time(moment: datetime) -> str:
    """'5pm', '9:30am', 'midday', 'midnight'."""
    if moment.minute == 0 and moment.hour in (0, 12):
        return "midnight" if moment.hour == 0 else "midday"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{suffix}"


def long_date(moment: datetime) -> str:
    """'1 March 2027'."""
    return f"{moment.day} {moment:%B %Y}"


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """'5pm UK time on 1 March 2027'."""
    local = moment.astimezone(zone)
    return f"{clock_time(local)} {zone_label(zone)} on {long_date(local)}"


def day_name(moment: datetime) -> str:
    """'Tuesday 24 November 2026'."""
    return f"{moment:%A} {long_date(moment)}"


def call_time(starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> str:
    """'Tuesday 24 November 2026, 10:30am to 11am UK time'."""
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    return f"{day_name(start)}, {clock_time(start)} to {clock_time(end)} {zone_label(zone)}"


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """The wall-clock time in the site's zone, without a zone, as a form field shows it."""
    return moment.astimezone(zone).replace(tzinfo=None)


def from_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """Read a wall-clock time in the site's zone as an aware UTC instant.

    In the autumn hour that happens twice, the earlier one is taken (fold=0);
    in the spring hour that never happens, zoneinfo moves it forward.
    """
    return naive.replace(tzinfo=zone).astimezone(UTC)


def exists_locally(naive: datetime, zone: ZoneInfo) -> bool:
    """False for a wall-clock time skipped when the clocks go forward."""
    return to_local(from_local(naive, zone), zone) == naive


def short_day(day: date) -> str:
    """'Mon 1 Mar', for the rows of a table of days."""
    return f"{day:%a} {day.day} {day:%b}"
