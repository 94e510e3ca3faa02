"""The pure rules for the news a consultation's followers and the site's subscribers get
(app/updates/rules.py): when it opens, a week before its deadline, when it closes and when
its outcome is published; each once, at its moment, and never late.

Nothing here needs the app: every rule takes the timeline and `now` as plain values.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.consultations.lifecycle import Override, State, state_at
from app.updates import rules
from app.updates.rules import ANNOUNCE_WITHIN, WEEK, Due, News, Span, Timeline
from tests.support.clients import utc

ID = 7
OPENS = utc(2027, 3, 1, 9)
CLOSES = utc(2027, 4, 5, 16)  # after the clocks change: rules work in UTC throughout
PUBLISHED = OPENS - timedelta(days=10)
OUTCOME = CLOSES + timedelta(days=20)
TICK = timedelta(microseconds=1)
DAY = timedelta(days=1)

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def timeline(**changes) -> Timeline:
    """A consultation following its dates, published ten days before it opens."""
    values = {
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "override": Override.AUTO,
        "override_changed_at": None,
        "published_at": PUBLISHED,
        "outcome_published_at": None,
    }
    values.update(changes)
    return Timeline(**values)


def news_at(t: Timeline, now: datetime) -> dict[News, Due]:
    return {item.news: item for item in rules.due(ID, t, now)}


def kinds_at(t: Timeline, now: datetime) -> list[News]:
    return [item.news for item in rules.due(ID, t, now)]


# --- a consultation that follows its dates ---------------------------------------------------


def test_each_piece_of_news_is_due_at_its_moment_and_not_before():
    t = timeline(outcome_published_at=OUTCOME)

    assert kinds_at(t, OPENS - TICK) == []
    assert news_at(t, OPENS)[News.OPENED] == Due(
        News.OPENED, OPENS, f"opened:{ID}", OPENS + ANNOUNCE_WITHIN
    )
    assert kinds_at(t, CLOSES - WEEK - TICK) == []
    assert news_at(t, CLOSES - WEEK)[News.WEEK_LEFT] == Due(
        News.WEEK_LEFT, CLOSES - WEEK, f"week_left:{ID}:20270405T1600Z", CLOSES - WEEK + 2 * DAY
    )
    assert kinds_at(t, CLOSES - TICK) == []
    assert news_at(t, CLOSES)[News.CLOSED] == Due(
        News.CLOSED, CLOSES, f"closed:{ID}", CLOSES + ANNOUNCE_WITHIN
    )
    assert kinds_at(t, OUTCOME - TICK) == []
    assert news_at(t, OUTCOME)[News.OUTCOME] == Due(
        News.OUTCOME, OUTCOME, f"outcome:{ID}", OUTCOME + ANNOUNCE_WITHIN
    )


@pytest.mark.parametrize(
    ("moment", "kind"),
    [
        (OPENS, News.OPENED),
        (CLOSES - WEEK, News.WEEK_LEFT),
        (CLOSES, News.CLOSED),
        (OUTCOME, News.OUTCOME),
    ],
    ids=str,
)
def test_news_older_than_two_days_is_never_due(moment, kind):
    """A worker that was down over the moment, for longer than ANNOUNCE_WITHIN, sends nothing."""
    t = timeline(outcome_published_at=OUTCOME)

    assert kind in kinds_at(t, moment + ANNOUNCE_WITHIN)
    assert kind not in kinds_at(t, moment + ANNOUNCE_WITHIN + TICK)


def test_a_draft_has_no_news_at_any_moment():
    t = timeline(published_at=None, outcome_published_at=OUTCOME)

    for now in (OPENS, CLOSES - WEEK, CLOSES, OUTCOME):
        assert rules.due(ID, t, now) == []
    assert rules.spans(t) == []


def test_a_consultation_published_after_its_opening_time_opens_when_it_is_published():
    published = OPENS + 3 * DAY
    t = timeline(published_at=published)

    assert kinds_at(t, published - TICK) == []
    assert news_at(t, published)[News.OPENED].moment == published
    assert rules.opened_at(t, CLOSES) == published


def test_one_published_within_its_last_week_sends_its_opening_and_no_reminder():
    published = CLOSES - WEEK + DAY
    t = timeline(published_at=published)

    assert kinds_at(t, published) == [News.OPENED]
    assert kinds_at(t, published + DAY) == [News.OPENED]
    assert rules.week_before_deadline(t, published) is None


def test_one_published_after_its_deadline_never_opened_or_closed_but_has_an_outcome():
    published = CLOSES + DAY
    t = timeline(published_at=published, outcome_published_at=published)

    assert rules.spans(t) == []
    assert kinds_at(t, published) == [News.OUTCOME]
    assert news_at(t, published)[News.OUTCOME].moment == published


def test_an_outcome_published_before_the_consultation_is_counts_from_its_publication():
    """A draft whose outcome was written before it went public: the news is its publication."""
    published = CLOSES + 5 * DAY
    t = timeline(published_at=published, outcome_published_at=CLOSES + DAY)

    assert kinds_at(t, CLOSES + 2 * DAY) == []
    assert news_at(t, published)[News.OUTCOME].moment == published


def test_a_consultation_shorter_than_a_week_sends_no_reminder():
    t = timeline(closes_at=OPENS + 5 * DAY)

    assert [kinds_at(t, OPENS + hours * timedelta(hours=1)) for hours in (0, 1, 119)] == [
        [News.OPENED],
        [News.OPENED],
        [],
    ]
    assert rules.week_before_deadline(t, OPENS + DAY) is None


def test_one_that_opens_exactly_a_week_before_its_deadline_sends_only_its_opening():
    t = timeline(closes_at=OPENS + WEEK)

    assert kinds_at(t, OPENS) == [News.OPENED]


def test_a_deadline_moved_later_earns_a_new_reminder_but_opens_and_closes_once():
    before = timeline()
    later = replace(before, closes_at=CLOSES + 3 * WEEK)

    first = news_at(before, CLOSES - WEEK)[News.WEEK_LEFT]
    second = news_at(later, CLOSES + 2 * WEEK)[News.WEEK_LEFT]
    assert first.key != second.key
    assert second.key == f"week_left:{ID}:20270426T1600Z"
    assert (
        news_at(before, CLOSES)[News.CLOSED].key
        == news_at(later, CLOSES + 3 * WEEK)[News.CLOSED].key
    )
    assert news_at(before, OPENS)[News.OPENED].key == news_at(later, OPENS)[News.OPENED].key


def test_a_deadline_moved_later_after_the_close_reopens_without_a_second_opening():
    """Moved two weeks on, the day after it closed: open again, with a reminder a week before
    the new deadline; "opened" stays in the past and "closed" has one key."""
    later = timeline(closes_at=CLOSES + 2 * WEEK)

    assert rules.is_open(later, CLOSES + DAY)
    assert kinds_at(later, CLOSES + DAY) == []
    assert kinds_at(later, CLOSES + WEEK) == [News.WEEK_LEFT]


def test_the_opening_is_not_worth_sending_once_closed():
    t = timeline(closes_at=OPENS + DAY)

    assert news_at(t, OPENS)[News.OPENED].until == OPENS + DAY


def test_an_outcome_withdrawn_and_published_again_is_the_same_news():
    first = timeline(outcome_published_at=OUTCOME)
    again = replace(first, outcome_published_at=OUTCOME + 3 * DAY)

    assert (
        news_at(first, OUTCOME)[News.OUTCOME].key
        == news_at(again, OUTCOME + 3 * DAY)[News.OUTCOME].key
    )
    assert kinds_at(replace(first, outcome_published_at=None), OUTCOME) == []


def test_times_without_a_zone_are_refused():
    with pytest.raises(ValueError, match="time zone"):
        rules.due(ID, timeline(), OPENS.replace(tzinfo=None))


# --- an admin opening or closing by hand ------------------------------------------------------

EARLY = OPENS - 3 * DAY
MIDWAY = OPENS + 10 * DAY
LATE = CLOSES + 4 * DAY


@pytest.mark.parametrize(
    ("override", "changed", "expected"),
    [
        pytest.param(Override.AUTO, None, [(OPENS, CLOSES)], id="the dates"),
        pytest.param(Override.OPEN, EARLY, [(EARLY, None)], id="opened early"),
        pytest.param(Override.OPEN, MIDWAY, [(OPENS, None)], id="kept open"),
        pytest.param(Override.OPEN, LATE, [(OPENS, CLOSES), (LATE, None)], id="opened again"),
        pytest.param(Override.OPEN, CLOSES, [(OPENS, None)], id="kept open at the deadline"),
        pytest.param(Override.OPEN, None, [(PUBLISHED, None)], id="open since before records"),
        pytest.param(Override.CLOSED, EARLY, [], id="closed before opening"),
        pytest.param(Override.CLOSED, MIDWAY, [(OPENS, MIDWAY)], id="closed early"),
        pytest.param(Override.CLOSED, LATE, [(OPENS, LATE)], id="a hand opening closed"),
        pytest.param(Override.CLOSED, None, [], id="closed since before records"),
        pytest.param(Override.AUTO, EARLY, [(OPENS, CLOSES)], id="dates again before opening"),
        pytest.param(Override.AUTO, MIDWAY, [(MIDWAY, CLOSES)], id="reopened by the dates"),
        pytest.param(Override.AUTO, LATE, [(OPENS, LATE)], id="a hand opening ended"),
    ],
)
def test_the_latest_hand_change_is_read_as_open_stretches(override, changed, expected):
    t = timeline(override=override, override_changed_at=changed)

    assert rules.spans(t) == [Span(start, end) for start, end in expected]


@pytest.mark.parametrize("override", [Override.CLOSED, Override.AUTO])
def test_a_change_after_the_deadline_ends_nothing_the_public_never_saw(override):
    t = timeline(override=override, override_changed_at=LATE, published_at=CLOSES + DAY)

    assert rules.spans(t) == []
    assert rules.due(ID, t, LATE) == []


def test_opened_early_by_hand_the_opening_is_the_admins_and_the_dates_add_nothing():
    t = timeline(override=Override.OPEN, override_changed_at=EARLY)

    assert news_at(t, EARLY)[News.OPENED].moment == EARLY
    assert kinds_at(t, OPENS) == []
    assert kinds_at(t, CLOSES - WEEK) == []  # open by hand: no deadline to remind of
    assert kinds_at(t, CLOSES) == []


def test_closed_early_by_hand_it_closes_then():
    t = timeline(override=Override.CLOSED, override_changed_at=MIDWAY)

    assert news_at(t, MIDWAY)[News.CLOSED].moment == MIDWAY
    assert kinds_at(t, CLOSES) == []


def test_kept_open_past_the_deadline_it_closes_when_closed_by_hand():
    t = timeline(override=Override.CLOSED, override_changed_at=LATE)

    assert news_at(t, LATE)[News.CLOSED].moment == LATE


def test_closed_before_it_opened_it_has_no_news():
    t = timeline(override=Override.CLOSED, override_changed_at=EARLY)

    for now in (EARLY, OPENS, CLOSES - WEEK, CLOSES):
        assert rules.due(ID, t, now) == []


def test_reopened_after_its_close_it_sends_no_second_opening():
    t = timeline(override=Override.OPEN, override_changed_at=LATE)

    assert rules.is_open(t, LATE)
    assert rules.closed_at(t, LATE) is None
    assert kinds_at(t, LATE) == []


# --- properties over random timelines and clocks ----------------------------------------------

START = utc(2027, 1, 1)
HOUR = timedelta(hours=1)


def instants(low: int = 0, high: int = 24 * 120) -> st.SearchStrategy[datetime]:
    """Instants on the hour (or a minute off one, to meet boundaries and miss them)."""
    return st.builds(
        lambda hours, minutes: START + hours * HOUR + timedelta(minutes=minutes),
        st.integers(low, high),
        st.sampled_from([0, 0, 0, 1, 59]),
    )


# Made once: hypothesis works a strategy out each time one is made.
OPENINGS = instants(0, 24 * 40)
LENGTHS = st.sampled_from([HOUR, 5 * DAY, WEEK, WEEK + HOUR, 20 * DAY, 40 * DAY])
OVERRIDES = st.sampled_from(list(Override))
BY_HAND = st.sampled_from([Override.OPEN, Override.CLOSED])
EVENTS = instants()
MAYBE = st.none() | EVENTS
NOWS = instants(0, 24 * 130)
CLOCKS = st.lists(NOWS, min_size=1, max_size=60).map(sorted)


@st.composite
def timelines(draw, published=True) -> Timeline:
    opens = draw(OPENINGS)
    return Timeline(
        opens_at=opens,
        closes_at=opens + draw(LENGTHS),
        override=draw(OVERRIDES),
        override_changed_at=draw(MAYBE),
        published_at=draw(EVENTS if published else MAYBE),
        outcome_published_at=draw(MAYBE),
    )


TIMELINES = timelines()


@PROPERTY
@given(t=timelines(published=False), now=NOWS)
def test_no_news_is_due_before_publication(t, now):
    if t.published_at is None or t.published_at > now:
        assert rules.due(ID, t, now) == []


@PROPERTY
@given(t=TIMELINES, now=NOWS)
def test_news_is_due_only_within_its_window_and_at_a_moment_the_worker_looks_for(t, now):
    for item in rules.due(ID, t, now):
        assert item.moment <= now <= item.moment + ANNOUNCE_WITHIN
        assert now <= item.until <= item.moment + ANNOUNCE_WITHIN
        assert item.moment >= t.published_at
        assert item.moment in rules.moments(t)


@PROPERTY
@given(t=TIMELINES, now=NOWS)
def test_each_piece_of_news_is_true_when_it_is_due(t, now):
    due = news_at(t, now)
    assert len(due) == len(rules.due(ID, t, now))
    if News.OPENED in due or News.WEEK_LEFT in due:
        assert rules.is_open(t, now)
    if News.CLOSED in due:
        assert not rules.is_open(t, now)
    if News.WEEK_LEFT in due:
        assert t.override is Override.AUTO
        assert t.closes_at - WEEK <= now < t.closes_at
        assert rules.opened_at(t, now) < t.closes_at - WEEK


@PROPERTY
@given(t=TIMELINES, now=NOWS)
def test_the_reminder_is_promised_exactly_when_it_will_be_due_after_now(t, now):
    """What the pages say a follower will hear (promises_week_left) and what the worker
    sends (due) agree, whatever the timeline: the reminder is promised at `now` only if it
    is still to come, and is then due at its moment."""
    week_before = t.closes_at - WEEK
    will_be_due = now < week_before and News.WEEK_LEFT in kinds_at(t, week_before)
    assert rules.promises_week_left(t, now) == will_be_due


def test_one_open_for_3_days_closing_in_13_promises_no_reminder_and_sends_none():
    now = OPENS - 10 * DAY
    t = timeline(closes_at=OPENS + 3 * DAY, published_at=now - DAY)

    assert not rules.promises_week_left(t, now)
    assert [kinds_at(t, moment) for moment in (OPENS, t.closes_at - WEEK, t.closes_at)] == [
        [News.OPENED],
        [],
        [News.CLOSED],
    ]


@PROPERTY
@given(t=TIMELINES, now=NOWS)
def test_once_the_hand_change_is_made_the_reading_agrees_with_the_site(t, now):
    """What the site shows (lifecycle.state_at, from the current setting) is what the rules
    read, from the latest hand change and the publication on."""
    changed = t.override_changed_at
    if (changed is None or changed <= now) and t.published_at <= now:
        state = state_at(t.opens_at, t.closes_at, t.override, now)
        assert rules.is_open(t, now) == (state is State.OPEN)


@PROPERTY
@given(t=TIMELINES, clock=CLOCKS)
def test_over_any_clock_each_key_keeps_its_moment_and_the_news_comes_in_order(t, clock):
    """A worker at each instant of `clock`, queueing each key once: whatever it queues is
    queued in the order it happens (opened, week left, closed), each at one moment."""
    moment_of: dict[str, datetime] = {}
    queued: list[Due] = []
    for now in clock:
        for item in rules.due(ID, t, now):
            assert moment_of.setdefault(item.key, item.moment) == item.moment
            if item.key not in {done.key for done in queued}:
                queued.append(item)
    order = [item for item in queued if item.news is not News.OUTCOME]
    ranks = [list(News).index(item.news) for item in order]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)
    moments = [item.moment for item in order]
    assert moments == sorted(moments)


# --- properties over histories with a hand change ---------------------------------------------


@st.composite
def histories(draw) -> Timeline:
    """A consultation's life, as the timeline stands at its end: its dates, when it is
    published, at most one hand change from following the dates, and an outcome."""
    t = draw(TIMELINES)
    if draw(st.booleans()):
        t = replace(t, override=Override.AUTO, override_changed_at=None)
    else:
        t = replace(t, override=draw(BY_HAND))
        if t.override_changed_at is None:
            t = replace(t, override_changed_at=draw(EVENTS))
    return t


def as_known_at(t: Timeline, now: datetime) -> Timeline:
    """The timeline as the database held it at `now`: later events had not happened."""
    changed = t.override_changed_at
    by_hand = changed is not None and changed <= now

    def by_now(moment):
        return moment if moment is not None and moment <= now else None

    return replace(
        t,
        override=t.override if by_hand else Override.AUTO,
        override_changed_at=changed if by_hand else None,
        published_at=by_now(t.published_at),
        outcome_published_at=by_now(t.outcome_published_at),
    )


def true_spans(t: Timeline, until: datetime) -> list[tuple[datetime, datetime | None]]:
    """When the public could really take part: the site's state (lifecycle.state_at) at
    each stretch between two events, merged; worked out apart from the rules' reading."""
    events = sorted(
        {t.opens_at, t.closes_at, t.published_at, t.override_changed_at or t.opens_at, until}
    )
    found: list[list] = []
    for start, end in zip(events, events[1:] + [None], strict=True):
        known = as_known_at(t, start)
        state = state_at(known.opens_at, known.closes_at, known.override, start)
        if known.published_at is None or state is not State.OPEN:
            continue
        if found and found[-1][1] == start:
            found[-1][1] = end
        else:
            found.append([start, end])
    return [(start, end) for start, end in found]


