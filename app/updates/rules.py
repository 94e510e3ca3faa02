"""Pure rules: which news of a consultation its followers are due at `now`.

A consultation's followers hear when it opens (if they followed it before), a week before
its deadline, when it closes and when its outcome is published; the site's subscribers hear
when it opens. Each piece of news has a moment; news older than ANNOUNCE_WITHIN is never
sent, so a worker that was down for days, or news from before updates existed, does not
reach anyone late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.consultations.lifecycle import Override, State, state_at

ANNOUNCE_WITHIN = timedelta(days=2)
WEEK = timedelta(days=7)
# An address that has not confirmed within this long of signing up is deleted.
CONFIRM_WITHIN = timedelta(days=7)
# At most one email per address per this long because someone typed it into a form.
NOTICE_EVERY = timedelta(minutes=15)


class News(StrEnum):
    OPENED = "opened"
    WEEK_LEFT = "week_left"
    CLOSED = "closed"
    OUTCOME = "outcome"


@dataclass(frozen=True)
class Timeline:
    """What decides a consultation's news, as plain values."""

    opens_at: datetime
    closes_at: datetime
    override: Override
    override_changed_at: datetime | None
    published_at: datetime | None
    outcome_published_at: datetime | None


@dataclass(frozen=True)
class Due:
    """News to send: what, the moment it happened, and the key that makes it once."""

    news: News
    moment: datetime
    key: str


def opened_at(t: Timeline, now: datetime) -> datetime | None:
    """When the public could first take part, or None if it has not opened by `now`."""
    if t.published_at is None or t.published_at > now:
        return None
    changed = t.override_changed_at
    if t.override is Override.OPEN and (changed is None or changed < t.opens_at):
        # Opened early by hand (when is unknown for a row from before that was recorded).
        start = changed if changed is not None else min(now, t.opens_at)
    elif t.opens_at <= now and not (
        t.override is Override.CLOSED and changed is not None and changed <= t.opens_at
    ):
        start = t.opens_at
    else:
        return None
    return max(start, t.published_at)


def closed_at(t: Timeline, now: datetime) -> datetime | None:
    """When it closed, if it is closed at `now` after having been open."""
    state = state_at(t.opens_at, t.closes_at, t.override, now)
    opened = opened_at(t, now)
    if state is not State.CLOSED or opened is None:
        return None
    ends = []
    if t.closes_at <= now:
        ends.append(t.closes_at)
    if t.override is Override.CLOSED:
        ends.append(t.override_changed_at or now)
    return max(min(ends), opened)


def due(consultation_id: int, t: Timeline, now: datetime) -> list[Due]:
    """The news of one consultation due at `now`, before asking whether it was sent."""
    fresh = now - ANNOUNCE_WITHIN
    state = state_at(t.opens_at, t.closes_at, t.override, now)
    news = []
    opened = opened_at(t, now)
    if state is State.OPEN and opened is not None and opened >= fresh:
        news.append(Due(News.OPENED, opened, f"opened:{consultation_id}"))
    week_before = t.closes_at - WEEK
    if (
        state is State.OPEN
        and t.override is Override.AUTO
        and opened is not None
        and opened < week_before <= now < t.closes_at
        and week_before >= fresh
    ):
        # Keyed by the deadline: one moved later earns its own reminder.
        stamp = t.closes_at.strftime("%Y%m%dT%H%MZ")
        news.append(Due(News.WEEK_LEFT, week_before, f"week_left:{consultation_id}:{stamp}"))
    closed = closed_at(t, now)
    if closed is not None and closed >= fresh:
        news.append(Due(News.CLOSED, closed, f"closed:{consultation_id}"))
    outcome = t.outcome_published_at
    if t.published_at is not None and outcome is not None and fresh <= outcome <= now:
        news.append(Due(News.OUTCOME, outcome, f"outcome:{consultation_id}"))
    return news
