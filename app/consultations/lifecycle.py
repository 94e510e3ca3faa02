"""Pure rules for a consultation's state at a given instant.

Nothing here reads the clock, the request or the database: callers pass `now`,
so the rules can be checked at exact instants, including the clock changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum


class State(StrEnum):
    """Where a consultation stands for respondents."""

    FORTHCOMING = "forthcoming"
    OPEN = "open"
    CLOSED = "closed"


class Override(StrEnum):
    """An admin's choice: follow the dates, or force open or closed."""

    AUTO = "auto"
    OPEN = "open"
    CLOSED = "closed"


class Acceptance(StrEnum):
    """Whether a submission arriving now is taken."""

    ON_TIME = "on_time"
    LATE = "late"  # inside the grace period after the deadline
    REFUSED = "refused"


def _utc(moment: datetime) -> datetime:
    """The same instant in UTC.

    Python compares and subtracts two datetimes of one zone by wall clock, which is
    an hour out across a clock change; in UTC the arithmetic is in real time.
    """
    if moment.tzinfo is None:
        raise ValueError("times must carry a time zone")
    return moment.astimezone(UTC)


def state_at(opens_at: datetime, closes_at: datetime, override: Override, now: datetime) -> State:
    """The state at `now`: open from opens_at (inclusive) until closes_at (exclusive)."""
    opens_at, closes_at, now = _utc(opens_at), _utc(closes_at), _utc(now)
    if override is Override.OPEN:
        return State.OPEN
    if override is Override.CLOSED:
        return State.CLOSED
    if now < opens_at:
        return State.FORTHCOMING
    if now < closes_at:
        return State.OPEN
    return State.CLOSED


def accept_submission(
    opens_at: datetime,
    closes_at: datetime,
    override: Override,
    now: datetime,
    form_loaded_at: datetime | None,
    grace: timedelta,
) -> Acceptance:
    """Decide whether a submission arriving at `now` is taken.

    A form loaded while the consultation was open may still be sent for `grace`
    after the deadline; such a response is marked late. An admin's forced close
    takes effect at once, with no grace.
    """
    opens_at, closes_at, now = _utc(opens_at), _utc(closes_at), _utc(now)
    form_loaded_at = _utc(form_loaded_at) if form_loaded_at is not None else None
    state = state_at(opens_at, closes_at, override, now)
    if state is State.OPEN:
        return Acceptance.ON_TIME
    if override is not Override.AUTO or state is State.FORTHCOMING or form_loaded_at is None:
        return Acceptance.REFUSED
    loaded_while_open = opens_at <= form_loaded_at < closes_at
    if loaded_while_open and now < closes_at + grace:
        return Acceptance.LATE
    return Acceptance.REFUSED


@dataclass(frozen=True)
class TimeLeft:
    """How long remains before the deadline, for saying so when it is close."""

    days: int
    hours: int
    minutes: int

    def __str__(self) -> str:
        if self.days:
            return plural(self.days, "day")
        if self.hours:
            return plural(self.hours, "hour")
        return plural(max(self.minutes, 1), "minute")


def plural(count: int, unit: str) -> str:
    """ "1 day", "2 days"."""
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def time_left(
    closes_at: datetime, now: datetime, within: timedelta = timedelta(days=7)
) -> TimeLeft | None:
    """Time until the deadline when it is under `within` away, otherwise None."""
    remaining = _utc(closes_at) - _utc(now)
    if remaining <= timedelta(0) or remaining >= within:
        return None
    minutes = int(remaining.total_seconds() // 60)
    return TimeLeft(days=minutes // (24 * 60), hours=minutes // 60 % 24, minutes=minutes % 60)
