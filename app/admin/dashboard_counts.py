"""Counts for the dashboard: responses per channel, and per day in the site's time zone."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.consultations.lifecycle import State
from app.extensions import db
from app.models import SUBMITTED, Consultation, Response

CHART_DAYS = 28


class hour_of(FunctionElement):  # noqa: N801 (an SQL function reads best in lower case)
    """The UTC hour an instant falls in, as text 'YYYY-MM-DD HH', on SQLite or PostgreSQL.

    Counting by hour in the database and by day in Python gives days in the site's
    zone (the UK's offset is a whole hour) without zone support in the database.
    """

    type = String()
    inherit_cache = True


@compiles(hour_of, "sqlite")
def _hour_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m-%d %H', {compiler.process(element.clauses, **kw)})"


@compiles(hour_of, "postgresql")
def _hour_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD HH24')"


def channel_counts() -> dict[int, Counter]:
    """Submitted responses per consultation and channel, in one query."""
    counts: dict[int, Counter] = defaultdict(Counter)
    for consultation_id, channel, count in db.session.execute(
        select(Response.consultation_id, Response.channel, func.count())
        .where(Response.status == SUBMITTED)
        .group_by(Response.consultation_id, Response.channel)
    ):
        counts[consultation_id][channel] = count
    return counts


def chart_days(consultation: Consultation, now: datetime, zone: ZoneInfo) -> list[date]:
    """The days the dashboard charts: up to CHART_DAYS, from the opening to today or the close."""
    if consultation.state(now) is State.OPEN or consultation.closes_at > now:
        end = now
    else:
        # Closed: up to the last response, which may be a late one or a message sent
        # after the close, or else the deadline.
        latest = db.session.scalar(
            select(func.max(Response.submitted_at)).where(
                Response.consultation_id == consultation.id, Response.status == SUBMITTED
            )
        )
        end = min(now, max(consultation.closes_at, latest or consultation.closes_at))
    if consultation.opens_at > end:
        return []
    # Worked out from the end so that no date far from today is ever converted.
    last_day = end.astimezone(zone).date()
    earliest = max(consultation.opens_at, end - timedelta(days=CHART_DAYS))
    first_day = max(earliest.astimezone(zone).date(), last_day - timedelta(days=CHART_DAYS - 1))
    return [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]


def per_day(consultation: Consultation, days: list[date], zone: ZoneInfo) -> list[tuple[date, int]]:
    """Submitted responses on each of `days` (local days), oldest first."""
    if not days:
        return []
    since = datetime.combine(days[0], datetime.min.time(), tzinfo=zone)
    until = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    hour = hour_of(Response.submitted_at)
    counts: Counter = Counter()
    for text, count in db.session.execute(
        select(hour, func.count())
        .where(
            Response.consultation_id == consultation.id,
            Response.status == SUBMITTED,
            Response.submitted_at >= since,
            Response.submitted_at < until,
        )
        .group_by(hour)
    ):
        instant = datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=ZoneInfo("UTC"))
        counts[instant.astimezone(zone).date()] += count
    return [(day, counts[day]) for day in days]
