"""The pure rules for calls (app/calls/rules.py): which times a series makes, which wanted times
are published, and when a call can be booked, changed or reminded of.

Nothing here needs the app: every rule takes `now` and its settings as arguments.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.calls import rules as calls
from app.calls.rules import Sorted, available, bookable, changeable, reminder_due, series, sort_out
from app.consultations.lifecycle import State
from tests.support.clients import utc

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = [0, 1, 2, 3, 4]
MICROSECOND = timedelta(microseconds=1)
NOTICE = timedelta(hours=2)

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def wall(moment: datetime) -> datetime:
    """An instant as a clock in London shows it."""
    return moment.astimezone(LONDON).replace(tzinfo=None)


def overlap(a: calls.Span, b: calls.Span) -> bool:
    """Whether two spans share some time (touching end to start is not sharing)."""
    return a[0] < b[1] and b[0] < a[1]


def at(hour: int, minute: int = 0) -> time:
    return time(hour, minute)


# series


def test_series_makes_back_to_back_calls_on_the_chosen_weekdays_only():
    """Mon 1 to Sun 14 February 2027, weekdays, 10:00 to 16:00, 30 minutes: 12 a day on
    10 days. February is GMT, so UK time is UTC."""
    spans = series(date(2027, 2, 1), date(2027, 2, 14), WEEKDAYS, at(10), at(16), 30, LONDON)

    assert len(spans) == 120
    assert {wall(start).weekday() for start, _ in spans} == set(WEEKDAYS)
    assert {wall(start).date() for start, _ in spans} == {
        date(2027, 2, day) for day in (1, 2, 3, 4, 5, 8, 9, 10, 11, 12)
    }
    assert spans[0] == (utc(2027, 2, 1, 10, 0), utc(2027, 2, 1, 10, 30))
    assert spans[-1] == (utc(2027, 2, 12, 15, 30), utc(2027, 2, 12, 16, 0))
    assert all(end - start == timedelta(minutes=30) for start, end in spans)
    assert all(start.tzinfo is not None and start.utcoffset() == timedelta(0) for start, _ in spans)


def test_series_calls_follow_each_other_without_gaps_within_a_day():
    spans = series(date(2027, 2, 3), date(2027, 2, 3), [2], at(9), at(12), 20, LONDON)

    assert len(spans) == 9
    assert all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))


def test_series_weekends_only():
    """Saturday and Sunday (5 and 6) over a fortnight: 4 days."""
    spans = series(date(2027, 2, 1), date(2027, 2, 14), [5, 6], at(10), at(11), 60, LONDON)

    assert [wall(start).date() for start, _ in spans] == [
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 13),
        date(2027, 2, 14),
    ]


def test_series_first_and_last_day_are_both_included():
    spans = series(date(2027, 2, 2), date(2027, 2, 4), WEEKDAYS, at(10), at(11), 60, LONDON)

    assert [wall(start).date() for start, _ in spans] == [
        date(2027, 2, 2),
        date(2027, 2, 3),
        date(2027, 2, 4),
    ]


def test_series_no_chosen_weekday_in_the_range_gives_nothing():
    """Tuesday to Thursday, Sundays only."""
    assert series(date(2027, 2, 2), date(2027, 2, 4), [6], at(10), at(16), 30, LONDON) == []


def test_series_length_not_dividing_the_window_leaves_the_rest_empty():
    """10:00 to 16:00 in 50-minute calls: 7 calls, the last ending at 15:50, not 16:40."""
    spans = series(date(2027, 2, 1), date(2027, 2, 1), [0], at(10), at(16), 50, LONDON)

    assert len(spans) == 7
    assert spans[-1] == (utc(2027, 2, 1, 15, 0), utc(2027, 2, 1, 15, 50))
    assert all(wall(end).time() <= at(16) for _, end in spans)


def test_series_last_call_ends_exactly_at_day_end_when_it_fits():
    spans = series(date(2027, 2, 1), date(2027, 2, 1), [0], at(10), at(16), 45, LONDON)

    assert len(spans) == 8
    assert spans[-1][1] == utc(2027, 2, 1, 16, 0)


@pytest.mark.parametrize("day_end", [at(10), at(9), at(10, 29)])
def test_series_no_room_for_a_call_gives_none(day_end):
    """day_end equal to day_start, before it, or too close for one 30-minute call."""
    assert series(date(2027, 2, 1), date(2027, 2, 5), WEEKDAYS, at(10), day_end, 30, LONDON) == []


def test_series_last_day_before_first_day_gives_none():
    assert series(date(2027, 2, 5), date(2027, 2, 1), WEEKDAYS, at(10), at(16), 30, LONDON) == []


def test_series_on_a_summer_day_is_an_hour_behind_in_utc():
    """Tuesday 1 June 2027 is British Summer Time: 10:00 UK time is 09:00 UTC."""
    spans = series(date(2027, 6, 1), date(2027, 6, 1), [1], at(10), at(11), 30, LONDON)

    assert spans == [
        (utc(2027, 6, 1, 9, 0), utc(2027, 6, 1, 9, 30)),
        (utc(2027, 6, 1, 9, 30), utc(2027, 6, 1, 10, 0)),
    ]


def test_series_keeps_the_wall_clock_time_across_the_spring_change():
    """10am stays 10am: on the Friday before the clocks go forward it is 10:00 UTC, on the
    Monday after it is 09:00 UTC."""
    spans = series(date(2027, 3, 26), date(2027, 3, 29), WEEKDAYS, at(10), at(11), 60, LONDON)

    assert spans == [
        (utc(2027, 3, 26, 10, 0), utc(2027, 3, 26, 11, 0)),
        (utc(2027, 3, 29, 9, 0), utc(2027, 3, 29, 10, 0)),
    ]


def test_series_leaves_out_the_hour_the_clocks_skip_in_spring():
    """Sat 27 to Mon 29 March 2027, every day, 01:00 to 03:00 in 30-minute calls. On Sunday
    28 March the clocks go from 01:00 to 02:00, so 01:00 and 01:30 never happen there."""
    spans = series(date(2027, 3, 27), date(2027, 3, 29), range(7), at(1), at(3), 30, LONDON)

    starts = [wall(start) for start, _ in spans]
    every = [at(1), at(1, 30), at(2), at(2, 30)]
    assert starts == [
        *(datetime.combine(date(2027, 3, 27), t) for t in every),
        datetime(2027, 3, 28, 2, 0),
        datetime(2027, 3, 28, 2, 30),
        *(datetime.combine(date(2027, 3, 29), t) for t in every),
    ]
    assert [start for start, _ in spans if wall(start).date() == date(2027, 3, 28)] == [
        utc(2027, 3, 28, 1, 0),
        utc(2027, 3, 28, 1, 30),
    ]
    assert all(end - start == timedelta(minutes=30) for start, end in spans)
    assert all(not overlap(a, b) for a, b in zip(spans, spans[1:], strict=False))


def test_series_does_not_double_the_hour_repeated_in_autumn():
    """Sunday 31 October 2027: the clocks go back at 02:00, so 01:00 to 02:00 happens twice.
    Each wall-clock time is published once, in order, without overlaps."""
    spans = series(date(2027, 10, 31), date(2027, 10, 31), [6], at(0), at(3), 30, LONDON)

    assert [wall(start).time() for start, _ in spans] == [
        at(0),
        at(0, 30),
        at(1),
        at(1, 30),
        at(2),
        at(2, 30),
    ]
    assert spans[0][0] == utc(2027, 10, 30, 23, 0)  # midnight BST
    assert spans[4][0] == utc(2027, 10, 31, 2, 0)  # 2am GMT
    assert spans == sorted(spans)
    assert all(not overlap(a, b) for a, b in zip(spans, spans[1:], strict=False))


def test_series_calls_last_their_length_across_the_autumn_change():
    """A 30-minute call lasts 30 minutes, as the same time published on its own does
    (publish_time adds the length to the start instant)."""
    spans = series(date(2027, 10, 31), date(2027, 10, 31), [6], at(0), at(3), 30, LONDON)

    assert [end - start for start, end in spans] == [timedelta(minutes=30)] * len(spans)


# sort_out

NOW = utc(2027, 2, 1, 12, 0)


def span(hour: int, minute: int, minutes: int = 30, day: int = 2) -> calls.Span:
    start = utc(2027, 2, day, hour, minute)
    return start, start + timedelta(minutes=minutes)


def test_sort_out_counts_times_in_the_past():
    """Starting before now is past, even if it has not ended; starting at now is not."""
    ended = (NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    running = (NOW - timedelta(minutes=10), NOW + timedelta(minutes=20))
    starting_now = (NOW, NOW + timedelta(minutes=30))
    later = span(10, 0)

    result = sort_out([ended, running, starting_now, later], [], NOW)

    assert result == Sorted(new=[starting_now, later], past=2, clashing=0)


def test_sort_out_leaves_out_times_overlapping_published_ones():
    published = [span(10, 0), span(14, 0, 60)]
    wanted = [
        span(9, 45),  # overlaps the start of 10:00
        span(10, 15),  # overlaps its end
        span(10, 0),  # the same time
        span(14, 10, 10),  # inside 14:00 to 15:00
        span(13, 0, 180),  # around it
        span(11, 0),  # free
    ]

    result = sort_out(wanted, published, NOW)

    assert result == Sorted(new=[span(11, 0)], past=0, clashing=5)


def test_sort_out_wanted_times_overlapping_each_other_keep_the_earliest():
    result = sort_out([span(10, 0), span(10, 15), span(10, 29), span(10, 30)], [], NOW)

    assert result.new == [span(10, 0), span(10, 30)]
    assert result.clashing == 2


def test_sort_out_the_same_time_twice_is_published_once():
    result = sort_out([span(10, 0), span(10, 0)], [], NOW)

    assert result == Sorted(new=[span(10, 0)], past=0, clashing=1)


def test_sort_out_touching_times_do_not_overlap():
    """One ending when another starts: both kept, beside published ones as well."""
    published = [span(10, 0)]
    wanted = [span(9, 30), span(10, 30), span(11, 0)]

    result = sort_out(wanted, published, NOW)

    assert result == Sorted(new=wanted, past=0, clashing=0)


def test_sort_out_unsorted_input_gives_the_same_sorted_result():
    wanted = [span(15, 0), span(9, 0), span(12, 0), span(9, 15), span(11, 0, day=1)]
    published = [span(16, 0), span(12, 20), span(8, 0)]

    result = sort_out(wanted, published, NOW)

    assert result == sort_out(sorted(wanted), sorted(published), NOW)
    assert result.new == [span(9, 0), span(15, 0)]
    assert (result.past, result.clashing) == (1, 2)


def test_sort_out_of_nothing_is_nothing():
    assert sort_out([], [span(10, 0)], NOW) == Sorted()


def test_sort_out_does_not_change_its_arguments():
    wanted, published = [span(11, 0), span(10, 0)], [span(10, 0)]

    sort_out(wanted, published, NOW)

    assert wanted == [span(11, 0), span(10, 0)]
    assert published == [span(10, 0)]


# bookable, changeable, reminder_due, available

START = utc(2027, 3, 1, 10, 0)


def test_bookable_exactly_the_notice_ahead():
    assert bookable(START, START - NOTICE, NOTICE) is True


def test_not_bookable_a_microsecond_inside_the_notice():
    assert bookable(START, START - NOTICE + MICROSECOND, NOTICE) is False


def test_bookable_well_ahead_and_with_no_notice():
    assert bookable(START, START - timedelta(days=30), NOTICE) is True
    assert bookable(START, START, timedelta(0)) is True
    assert bookable(START, START + MICROSECOND, timedelta(0)) is False


def test_changeable_until_the_call_starts():
    assert changeable(START, START - MICROSECOND) is True
    assert changeable(START, START) is False
    assert changeable(START, START + timedelta(hours=1)) is False


DAY = timedelta(hours=24)
LONG_AGO = START - timedelta(days=7)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (START - DAY - MICROSECOND, False),  # not yet in the 24 hours
        (START - DAY, True),  # the 24 hours begin
        (START - timedelta(hours=1), True),
        (START - MICROSECOND, True),
        (START, False),  # the call has started
        (START + timedelta(minutes=5), False),
    ],
)
def test_reminder_due_in_the_24_hours_before_the_call(now, due):
    assert reminder_due(START, LONG_AGO, now) is due


@pytest.mark.parametrize(
    ("booked_at", "due"),
    [
        (START - DAY - MICROSECOND, True),  # booked just over a day ahead: reminded
        (START - DAY, False),  # booked exactly a day ahead: the invite is the reminder
        (START - timedelta(hours=3), False),
    ],
)
def test_no_reminder_for_a_call_booked_inside_the_24_hours(booked_at, due):
    assert reminder_due(START, booked_at, START - timedelta(hours=1)) is due


@pytest.mark.parametrize(
    ("state", "after_close", "taken"),
    [
        (State.FORTHCOMING, False, False),
        (State.FORTHCOMING, True, False),
        (State.OPEN, False, True),
        (State.OPEN, True, True),
        (State.CLOSED, False, False),
        (State.CLOSED, True, True),
    ],
)
def test_available_while_open_and_after_the_close_only_if_allowed(state, after_close, taken):
    assert available(state, after_close) is taken


def test_the_limits_the_forms_use():
    assert (calls.SHORTEST_CALL, calls.LONGEST_CALL) == (10, 240)
    assert (calls.LONGEST_SERIES, calls.MOST_AT_ONCE) == (92, 1000)
    assert calls.REMINDER_BEFORE == DAY


# Properties

BASE = datetime(2027, 1, 1)


@st.composite
def series_args(draw):
    """Arguments for `series`: up to 10 days anywhere in 2027 (both clock changes included),
    any weekdays, any window, any allowed length."""
    first = draw(
        st.one_of(
            st.dates(date(2027, 1, 1), date(2027, 12, 20)),
            st.sampled_from([date(2027, 3, 27), date(2027, 10, 30), date(2027, 3, 28)]),
        )
    )
    last = first + timedelta(days=draw(st.integers(-1, 9)))
    weekdays = draw(st.sets(st.integers(0, 6), max_size=7))
    start = draw(st.integers(0, 24 * 60 - 1))
    end = draw(st.integers(0, 24 * 60 - 1))
    minutes = draw(st.integers(calls.SHORTEST_CALL, calls.LONGEST_CALL))
    as_time = lambda m: time(m // 60, m % 60)  # noqa: E731
    return first, last, weekdays, as_time(start), as_time(end), minutes


@PROPERTY
@given(args=series_args())
@example(args=(date(2027, 3, 28), date(2027, 3, 28), {6}, at(0), at(3), 10))
@example(args=(date(2027, 3, 27), date(2027, 3, 28), set(range(7)), at(0), time(2, 24), 24))
@example(args=(date(2027, 10, 31), date(2027, 10, 31), {6}, at(0), at(4), 240))
def test_series_property(args):
    """Every call is on a chosen weekday between the first and last day, starts at a
    wall-clock time that exists, within the window, and lasts `minutes`; on a day
    without a clock change it also ends within the window; the calls are in order and
    never overlap."""
    first, last, weekdays, day_start, day_end, minutes = args

    spans = series(first, last, weekdays, day_start, day_end, minutes, LONDON)

    per_day = Counter()
    for start, end in spans:
        local_start, local_end = wall(start), wall(end)
        assert start < end
        assert start.utcoffset() == timedelta(0)
        assert first <= local_start.date() <= last
        assert local_start.weekday() in weekdays
        assert end - start == timedelta(minutes=minutes)
        assert day_start <= local_start.time()
        if not clocks_change_on(local_start.date()):
            assert local_end.date() == local_start.date()
            assert local_end.time() <= day_end
        assert (local_start - datetime.combine(local_start.date(), day_start)) % timedelta(
            minutes=minutes
        ) == timedelta(0)
        per_day[local_start.date()] += 1
    assert spans == sorted(spans)
    assert all(not overlap(a, b) for a, b in zip(spans, spans[1:], strict=False))
    window = datetime.combine(BASE, day_end) - datetime.combine(BASE, day_start)
    fits = max(window // timedelta(minutes=minutes), 0)
    assert all(count <= fits for count in per_day.values())
    # A day without a clock change gets every call that fits.
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    for day in days:
        if day.weekday() in weekdays and not clocks_change_on(day):
            assert per_day[day] == fits, day


def test_series_leaves_out_a_start_that_would_overlap_the_call_before_the_spring_gap():
    """00:48 to 01:12 GMT runs into the gap; the next wall-clock start, 02:00 BST, is
    01:00 UTC, inside that call, so it is left out and 02:24 BST follows."""
    spans = series(date(2027, 3, 28), date(2027, 3, 28), {6}, at(0), time(2, 48), 24, LONDON)

    starts = [wall(start).time() for start, _ in spans]
    assert starts == [at(0), time(0, 24), time(0, 48), time(2, 24)]
    assert all(not overlap(a, b) for a, b in zip(spans, spans[1:], strict=False))


def clocks_change_on(day: date) -> bool:
    midnight = datetime.combine(day, time(0)).replace(tzinfo=LONDON)
    return midnight.utcoffset() != (midnight + timedelta(days=1)).utcoffset()


MINUTE = timedelta(minutes=1)


@st.composite
def free_of_overlaps(draw, origin: datetime) -> list[calls.Span]:
    """Spans that do not overlap each other (as published times never do), shuffled."""
    spans, at_minute = [], draw(st.integers(-600, 600))
    for _ in range(draw(st.integers(0, 12))):
        at_minute += draw(st.integers(0, 120))
        length = draw(st.integers(1, 240))
        spans.append((origin + at_minute * MINUTE, origin + (at_minute + length) * MINUTE))
        at_minute += length
    return draw(st.permutations(spans))


@st.composite
def any_spans(draw, origin: datetime) -> list[calls.Span]:
    """Spans anywhere, overlapping or repeated, in any order."""
    starts = st.integers(-600, 3000)
    spans = draw(
        st.lists(
            st.builds(
                lambda start, length: (origin + start * MINUTE, origin + (start + length) * MINUTE),
                starts,
                st.integers(1, 240),
            ),
            max_size=30,
        )
    )
    if spans and draw(st.booleans()):
        spans += draw(st.lists(st.sampled_from(spans), max_size=5))  # exact repeats
    return draw(st.permutations(spans))


def from_series(args) -> list[calls.Span]:
    return series(*args, LONDON)


@st.composite
def sort_out_args(draw):
    origin = datetime(2027, 3, 27, 0, 0, tzinfo=UTC)
    wanted = draw(
        st.one_of(any_spans(origin), series_args().map(from_series).map(lambda s: s[:200]))
    )
    published = draw(
        st.one_of(free_of_overlaps(origin), series_args().map(from_series).map(lambda s: s[:200]))
    )
    now = origin + draw(st.integers(-24 * 60, 3 * 24 * 60)) * MINUTE
    return wanted, published, now


@PROPERTY
@given(args=sort_out_args())
def test_sort_out_property(args):
    """New times never overlap each other or a published one, and all start at or after now;
    every wanted time is new, past or clashing, exactly once; a left-out time is past or
    overlaps a published or a new one; the past count is the times starting before now."""
    wanted, published, now = args

    result = sort_out(wanted, published, now)

    new = result.new
    assert len(new) + result.past + result.clashing == len(wanted)
    assert all(start >= now for start, _ in new)
    assert new == sorted(new)
    for i, a in enumerate(new):
        assert not any(overlap(a, b) for b in new[i + 1 :]), a
        assert not any(overlap(a, b) for b in published), a
    assert not Counter(new) - Counter(wanted), "a new time that was not wanted"
    assert result.past == sum(start < now for start, _ in wanted)
    left_out = Counter(wanted) - Counter(new)
    for item in left_out.elements():
        assert item[0] < now or any(overlap(item, b) for b in [*published, *new]), item