def true_news(t: Timeline, until: datetime) -> dict[News, datetime]:
    """The news that really happened, and when."""
    found = true_spans(t, until)
    news = {}
    if found:
        first_start, first_end = found[0]
        news[News.OPENED] = first_start
        if first_end is not None and first_end <= until:
            news[News.CLOSED] = first_end
        week_before = t.closes_at - WEEK
        at_reminder = as_known_at(t, week_before)
        if (
            at_reminder.override is Override.AUTO
            and first_start < week_before
            and (first_end is None or week_before < first_end)
        ):
            news[News.WEEK_LEFT] = week_before
    if t.published_at is not None and t.outcome_published_at is not None:
        news[News.OUTCOME] = max(t.published_at, t.outcome_published_at)
    return news


@PROPERTY
@given(t=histories(), extra=st.lists(NOWS, max_size=20))
def test_a_worker_sends_exactly_the_news_that_happened_each_once_at_its_moment(t, extra):
    """A worker running at every event of a life with at most one hand change (and at other
    instants), seeing the timeline as it stood then, sends each piece of news that really
    happened, once, with the moment it happened; and nothing else."""
    events = [t.opens_at, t.closes_at, t.closes_at - WEEK, t.published_at]
    events += [t.override_changed_at, t.outcome_published_at]
    until = max(moment for moment in events if moment is not None) + 3 * DAY
    sent: dict[News, datetime] = {}
    for now in sorted({*extra, *(moment for moment in events if moment is not None), until}):
        for item in rules.due(ID, as_known_at(t, now), now):
            sent.setdefault(item.news, item.moment)

    assert sent == true_news(t, until)
