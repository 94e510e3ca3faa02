"""The pure deadline rules in app/consultations/lifecycle.py, checked at exact instants.

Times are built by hand, so every boundary is hit to the microsecond, including the two
British Summer Time changes of 2027 (28 March and 31 October).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.consultations.lifecycle import (
    Acceptance,
    Override,
    State,
    accept_submission,
    state_at,
    time_left,
)
from tests.support.clients import utc

LONDON = ZoneInfo("Europe/London")
TICK = timedelta(microseconds=1)
GRACE = timedelta(minutes=30)

OPENS = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
CLOSES = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
BEFORE_DEADLINE = CLOSES - timedelta(hours=2)


# --- state_at -------------------------------------------------------------------------------

BOUNDARIES = {
    "just before opening": (OPENS - TICK, State.FORTHCOMING),
    "at opening": (OPENS, State.OPEN),
    "just before the deadline": (CLOSES - TICK, State.OPEN),
    "at the deadline": (CLOSES, State.CLOSED),
}


@pytest.mark.parametrize("moment", BOUNDARIES, ids=str)
@pytest.mark.parametrize(
    "override", [Override.AUTO, Override.OPEN, Override.CLOSED], ids=lambda o: o.value
)
def test_state_at_boundaries(moment: str, override: Override) -> None:
    now, by_dates = BOUNDARIES[moment]
    expected = {
        Override.AUTO: by_dates,
        Override.OPEN: State.OPEN,
        Override.CLOSED: State.CLOSED,
    }[override]
    assert state_at(OPENS, CLOSES, override, now) is expected


def test_state_long_after_the_deadline_is_closed_and_forced_open_reopens_it() -> None:
    later = CLOSES + timedelta(days=365)
    assert state_at(OPENS, CLOSES, Override.AUTO, later) is State.CLOSED
    assert state_at(OPENS, CLOSES, Override.OPEN, later) is State.OPEN


def test_state_compares_instants_not_wall_clocks_across_zones() -> None:
    """A deadline given in London time and a clock in UTC still meet at the same instant."""
    closes_london = datetime(2027, 7, 1, 17, 0, tzinfo=LONDON)  # 16:00 UTC (BST)
    just_before = datetime(2027, 7, 1, 15, 59, 59, 999_999, tzinfo=UTC)
    at_deadline = datetime(2027, 7, 1, 16, 0, tzinfo=UTC)
    assert state_at(OPENS, closes_london, Override.AUTO, just_before) is State.OPEN
    assert state_at(OPENS, closes_london, Override.AUTO, at_deadline) is State.CLOSED


@pytest.mark.parametrize(
    "opens_at, closes_at, now",
    [
        (OPENS.replace(tzinfo=None), CLOSES, BEFORE_DEADLINE),
        (OPENS, CLOSES.replace(tzinfo=None), BEFORE_DEADLINE),
        (OPENS, CLOSES, BEFORE_DEADLINE.replace(tzinfo=None)),
    ],
    ids=["naive opens_at", "naive closes_at", "naive now"],
)
def test_state_at_refuses_naive_times(opens_at, closes_at, now) -> None:
    with pytest.raises(ValueError, match="time zone"):
        state_at(opens_at, closes_at, Override.AUTO, now)


# --- accept_submission ----------------------------------------------------------------------


def accept(now, form_loaded_at, override=Override.AUTO, grace=GRACE) -> Acceptance:
    return accept_submission(OPENS, CLOSES, override, now, form_loaded_at, grace)


@pytest.mark.parametrize(
    "loaded, now, expected",
    [
        pytest.param(BEFORE_DEADLINE, CLOSES - TICK, Acceptance.ON_TIME, id="sent just before"),
        pytest.param(BEFORE_DEADLINE, CLOSES, Acceptance.LATE, id="sent at the deadline"),
        pytest.param(
            CLOSES - TICK,
            CLOSES + timedelta(minutes=10),
            Acceptance.LATE,
            id="loaded a microsecond before, sent in grace",
        ),
        pytest.param(
            BEFORE_DEADLINE, CLOSES + GRACE - TICK, Acceptance.LATE, id="last microsecond of grace"
        ),
        pytest.param(BEFORE_DEADLINE, CLOSES + GRACE, Acceptance.REFUSED, id="grace has ended"),
        pytest.param(
            BEFORE_DEADLINE, CLOSES + timedelta(days=2), Acceptance.REFUSED, id="days later"
        ),
        pytest.param(
            CLOSES, CLOSES + timedelta(minutes=1), Acceptance.REFUSED, id="loaded at the deadline"
        ),
        pytest.param(
            CLOSES + timedelta(minutes=1),
            CLOSES + timedelta(minutes=2),
            Acceptance.REFUSED,
            id="loaded after the deadline",
        ),
        pytest.param(
            None,
            CLOSES + timedelta(minutes=1),
            Acceptance.REFUSED,
            id="no load time, after the deadline",
        ),
        pytest.param(
            None, BEFORE_DEADLINE, Acceptance.ON_TIME, id="no load time, before the deadline"
        ),
        pytest.param(
            OPENS - timedelta(hours=1),
            CLOSES + timedelta(minutes=1),
            Acceptance.REFUSED,
            id="loaded before opening gets no grace",
        ),
    ],
)
def test_grace_period(loaded, now, expected) -> None:
    assert accept(now, loaded) is expected


def test_no_grace_configured_means_refused_at_the_deadline() -> None:
    assert accept(CLOSES - TICK, BEFORE_DEADLINE, grace=timedelta(0)) is Acceptance.ON_TIME
    assert accept(CLOSES, BEFORE_DEADLINE, grace=timedelta(0)) is Acceptance.REFUSED


@pytest.mark.parametrize(
    "now",
    [BEFORE_DEADLINE, CLOSES, CLOSES + timedelta(minutes=1)],
    ids=["before the deadline", "at the deadline", "inside what would be grace"],
)
def test_forced_close_refuses_at_once_with_no_grace(now) -> None:
    loaded = BEFORE_DEADLINE - timedelta(minutes=5)
    assert accept(now, loaded, override=Override.CLOSED) is Acceptance.REFUSED


def test_forced_open_after_the_deadline_takes_responses_on_time() -> None:
    late = CLOSES + timedelta(days=3)
    assert accept(late, late - timedelta(minutes=5), override=Override.OPEN) is Acceptance.ON_TIME


@pytest.mark.parametrize("loaded", [None, OPENS - timedelta(hours=2)], ids=["no load", "loaded"])
def test_forthcoming_consultation_refuses(loaded) -> None:
    assert accept(OPENS - TICK, loaded) is Acceptance.REFUSED


@pytest.mark.parametrize(
    "now, loaded",
    [
        (CLOSES.replace(tzinfo=None), BEFORE_DEADLINE),
        (CLOSES + TICK, BEFORE_DEADLINE.replace(tzinfo=None)),
        # A naive load time is refused even while the consultation is open.
        (BEFORE_DEADLINE, BEFORE_DEADLINE.replace(tzinfo=None)),
    ],
    ids=["naive now", "naive load time after the deadline", "naive load time while open"],
)
def test_accept_submission_refuses_naive_times(now, loaded) -> None:
    with pytest.raises(ValueError, match="time zone"):
        accept(now, loaded)


# --- time_left ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "before_deadline",
    [timedelta(days=7), timedelta(days=7, hours=1), timedelta(days=60)],
    ids=["exactly 7 days", "7 days 1 hour", "60 days"],
)
def test_time_left_is_not_shown_a_week_or_more_ahead(before_deadline) -> None:
    assert time_left(CLOSES, CLOSES - before_deadline) is None


def test_time_left_is_shown_just_under_a_week_ahead() -> None:
    assert str(time_left(CLOSES, CLOSES - timedelta(days=7) + TICK)) == "6 days"


@pytest.mark.parametrize(
    "after", [timedelta(0), TICK, timedelta(hours=3)], ids=["at", "just after", "hours after"]
)
def test_time_left_is_none_at_and_after_the_deadline(after) -> None:
    assert time_left(CLOSES, CLOSES + after) is None


@pytest.mark.parametrize(
    "remaining, wording",
    [
        (timedelta(days=6, hours=23), "6 days"),
        (timedelta(days=2), "2 days"),
        (timedelta(days=1, hours=23, minutes=59), "1 day"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=23, minutes=59), "23 hours"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(hours=1, minutes=59), "1 hour"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=59, seconds=59), "59 minutes"),
        (timedelta(minutes=2), "2 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=30), "1 minute"),
        (TICK, "1 minute"),
    ],
    ids=str,
)
def test_time_left_wording(remaining, wording) -> None:
    assert str(time_left(CLOSES, CLOSES - remaining)) == wording


def test_time_left_within_a_shorter_window() -> None:
    assert time_left(CLOSES, CLOSES - timedelta(days=2), within=timedelta(days=1)) is None
    assert (
        str(time_left(CLOSES, CLOSES - timedelta(hours=5), within=timedelta(days=1))) == "5 hours"
    )


def test_time_left_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="time zone"):
        time_left(CLOSES.replace(tzinfo=None), BEFORE_DEADLINE)
    with pytest.raises(ValueError, match="time zone"):
        time_left(CLOSES, BEFORE_DEADLINE.replace(tzinfo=None))


# --- British Summer Time --------------------------------------------------------------------
# 2027: clocks go forward at 01:00 UTC on Sunday 28 March, back at 01:00 UTC on Sunday 31 October.


def london(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=LONDON, fold=fold)


def stored(moment: datetime) -> datetime:
    """What the database gives back: the same instant in UTC."""
    return moment.astimezone(UTC)


DST_DEADLINES = [
    pytest.param(london(2027, 3, 26, 17), utc(2027, 3, 26, 17), id="Friday before spring (GMT)"),
    pytest.param(london(2027, 3, 29, 17), utc(2027, 3, 29, 16), id="Monday after spring (BST)"),
    pytest.param(london(2027, 10, 29, 17), utc(2027, 10, 29, 16), id="Friday before autumn (BST)"),
    pytest.param(london(2027, 11, 1, 17), utc(2027, 11, 1, 17), id="Monday after autumn (GMT)"),
]


@pytest.mark.parametrize("as_given", [LONDON, UTC], ids=["deadline in London", "deadline in UTC"])
@pytest.mark.parametrize("deadline, deadline_utc", DST_DEADLINES)
def test_5pm_local_deadline_flips_at_the_right_utc_instant(deadline, deadline_utc, as_given):
    closes_at = deadline.astimezone(as_given)
    opens_at = closes_at - timedelta(days=30)
    assert state_at(opens_at, closes_at, Override.AUTO, deadline_utc - TICK) is State.OPEN
    assert state_at(opens_at, closes_at, Override.AUTO, deadline_utc) is State.CLOSED
    # An hour either side of the true instant is firmly on the right side.
    assert state_at(opens_at, closes_at, Override.AUTO, deadline_utc - timedelta(hours=1)) is (
        State.OPEN
    )
    assert state_at(opens_at, closes_at, Override.AUTO, deadline_utc + timedelta(hours=1)) is (
        State.CLOSED
    )


# A 24-hour grace that spans a clock change lasts 24 real hours.
# Spring: deadline 17:00 GMT Saturday 27 March (17:00 UTC); grace ends 17:00 UTC Sunday,
#   which is 18:00 BST on the wall clock.
# Autumn: deadline 17:00 BST Saturday 30 October (16:00 UTC); grace ends 16:00 UTC Sunday,
#   which is 16:00 GMT on the wall clock.
GRACE_CASES = [
    ("spring", london(2027, 3, 27, 17), utc(2027, 3, 28, 17)),
    ("autumn", london(2027, 10, 30, 17), utc(2027, 10, 31, 16)),
]


@pytest.mark.parametrize(
    "season, deadline, grace_ends, zone",
    [pytest.param(*case, UTC, id=f"{case[0]}, deadline stored in UTC") for case in GRACE_CASES]
    + [
        pytest.param(*case, LONDON, id=f"{case[0]}, deadline in London time")
        for case in GRACE_CASES
    ],
)
def test_24_hour_grace_across_a_clock_change_counts_real_hours(season, deadline, grace_ends, zone):
    closes_at = deadline.astimezone(zone)
    opens_at = closes_at - timedelta(days=30)
    loaded = stored(deadline) - timedelta(minutes=5)
    day = timedelta(hours=24)
    assert stored(deadline) + day == grace_ends  # the premise: 24 real hours

    def verdict(now: datetime) -> Acceptance:
        return accept_submission(opens_at, closes_at, Override.AUTO, now, loaded, day)

    assert verdict(grace_ends - timedelta(minutes=30)) is Acceptance.LATE
    assert verdict(grace_ends - TICK) is Acceptance.LATE
    assert verdict(grace_ends) is Acceptance.REFUSED
    assert verdict(grace_ends + timedelta(minutes=30)) is Acceptance.REFUSED


# time_left in the small hours of a change day, until 17:00 local that afternoon.
# Spring: 00:30 GMT to 17:00 BST is 15h30 of real time (16h30 on the wall clock).
# Autumn: 00:30 BST to 17:00 GMT is 17h30 of real time (16h30 on the wall clock).
TIME_LEFT_CASES = [
    ("spring", london(2027, 3, 28, 0, 30), london(2027, 3, 28, 17), "15 hours"),
    ("autumn", london(2027, 10, 31, 0, 30), london(2027, 10, 31, 17), "17 hours"),
]


@pytest.mark.parametrize(
    "season, now, deadline, wording, zone",
    [pytest.param(*case, UTC, id=f"{case[0]}, stored in UTC") for case in TIME_LEFT_CASES]
    + [
        pytest.param(*case, LONDON, id=f"{case[0]}, both in London time")
        for case in TIME_LEFT_CASES
    ],
)
def test_time_left_across_a_clock_change_counts_real_hours(season, now, deadline, wording, zone):
    assert str(time_left(deadline.astimezone(zone), now.astimezone(zone))) == wording


def test_time_left_across_spring_change_in_days_and_hours() -> None:
    """Saturday 17:00 GMT to Monday 17:00 BST is 47 real hours: one day, not two."""
    left = time_left(stored(london(2027, 3, 29, 17)), stored(london(2027, 3, 27, 17)))
    assert (left.days, left.hours, left.minutes) == (1, 23, 0)
    assert str(left) == "1 day"


# The autumn hour from 01:00 to 02:00 happens twice. A deadline at 01:30 in its first pass
# (BST, 00:30 UTC) has passed by 01:15 in the second pass (GMT, 01:15 UTC).
@pytest.mark.parametrize("zone", [UTC, pytest.param(LONDON)], ids=["in UTC", "in London time"])
def test_deadline_in_the_repeated_autumn_hour(zone) -> None:
    closes_at = london(2027, 10, 31, 1, 30, fold=0).astimezone(zone)
    opens_at = closes_at - timedelta(days=30)
    second_pass = london(2027, 10, 31, 1, 15, fold=1).astimezone(zone)
    first_pass = london(2027, 10, 31, 1, 15, fold=0).astimezone(zone)
    assert state_at(opens_at, closes_at, Override.AUTO, first_pass) is State.OPEN
    assert state_at(opens_at, closes_at, Override.AUTO, second_pass) is State.CLOSED
