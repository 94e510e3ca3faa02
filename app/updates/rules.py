"""Pure rules: which news of a consultation is due at `now`.

A consultation's followers hear when it opens, a week before its deadline, when it closes
and when its outcome is published; the site's subscribers hear when it opens. Each piece of
news has a moment and a key that makes it once: "opened" and "closed" once, "week left"
once per deadline (a deadline moved later earns its own), the outcome once however often
it is taken down and published again. News is due from its moment for ANNOUNCE_WITHIN and
never after, so a worker that was down for days, or news from before updates existed,
reaches nobody late; its emails are worthless once `until` has passed.

The public sees a consultation from its publication: nothing happens for them before then,
and a consultation published after its opening time opened when it was published.

Only an admin's latest hand change is stored (`override`, `override_changed_at`), so its
past is read from that one change, as open stretches ("spans"):

- "Open" by hand at c: the dates held until c, open from c on (an early opening; or, made
  while the dates say open, kept open past the deadline; or, made after the deadline,
  opened again).
- "Closed" by hand at c: open by the dates until c. One made after the deadline is read as
  ending a hand opening, so it closes at c; if the dates had closed it already, the worker
  announced that close then.
- Back to "follow the dates" at c: read as a change that made a difference at c. Made
  while the dates say open, it reopens a consultation closed by hand (open from c); made
  after the deadline, it ends a hand opening (open until c); made before the opening, the
  dates hold.
- A change after the deadline of a consultation published after its deadline ends
  nothing: the public never saw it open.
- A hand setting with no moment recorded has always held.

"Opened" and "closed" are the first stretch's start and end: a consultation opened again
later sends neither again. Each reading errs, if at all, only where the worker has already
sent the news under its key, except two rare ones: closed by hand before it opened, then
set back to the dates after the deadline, reads as open until then ("closed" is sent);
opened by hand as a draft, published after its deadline and then closed, reads as never
open ("closed" is not sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from app.consultations.lifecycle import Override

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
    """What decides a consultation's news, as plain values (aware datetimes)."""

    opens_at: datetime
    closes_at: datetime
    override: Override
    override_changed_at: datetime | None
    published_at: datetime | None
    outcome_published_at: datetime | None

    @classmethod
    def of(cls, row) -> Timeline:
        """The timeline of a consultation, or of a row with the same columns."""
        return cls(
            opens_at=row.opens_at,
            closes_at=row.closes_at,
            override=Override(row.override),
            override_changed_at=row.override_changed_at,
            published_at=row.published_at,
            outcome_published_at=row.outcome_published_at,
        )


@dataclass(frozen=True)
class Due:
    """News to send: what, the moment it happened, the key that makes it once, and the
    moment after which its emails are not worth sending."""

    news: News
    moment: datetime
    key: str
    until: datetime


@dataclass(frozen=True)
class Span:
    """A stretch of time the public could take part: from `start` until `end` (None: on)."""

    start: datetime
    end: datetime | None

    def holds(self, now: datetime) -> bool:
        """Whether `now` is within the stretch."""
        return self.start <= now and (self.end is None or now < self.end)


def _utc(moment: datetime | None) -> datetime | None:
    """A moment in UTC; refuses one without a time zone, which the rules cannot place."""
    if moment is not None and moment.tzinfo is None:
        raise ValueError("times must carry a time zone")
    return moment.astimezone(UTC) if moment is not None else None


def _by_hand(t: Timeline, published: datetime) -> list[tuple[datetime | None, datetime | None]]:
    """The open stretches as the latest hand change is read (see the module's docstring),
    before publication is taken into account. None: without a start, or without an end."""
    opens, closes, changed = _utc(t.opens_at), _utc(t.closes_at), _utc(t.override_changed_at)
    if t.override is Override.OPEN:
        if changed is None:
            return [(None, None)]
        if changed < opens:
            return [(changed, None)]
        if changed <= closes:
            return [(opens, None)]
        return [(opens, closes), (changed, None)]
    # A change after the deadline ends a hand opening, if the public could have seen one.
    ends_opening = changed is not None and changed >= closes and published < closes
    if t.override is Override.CLOSED:
        if changed is None or changed <= opens:
            return []
        return [(opens, changed if ends_opening or changed < closes else closes)]
    if changed is not None and opens < changed < closes:
        return [(changed, closes)]
    return [(opens, changed if ends_opening else closes)]


def spans(t: Timeline) -> list[Span]:
    """When the public could take part: the hand change's reading from publication on."""
    published = _utc(t.published_at)
    if published is None:
        return []
    found = []
    for start, end in _by_hand(t, published):
        start = published if start is None else max(start, published)
        if end is None or start < end:
            found.append(Span(start, end))
    return found


