"""The policy officer's daily summary of the reports readers made of comments.

Each morning from 8am site time the outbox worker asks for it; the first round that finds
reports made between 8am the day before and 8am today queues one email to
POLICY_OFFICER_EMAIL, and every later round that day finds it queued already (its event
key names the day). A day without reports sends nothing, and so does a site without
POLICY_OFFICER_EMAIL. Every day covers the same hours, so no report is listed twice or
missed, across a change of the clocks too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from app.admin.moderation import services
from app.comments.rules import HIDE_AT
from app.extensions import db
from app.mail.compose import queue_once, site_url
from app.mail.outbox import address
from app.models import Comment, CommentReport, OutboxEmail

SUMMARY_HOUR = 8  # site time
EXCERPT_LENGTH = 200
KIND = "comment_reports"


@dataclass(frozen=True)
class Reported:
    """A comment reported during the day, as the summary lists it."""

    post_title: str
    author: str
    excerpt: str
    state: str
    count: int  # its reports made during the day
    reasons: list[str]  # "Spam (2)", "Offensive"
    link: str


def event_key(day: date) -> str:
    """The outbox's key for a day's summary: one email per day."""
    return f"comment-reports:{day.isoformat()}"


def covered(day: date, zone) -> tuple[datetime, datetime]:
    """The hours a day's summary covers, in UTC: 8am the day before to 8am that day."""
    until = datetime.combine(day, time(SUMMARY_HOUR), tzinfo=zone)
    since = datetime.combine(day - timedelta(days=1), time(SUMMARY_HOUR), tzinfo=zone)
    return since.astimezone(UTC), until.astimezone(UTC)


def reported_between(since: datetime, until: datetime) -> list[Reported]:
    """The comments reported from `since` (included) to `until`, each with its reports of
    those hours: the most reported first, then the most recently reported."""
    reports = db.session.scalars(
        select(CommentReport)
        .where(CommentReport.created_at >= since, CommentReport.created_at < until)
        .options(
            selectinload(CommentReport.comment).options(
                selectinload(Comment.post), selectinload(Comment.reader)
            )
        )
        .order_by(CommentReport.created_at.desc(), CommentReport.id.desc())
    ).all()
    by_comment: dict[int, list[CommentReport]] = {}
    for report in reports:
        by_comment.setdefault(report.comment_id, []).append(report)
    ranked = sorted(by_comment.values(), key=len, reverse=True)  # stable: latest first on ties
    return [_reported(group) for group in ranked]


def _reported(reports: list[CommentReport]) -> Reported:
    comment = reports[0].comment
    reasons: dict[str, int] = {}
    for report in reports:
        reasons[report.reason] = reasons.get(report.reason, 0) + 1
    ordered = sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0]))
    return Reported(
        post_title=" ".join(comment.post.title.split()),
        author=services.author_name(comment),
        excerpt=services.excerpt(comment.body, EXCERPT_LENGTH),
        state=services.STATE_NAMES.get(comment.status, comment.status),
        count=len(reports),
        reasons=[services.counted_reason(reason, times) for reason, times in ordered],
        link=site_url("admin.moderation_comment", comment_id=comment.id),
    )


def queue_daily_summary(now: datetime) -> int:
    """Queue today's summary of reports for the policy officer, once, if it is due and
    there is something to say; how many emails were queued (0 or 1). Commits."""
    to = current_app.config.get("POLICY_OFFICER_EMAIL") or ""
    if not to:
        return 0
    zone = current_app.config["SITE_ZONE"]
    local = now.astimezone(zone)
    if local.hour < SUMMARY_HOUR:
        return 0
    key = event_key(local.date())
    if db.session.scalar(select(exists().where(OutboxEmail.event_key == key))):
        return 0
    since, until = covered(local.date(), zone)
    reported = reported_between(since, until)
    if not reported:
        return 0
    queued = queue_once(
        key,
        kind=KIND,
        to=address("", to),
        template="moderation/daily_summary",
        context={
            "reported": reported,
            "reports": sum(item.count for item in reported),
            "since": since,
            "until": until,
            "queue_url": site_url("admin.moderation"),
            "hide_at": HIDE_AT,
        },
        now=now,
    )
    db.session.commit()
    return int(queued)
