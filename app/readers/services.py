"""Signing readers in with a link sent by email, their name, and deleting their account.

A sign-in link is a random token whose SHA-256 alone is stored (`ReaderSignIn`); it works
once, for 30 minutes. Asking for one never says whether the address is known, and makes
no reader: a reader is made, or found by their address's hash, only when a link is used.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.mail import outbox
from app.mail.compose import site_url
from app.models import Comment, CommentReport, OutboxEmail, Reader, ReaderSignIn
from app.readers import sessions
from app.updates.subscriptions import address_hash

LINK_LASTS = timedelta(minutes=30)
# At most this many sign-in emails to one address in LINK_LASTS: more is someone else
# typing it, or a bot; the page says the same and nothing more is sent.
LINKS_PER_ADDRESS = 3
# Used and expired links are kept this long (for the "already used" page), then deleted.
KEEP_OLD_LINKS = timedelta(days=1)
EVENT = "reader-sign-in:"
# Where a sign-in may lead: the news pages, on this site. Segments of letters, digits, "-",
# "_" and "~" only: no "//" (another host), no "." or "%" (a way round the /news prefix).
NEXT_PATH = re.compile(r"/news(?:/[A-Za-z0-9_~-]+)*/?(?:\?[A-Za-z0-9=&_-]*)?(?:#[A-Za-z0-9_-]*)?")
NEXT_LENGTH = 300  # ReaderSignIn.next_path


def safe_next(value: str | None) -> str:
    """`value` if it is a path under /news on this site, else "" (nowhere in particular)."""
    if not value or len(value) > NEXT_LENGTH or not NEXT_PATH.fullmatch(value):
        return ""
    return value


# --- asking for a link -------------------------------------------------------------------------


def ask_for_link(email: str, next_path: str, now: datetime) -> bool:
    """Send a sign-in link to `email`, unless LINKS_PER_ADDRESS were sent to it within
    LINK_LASTS. Returns whether one was sent; the person is told the same either way.
    Commits."""
    email_hash = address_hash(email)
    recent = db.session.scalar(
        select(func.count(ReaderSignIn.id)).where(
            ReaderSignIn.email_hash == email_hash, ReaderSignIn.created_at > now - LINK_LASTS
        )
    )
    if recent >= LINKS_PER_ADDRESS:
        return False
    token = secrets.token_urlsafe(32)
    link = ReaderSignIn(
        token_hash=sessions.token_hash(token),
        email_hash=email_hash,
        email=email,
        next_path=safe_next(next_path),
        created_at=now,
        expires_at=now + LINK_LASTS,
    )
    db.session.add(link)
    outbox.queue_email(
        event_key=EVENT + link.token_hash,
        kind="reader_sign_in",
        to=email,
        template="readers/sign_in",
        context={
            "sign_in_url": site_url("readers.use_link", token=token),
            "minutes": int(LINK_LASTS.total_seconds() // 60),
        },
        # A link that could not be sent in time is no use to anyone.
        send_before=link.expires_at,
        forget_when_sent=True,
        now=now,
    )
    db.session.commit()
    return True


# --- using a link ------------------------------------------------------------------------------


def find_link(token: str) -> ReaderSignIn | None:
    """The sign-in link `token` is, used or not, if it was ever sent."""
    if not token or len(token) != sessions.TOKEN_LENGTH or not token.isascii():
        return None
    return db.session.scalar(
        select(ReaderSignIn).where(ReaderSignIn.token_hash == sessions.token_hash(token))
    )


def usable(link: ReaderSignIn, now: datetime) -> bool:
    return link.used_at is None and now < link.expires_at


def reader_of(link: ReaderSignIn) -> Reader | None:
    """The reader the link's address belongs to, if they have signed in before."""
    return db.session.scalar(select(Reader).where(Reader.email_hash == link.email_hash))


def use_link(link: ReaderSignIn, now: datetime) -> Reader | None:
    """Use the link, once: find or make its reader and sign them in on this device (ending
    whoever was signed in on it). None if it was used (a moment ago, by another press) or
    has expired. Commits."""
    for attempt in range(2):
        try:
            reader = _use_link(link.id, now)
            db.session.commit()
            return reader
        except IntegrityError:
            # Two new links for one new address used at once: the other made the reader.
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _use_link(link_id: int, now: datetime) -> Reader | None:
    # One statement claims the link, so that two presses cannot both use it.
    claimed = db.session.execute(
        update(ReaderSignIn)
        .where(
            ReaderSignIn.id == link_id,
            ReaderSignIn.used_at.is_(None),
            ReaderSignIn.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    link = db.session.get(ReaderSignIn, link_id, populate_existing=True)
    reader = reader_of(link)
    if reader is None:
        reader = Reader(email_hash=link.email_hash, email=link.email, created_at=now)
        db.session.add(reader)
    else:
        reader.email = link.email  # as its owner typed it last
    db.session.flush()
    sessions.end()
    sessions.begin(reader, now)
    return reader


# --- the reader's account ----------------------------------------------------------------------


def set_name(reader: Reader, name: str) -> None:
    """The name shown beside the reader's comments, from now on. Commits."""
    reader.name = name
    db.session.commit()


def comments_of(reader: Reader) -> list[Comment]:
    """The reader's comments, newest first, whatever their state."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.reader_id == reader.id)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .options(selectinload(Comment.post))
        )
    )


def delete_account(reader: Reader, keep_comments: bool) -> None:
    """Delete the reader, their sessions on every device and their sign-in links (with any
    email of one not sent yet). Their comments are deleted with them, or kept as from "a
    former reader" if they chose so.

    A blocked reader's row stays, emptied of their address and name, so that the block
    holds: signing in again with the address finds it by its hash. Commits."""
    if keep_comments:
        db.session.execute(
            update(Comment)
            .where(Comment.reader_id == reader.id)
            .values(reader_id=None)
            .execution_options(synchronize_session=False)
        )
    else:
        own = select(Comment.id).where(Comment.reader_id == reader.id)
        db.session.execute(delete(CommentReport).where(CommentReport.comment_id.in_(own)))
        db.session.execute(delete(Comment).where(Comment.reader_id == reader.id))
    _delete_links(ReaderSignIn.email_hash == reader.email_hash)
    sessions.end_everywhere(reader)
    if reader.blocked:
        reader.email, reader.name = "", None
    else:
        db.session.delete(reader)
    db.session.commit()


def _delete_links(condition) -> int:
    """Delete the matching sign-in links, and forget their emails (sent ones are already
    forgotten; one never sent keeps its address until now)."""
    hashes = list(db.session.scalars(select(ReaderSignIn.token_hash).where(condition)))
    if hashes:
        outbox.forget_where(OutboxEmail.event_key.in_([EVENT + h for h in hashes]))
        db.session.execute(delete(ReaderSignIn).where(ReaderSignIn.token_hash.in_(hashes)))
    return len(hashes)


def delete_expired_links(now: datetime) -> int:
    """Delete the sign-in links used, or expired, more than KEEP_OLD_LINKS ago, with what
    the outbox kept of their emails. The worker's housekeeping; commits. How many."""
    cutoff = now - KEEP_OLD_LINKS
    removed = _delete_links(or_(ReaderSignIn.used_at < cutoff, ReaderSignIn.expires_at < cutoff))
    db.session.commit()
    return removed
