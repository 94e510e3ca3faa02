"""Storing readers' comments and their reports. Each function commits its own change.

A thread lists every comment that is there, in the order posted: visible ones in full,
and held or removed ones as a placeholder. Its count is of visible comments only.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import Enum

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.comments import rules
from app.extensions import db
from app.intake.submissions import new_token
from app.models import Comment, CommentReport, NewsPost, Reader
from app.models.news import HELD, VISIBLE


class Reported(Enum):
    """What came of a report: taken, or this browser had already reported the comment."""

    TAKEN = "taken"
    ALREADY = "already"


def live_post(slug: str) -> NewsPost | None:
    """The published post at `slug`: drafts and unpublished posts are nobody's to see."""
    if not slug or len(slug) > 80:
        return None
    return db.session.scalar(
        select(NewsPost).where(
            NewsPost.slug == slug, NewsPost.live.is_(True), NewsPost.published_at.is_not(None)
        )
    )


def comment_on(post: NewsPost, comment_id: int) -> Comment | None:
    """The comment `comment_id` if it is under `post`."""
    comment = db.session.get(Comment, comment_id)
    return comment if comment is not None and comment.post_id == post.id else None


def is_open(post: NewsPost, now: datetime) -> bool:
    """Whether `post` takes new comments at `now` (rules.comments_open)."""
    consultation = post.consultation
    state = consultation.state(now) if consultation is not None else None
    return rules.comments_open(post.comments_on, post.close_with_consultation, state)


def thread_of(post: NewsPost) -> list[Comment]:
    """Every comment under `post`, oldest first, with their readers."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.post_id == post.id)
            .options(selectinload(Comment.reader))
            .order_by(Comment.created_at, Comment.id)
        )
    )


def visible_count(post: NewsPost) -> int:
    """How many comments under `post` readers can read."""
    return db.session.scalar(
        select(func.count(Comment.id)).where(Comment.post_id == post.id, Comment.status == VISIBLE)
    )


def reporter_hash(key: str) -> str:
    """What a report stores of the browser that made it: a hash of its random key."""
    return hashlib.sha256(key.encode()).hexdigest()


def reported_by(post: NewsPost, reporter: str | None) -> set[int]:
    """The comments under `post` this browser (its hashed key) has reported."""
    if not reporter:
        return set()
    return set(
        db.session.scalars(
            select(CommentReport.comment_id)
            .join(Comment)
            .where(Comment.post_id == post.id, CommentReport.reporter == reporter)
        )
    )


def posted_with(post: NewsPost, reader: Reader, token: str) -> Comment | None:
    """The comment `reader` posted on `post` with the form that carried `token`, if any."""
    return db.session.scalar(
        select(Comment).where(
            Comment.token == token, Comment.post_id == post.id, Comment.reader_id == reader.id
        )
    )


def post_comment(
    post: NewsPost, reader: Reader, body: str, now: datetime, token: str | None = None
) -> Comment:
    """Add `reader`'s comment to `post`'s thread, posted with the form that carried `token`.

    Tokens are unique: when the same form is sent twice at once, the send that stores
    second finds the comment the first stored, and returns it. A token used already on
    another post, or by another reader, is not this form's: the comment takes a new one.
    """

    def store(token: str | None) -> Comment:
        comment = Comment(
            post=post, reader=reader, body=body, created_at=now, status=VISIBLE, token=token
        )
        db.session.add(comment)
        db.session.commit()
        return comment

    if token is None:
        return store(None)
    try:
        return store(token)
    except IntegrityError:
        db.session.rollback()
        sent = posted_with(post, reader, token)
        if sent is not None:
            return sent
    return store(new_token())


def change_comment(comment: Comment, body: str, now: datetime) -> None:
    """Fix a comment's text; it shows as edited from then on (unless nothing changed)."""
    if body != comment.body:
        comment.body = body
        comment.edited_at = now
    db.session.commit()


def delete_comment(comment: Comment) -> None:
    """Delete a comment, and its reports with it."""
    db.session.delete(comment)
    db.session.commit()


def report_comment(
    comment: Comment, reason: str, note: str, reporter: str, now: datetime
) -> Reported:
    """Record one browser's report; with it, enough undismissed reports hold the comment
    back at once, in the same transaction.

    The comment's row is locked first (on PostgreSQL; SQLite has one writer at a time),
    so two reports sent together are counted one after the other. A second report from
    the same browser, even one sent at the same moment, is ALREADY, never an error.
    """
    db.session.scalar(
        select(Comment)
        .where(Comment.id == comment.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if _has_reported(comment, reporter):
        db.session.rollback()
        return Reported.ALREADY
    db.session.add(
        CommentReport(
            comment_id=comment.id, reason=reason, note=note, reporter=reporter, created_at=now
        )
    )
    try:
        db.session.flush()
        reports = db.session.scalar(
            select(func.count(CommentReport.id)).where(
                CommentReport.comment_id == comment.id, CommentReport.dismissed_at.is_(None)
            )
        )
        if comment.status == VISIBLE and rules.hidden_by_reports(reports):
            comment.status = HELD
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return Reported.ALREADY
    return Reported.TAKEN


def _has_reported(comment: Comment, reporter: str) -> bool:
    return (
        db.session.scalar(
            select(CommentReport.id).where(
                CommentReport.comment_id == comment.id, CommentReport.reporter == reporter
            )
        )
        is not None
    )
