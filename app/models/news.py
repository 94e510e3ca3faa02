"""News posts the team writes, and the comments readers leave on them.

Readers are not staff: they sign in with a link sent to their email address, never a
password, and hold a session of their own (`ReaderSession`), so nothing a reader holds
reaches the admin area.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.types import UTCDateTime, utcnow

# A comment is shown, held back by readers' reports until a moderator looks at it, or
# removed by a moderator (its place in the thread says so).
VISIBLE, HELD, REMOVED = "visible", "held", "removed"
COMMENT_STATUSES = (VISIBLE, HELD, REMOVED)


class NewsPost(db.Model):
    """A news post: a draft until it is published, and public only while it is live."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(400), default="", server_default="")
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    author_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL"), index=True
    )
    # The date the post shows: set when it is first published, kept if it is unpublished
    # and published again.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    live: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    comments_on: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Comments close when the consultation the post is about closes.
    close_with_consultation: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_by: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last change to what the post says (the feed's <updated>).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation = relationship("Consultation")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (db.Index("ix_news_post_listing", "live", "published_at"),)


class Reader(db.Model):
    """Someone who signed in to comment, known by their email address."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # app.updates.subscriptions.address_hash of the address: one reader per address however
    # it is typed.
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    # The name shown beside their comments, chosen the first time they sign in.
    name: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_by: Mapped[str] = mapped_column(String(254), default="", server_default="")
    blocked_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")

    sessions: Mapped[list[ReaderSession]] = relationship(
        back_populates="reader", cascade="all, delete-orphan", passive_deletes=True
    )

    # SQLite would otherwise give a deleted reader's id to the next one (migration 0012).
    __table_args__ = {"sqlite_autoincrement": True}

    @property
    def blocked(self) -> bool:
        return self.blocked_at is not None


class ReaderSignIn(db.Model):
    """A sign-in link sent to an address: single use, short-lived, kept only as a hash.

    No reader exists until a link is used, so typing someone's address makes no account.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    email: Mapped[str] = mapped_column(String(254))
    # Where to go once signed in: a path on this site, checked when it is stored.
    next_path: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReaderSession(db.Model):
    """A device a reader is signed in on: the reader's cookie holds the token, this its
    hash, so a copy of the database signs no one in."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("reader.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    reader: Mapped[Reader] = relationship(back_populates="sessions")


class Comment(db.Model):
    """A reader's comment on a news post. A reader who deletes their account may leave
    their comments, which then belong to no one ("a former reader")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("news_post.id", ondelete="CASCADE"))
    reader_id: Mapped[int | None] = mapped_column(
        ForeignKey("reader.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default=VISIBLE, server_default=VISIBLE)
    # The last moderator's decision: who, when, and the reason given for removing it.
    moderated_by: Mapped[str] = mapped_column(String(254), default="", server_default="")
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The token of the form that posted it, so that the same form sent again finds it rather
    # than posting it twice (None for comments posted before migration 0012 added it).
    token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)

    post: Mapped[NewsPost] = relationship(back_populates="comments")
    reader: Mapped[Reader | None] = relationship()
    reports: Mapped[list[CommentReport]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", passive_deletes=True
    )

    # SQLite would otherwise give a deleted comment's id to the next one (migration 0012):
    # a moderator's page open at the old comment would act on the new.
    __table_args__ = (
        db.Index("ix_comment_thread", "post_id", "status", "created_at"),
        {"sqlite_autoincrement": True},
    )


class CommentReport(db.Model):
    """ "Unsuitable or offensive?": one report of a comment, once per comment per browser.

    `reporter` is a hash of a random key kept in the browser's session cookie, never who
    the person is. Dismissing the reports keeps them (so the same browser cannot report
    the comment again) but they no longer count.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    reporter: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    comment: Mapped[Comment] = relationship(back_populates="reports")

    __table_args__ = (db.UniqueConstraint("comment_id", "reporter"),)
