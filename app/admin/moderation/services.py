"""Moderating readers' comments: the queue, and what a moderator can do to a comment or
a reader. Each action takes plain values, records an audit event saying what it was
before and after, and commits.

Each action returns None when what it acts on no longer exists (a comment its author
deleted, a reader who deleted their account), for the view to say so; otherwise whether
it changed anything. One that would change nothing (restoring a comment already shown,
pressed again on a page left open) changes nothing and records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import selectinload

from app.comments.rules import REPORT_REASONS
from app.comments.text import plain_text
from app.extensions import db
from app.models import Comment, CommentReport, Reader, record_audit
from app.models.news import HELD, REMOVED, VISIBLE

PAGE_SIZE = 50
EXCERPT_LENGTH = 100
REASON_LENGTH = 200

# A comment's state in the thread's words.
STATE_NAMES = {VISIBLE: "Shown", HELD: "Hidden by reports", REMOVED: "Removed by a moderator"}
FORMER_READER = "a former reader"


def reason_name(reason: str) -> str:
    """The words for a report's reason, 'Personal information' for 'personal_information';
    any other value stored is shown tidied."""
    return REPORT_REASONS.get(reason) or reason.replace("_", " ").replace("-", " ").capitalize()


def counted_reason(reason: str, times: int) -> str:
    """'Spam (2)', or 'Spam' when given once."""
    words = reason_name(reason)
    return f"{words} ({times})" if times > 1 else words


def excerpt(text: str, most: int = EXCERPT_LENGTH) -> str:
    """The start of a comment on one line, cut at `most` characters with '…', shown as the
    thread shows it (without the controls that change the text's direction)."""
    line = " ".join(plain_text(text).split())
    return line if len(line) <= most else line[: most - 1].rstrip() + "…"


def author_name(comment: Comment) -> str:
    """The name shown beside the comment."""
    if comment.reader is None:
        return FORMER_READER
    return comment.reader.name or "No name chosen yet"


@dataclass(frozen=True)
class QueueRow:
    """A comment in the queue, with its reports that still count."""

    comment: Comment
    open_reports: int
    reasons: list[str]  # each reason once, in words, most given first
    latest_report_at: datetime | None

    @property
    def state(self) -> str:
        return STATE_NAMES.get(self.comment.status, self.comment.status)


def _open_reports():
    """Each comment's undismissed reports: how many, and the newest."""
    return (
        select(
            CommentReport.comment_id,
            func.count().label("count"),
            func.max(CommentReport.created_at).label("latest"),
        )
        .where(CommentReport.dismissed_at.is_(None))
        .group_by(CommentReport.comment_id)
        .subquery()
    )


def _queue_query(reports):
    """The comments the queue holds, with `reports` (_open_reports) beside each."""
    return (
        select(Comment, reports.c.count, reports.c.latest)
        .outerjoin(reports, reports.c.comment_id == Comment.id)
        .where(or_(reports.c.count > 0, Comment.status.in_((HELD, REMOVED))))
    )


def queue_size() -> int:
    """How many comments the queue holds."""
    query = _queue_query(_open_reports())
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def queue(page: int, size: int = PAGE_SIZE) -> list[QueueRow]:
    """One page of the queue: the newest undismissed report first, then the most reported;
    comments with none (removed, all dealt with) last, the latest decision first."""
    reports = _open_reports()
    rows = db.session.execute(
        _queue_query(reports)
        .order_by(
            reports.c.latest.is_(None),
            reports.c.latest.desc(),
            reports.c.count.desc(),
            Comment.moderated_at.is_(None),
            Comment.moderated_at.desc(),
            Comment.id.desc(),
        )
        .limit(size)
        .offset((page - 1) * size)
        # The page shows each comment's reader and post: two statements, not two a row.
        .options(selectinload(Comment.reader), selectinload(Comment.post))
    ).all()
    reasons = _reasons_of([comment.id for comment, _count, _latest in rows])
    return [
        QueueRow(comment, count or 0, reasons.get(comment.id, []), latest)
        for comment, count, latest in rows
    ]


def _reasons_of(comment_ids: list[int]) -> dict[int, list[str]]:
    """Each comment's reasons for its undismissed reports, in words, most given first."""
    if not comment_ids:
        return {}
    counted = db.session.execute(
        select(CommentReport.comment_id, CommentReport.reason, func.count())
        .where(CommentReport.comment_id.in_(comment_ids), CommentReport.dismissed_at.is_(None))
        .group_by(CommentReport.comment_id, CommentReport.reason)
        .order_by(CommentReport.comment_id, func.count().desc(), CommentReport.reason)
    ).all()
    reasons: dict[int, list[str]] = {}
    for comment_id, reason, times in counted:
        reasons.setdefault(comment_id, []).append(counted_reason(reason, times))
    return reasons


def reports_of(comment: Comment) -> list[CommentReport]:
    """Every report of the comment, those that still count first, newest first."""
    return list(
        db.session.scalars(
            select(CommentReport)
            .where(CommentReport.comment_id == comment.id)
            .order_by(
                CommentReport.dismissed_at.is_not(None),
                CommentReport.created_at.desc(),
                CommentReport.id.desc(),
            )
        )
    )


def comments_of(reader: Reader, limit: int = PAGE_SIZE) -> list[Comment]:
    """The reader's latest comments."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.reader_id == reader.id)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(limit)
            .options(selectinload(Comment.post))
        )
    )


def comment_count(reader: Reader) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.reader_id == reader.id)
    )


# --- Acting on a comment ---------------------------------------------------------------------


def _described(comment: Comment) -> str:
    return f"comment {comment.id} on '{comment.post.title}'"


def _dismiss_open_reports(comment: Comment, now: datetime) -> int:
    """Mark the comment's reports that still count as dealt with; how many there were."""
    return db.session.execute(
        update(CommentReport)
        .where(CommentReport.comment_id == comment.id, CommentReport.dismissed_at.is_(None))
        .values(dismissed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount


def _reports_phrase(count: int) -> str:
    return f"{count} report{'' if count == 1 else 's'} dismissed"


def _decided(comment: Comment, actor: str, now: datetime) -> None:
    comment.moderated_by, comment.moderated_at = actor, now


def hide(actor: str, comment_id: int, reason: str, now: datetime) -> bool | None:
    """Remove a comment from its thread, giving the reason; its reports are dealt with.
    A comment already removed keeps its state and takes the new reason."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return None
    before, was = comment.status, comment.removed_reason
    comment.status, comment.removed_reason = REMOVED, reason
    _decided(comment, actor, now)
    dismissed = _dismiss_open_reports(comment, now)
    if before == REMOVED:
        detail = f"{_described(comment)}: reason changed from '{was}' to '{reason}'"
    else:
        detail = f"{_described(comment)}: {before} -> {REMOVED} (reason: {reason})"
    if dismissed:
        detail += f"; {_reports_phrase(dismissed)}"
    record_audit(actor, "comment_hide", comment.post.consultation, detail)
    db.session.commit()
    return True


def restore(actor: str, comment_id: int, now: datetime) -> bool | None:
    """Show a held or removed comment again; its reports are dismissed."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return None
    before = comment.status
    dismissed = _dismiss_open_reports(comment, now)
    if before == VISIBLE and not dismissed:
        db.session.rollback()
        return False
    comment.status, comment.removed_reason = VISIBLE, ""
    _decided(comment, actor, now)
    detail = f"{_described(comment)}: {before} -> {VISIBLE}"
    if dismissed:
        detail += f"; {_reports_phrase(dismissed)}"
    record_audit(actor, "comment_restore", comment.post.consultation, detail)
    db.session.commit()
    return True


def dismiss_reports(actor: str, comment_id: int, now: datetime) -> bool | None:
    """The reports no longer count; a comment they hid is shown again. A removed comment
    stays removed."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return None
    before = comment.status
    dismissed = _dismiss_open_reports(comment, now)
    if not dismissed and before != HELD:
        db.session.rollback()
        return False
    if before == HELD:
        comment.status = VISIBLE
    _decided(comment, actor, now)
    detail = f"{_described(comment)}: {before} -> {comment.status}; {_reports_phrase(dismissed)}"
    record_audit(actor, "comment_dismiss_reports", comment.post.consultation, detail)
    db.session.commit()
    return True


# --- Acting on a reader ----------------------------------------------------------------------


def account_deleted(reader: Reader) -> bool:
    """Whether the reader deleted their account while blocked, leaving only the block."""
    return not reader.email


def _reader_described(reader: Reader) -> str:
    return f"reader {reader.id} '{reader.name or 'no name chosen'}'"


def block(
    actor: str, reader_id: int, reason: str, delete_comments: bool, now: datetime
) -> bool | None:
    """Stop a reader commenting, keeping or deleting their comments. A reader already
    blocked takes the new reason (and loses their comments, if asked)."""
    reader = db.session.get(Reader, reader_id)
    if reader is None:
        return None
    was_blocked, was = reader.blocked, reader.blocked_reason
    if not was_blocked:
        reader.blocked_at, reader.blocked_by = now, actor
    reader.blocked_reason = reason
    deleted = 0
    if delete_comments:
        deleted = db.session.execute(
            delete(Comment)
            .where(Comment.reader_id == reader.id)
            .execution_options(synchronize_session=False)
        ).rowcount
    before = "blocked" if was_blocked else "not blocked"
    detail = f"{_reader_described(reader)}: {before} -> blocked (reason: {reason or 'none given'})"
    if was_blocked and was != reason:
        detail += f"; the reason was '{was}'"
    if delete_comments:
        detail += f"; {deleted} comment{'' if deleted == 1 else 's'} deleted"
    else:
        detail += "; comments kept"
    record_audit(actor, "reader_block", None, detail)
    db.session.commit()
    return True


def unblock(actor: str, reader_id: int) -> bool | None:
    """Let a blocked reader comment again. A reader who deleted their account while blocked
    was kept only for the block (app.readers.services.delete_account): they go now."""
    reader = db.session.get(Reader, reader_id)
    if reader is None:
        return None
    if not reader.blocked:
        return False
    was = reader.blocked_reason
    detail = f"{_reader_described(reader)}: blocked (reason: {was or 'none given'}) -> not blocked"
    if account_deleted(reader):
        db.session.delete(reader)
        detail += "; they had deleted their account, so the rest of it is deleted"
    else:
        reader.blocked_at, reader.blocked_by, reader.blocked_reason = None, "", ""
    record_audit(actor, "reader_unblock", None, detail)
    db.session.commit()
    return True
