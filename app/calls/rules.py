"""The rules for calls with the policy officer, as pure functions of plain values.

Nothing here reads the clock, a request or the database: `now` and the settings are
passed in, so each rule can be tested on its own.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.consultations.lifecycle import State
from app.formatting.timefmt import exists_locally, from_local

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SHORTEST_CALL, LONGEST_CALL = 10, 240  # minutes
LONGEST_SERIES = 92  # days: publishing further ahead than a season is a typing mistake
MOST_AT_ONCE = 1000
REMINDER_BEFORE = timedelta(hours=24)

Span = tuple[datetime, datetime]


def available(state: State, after_close: bool) -> bool:
    """Whether messages (or bookings) are taken: while open, and after the close if allowed."""
    return state is State.OPEN or (state is State.CLOSED and after_close)


def bookable(starts_at: datetime, now: datetime, notice: timedelta) -> bool:
    """A call may be booked only if it starts at least `notice` from now."""
    return starts_at >= now + notice


def changeable(starts_at: datetime, now: datetime) -> bool:
    """A booked call can be cancelled or moved until it starts."""
    return now < starts_at


def reminder_due(starts_at: datetime, booked_at: datetime, now: datetime) -> bool:
    """Both are reminded in the 24 hours before a call, unless it was booked (or moved)
    inside those 24 hours: then the invite itself is the reminder."""
    return (
        starts_at - REMINDER_BEFORE <= now < starts_at and starts_at - booked_at > REMINDER_BEFORE
    )


def series(
    first_day: date,
    last_day: date,
    weekdays: Iterable[int],
    day_start: time,
    day_end: time,
    minutes: int,
    zone: ZoneInfo,
) -> list[Span]:
    """Back-to-back calls of `minutes` from day_start to day_end on the chosen weekdays
    (Monday is 0), as UTC instants. The wall-clock times are the officer's, so 10am stays
    10am across a change of the clocks; a start the clocks skip, or one that would overlap
    the call before it, is left out, and each call lasts its length even across the hour
    the clocks repeat."""
    chosen = set(weekdays)
    length = timedelta(minutes=minutes)
    spans: list[Span] = []
    day = first_day
    while day <= last_day:
        if day.weekday() in chosen:
            start, close = datetime.combine(day, day_start), datetime.combine(day, day_end)
            while start + length <= close:
                if exists_locally(start, zone):
                    instant = from_local(start, zone)
                    # After the spring gap the next wall-clock start can fall inside
                    # the call before it; the officer cannot take both.
                    if not spans or spans[-1][1] <= instant:
                        spans.append((instant, instant + length))
                start += length
        day += timedelta(days=1)
    return spans


@dataclass
class Sorted:
    """What to publish of some wanted times, and why the rest were left out."""

    new: list[Span] = field(default_factory=list)
    past: int = 0
    clashing: int = 0


def sort_out(wanted: Sequence[Span], published: Iterable[Span], now: datetime) -> Sorted:
    """Keep the wanted times that are in the future and overlap neither a published time
    nor another kept one (an officer cannot take two calls at once)."""
    result = Sorted()
    taken = sorted(published)
    for start, end in sorted(wanted):
        if start < now:
            result.past += 1
        elif _overlaps_any(taken, start, end):
            result.clashing += 1
        else:
            result.new.append((start, end))
            taken.insert(bisect_left(taken, (start, end)), (start, end))
    return result


def _overlaps_any(taken: list[Span], start: datetime, end: datetime) -> bool:
    """Whether (start, end) overlaps any span of `taken`, which is sorted and free of overlaps."""
    at = bisect_left(taken, (start, end))
    before = taken[at - 1] if at > 0 else None
    after = taken[at] if at < len(taken) else None
    return bool((before and before[1] > start) or (after and after[0] < end))