def first_span(t: Timeline, now: datetime) -> Span | None:
    """The first stretch it was open to the public, if that had begun by `now`."""
    found = spans(t)
    return found[0] if found and found[0].start <= _utc(now) else None


def is_open(t: Timeline, now: datetime) -> bool:
    """Whether the public can take part at `now`, as the timeline is read."""
    now = _utc(now)
    return any(span.holds(now) for span in spans(t))


def opened_at(t: Timeline, now: datetime) -> datetime | None:
    """When the public could first take part, if it has by `now`."""
    first = first_span(t, now)
    return first.start if first is not None else None


def closed_at(t: Timeline, now: datetime) -> datetime | None:
    """When its first stretch open ended, if it had by `now` and it is not open again."""
    first = first_span(t, now)
    if first is None or first.end is None or first.end > _utc(now) or is_open(t, now):
        return None
    return first.end


def week_left_at(t: Timeline) -> datetime | None:
    """A week before the deadline, if followers hear then, as the timeline stands: the
    consultation follows its dates and is open to the public from before that moment until
    its deadline (one that opens within its last week sends only its opening). The one
    reading of the reminder: what is due (week_before_deadline) and what the pages promise
    (promises_week_left) both ask it, so that they cannot disagree."""
    if t.override is not Override.AUTO:
        return None
    closes = _utc(t.closes_at)
    week_before = closes - WEEK
    found = spans(t)
    if not found or not found[0].start < week_before:
        return None
    if found[0].end is not None and found[0].end < closes:
        return None
    return week_before


def week_before_deadline(t: Timeline, now: datetime) -> datetime | None:
    """A week before the deadline, if the reminder applies at `now`: its moment has come
    and the deadline has not."""
    week_before = week_left_at(t)
    if week_before is None or not week_before <= _utc(now) < _utc(t.closes_at):
        return None
    return week_before


def promises_week_left(t: Timeline, now: datetime) -> bool:
    """Whether someone who follows at `now` will hear a week before the deadline, if the
    timeline does not change: the reminder is sent, and its moment is still to come
    (followers hear only of what happens after they follow)."""
    week_before = week_left_at(t)
    return week_before is not None and _utc(now) < week_before


def outcome_at(t: Timeline, now: datetime) -> datetime | None:
    """When the public could first read its outcome as published now, if by `now`."""
    if t.published_at is None or t.outcome_published_at is None:
        return None
    moment = max(_utc(t.outcome_published_at), _utc(t.published_at))
    return moment if moment <= _utc(now) else None


def moments(t: Timeline) -> list[datetime]:
    """Every instant news can have as its moment: what the worker looks for in the
    database (updates.mailings), so that it reads nothing else while none is recent."""
    found = [t.opens_at, t.closes_at, t.closes_at - WEEK]
    found += [t.override_changed_at, t.published_at, t.outcome_published_at]
    return [_utc(moment) for moment in found if moment is not None]


def _stamp(moment: datetime) -> str:
    """A moment as a key's part, to the minute in UTC: "20270405T1600Z"."""
    return _utc(moment).strftime("%Y%m%dT%H%MZ")


def due(consultation_id: int, t: Timeline, now: datetime) -> list[Due]:
    """The news of one consultation due at `now`, in the order it happens, before asking
    whether it was sent: at most one of each kind."""
    now = _utc(now)
    fresh = now - ANNOUNCE_WITHIN
    news = []
    first = first_span(t, now)
    if first is not None and first.holds(now) and first.start >= fresh:
        until = first.start + ANNOUNCE_WITHIN
        if first.end is not None:
            until = min(until, first.end)
        news.append(Due(News.OPENED, first.start, f"opened:{consultation_id}", until))
    week_before = week_before_deadline(t, now)
    if week_before is not None and week_before >= fresh:
        # Keyed by the deadline: one moved later earns its own reminder.
        closes = _utc(t.closes_at)
        key = f"week_left:{consultation_id}:{_stamp(closes)}"
        news.append(Due(News.WEEK_LEFT, week_before, key, week_before + ANNOUNCE_WITHIN))
    closed = closed_at(t, now)
    if closed is not None and closed >= fresh:
        key = f"closed:{consultation_id}"
        news.append(Due(News.CLOSED, closed, key, closed + ANNOUNCE_WITHIN))
    outcome = outcome_at(t, now)
    if outcome is not None and outcome >= fresh:
        key = f"outcome:{consultation_id}"
        news.append(Due(News.OUTCOME, outcome, key, outcome + ANNOUNCE_WITHIN))
    return news
