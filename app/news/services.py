"""Finding the news posts readers may see: only live ones, newest first.

A draft, or a post that was unpublished, is never returned here, so no public page, list
or feed can show one.
"""

from __future__ import annotations

import re
from functools import lru_cache

from flask import abort
from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.sql import Select

from app.extensions import db
from app.models import Consultation, NewsPost

PAGE_SIZE = 10
LATEST = 3  # on the home page
FEED_SIZE = 20
# A page number as a link writes it; anything else (0, -1, 1.5, a word, a huge number) is
# a page that does not exist.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")


_NEWEST_FIRST = (NewsPost.published_at.desc(), NewsPost.id.desc())
_LIVE = select(NewsPost).where(NewsPost.live.is_(True)).order_by(*_NEWEST_FIRST)

# What a list of posts shows of each (news/_card.html). The home page and every
# consultation's page list posts, so these statements are built once, and their rows are
# read as they are, not as posts: building the statement and loading objects each took
# longer than running the query on its index.
_CARDS = (
    select(NewsPost.slug, NewsPost.title, NewsPost.summary, NewsPost.published_at)
    .where(NewsPost.live.is_(True))
    .order_by(*_NEWEST_FIRST)
)
_CARDS_ABOUT = _CARDS.where(NewsPost.consultation_id == bindparam("consultation_id"))


@lru_cache(maxsize=8)
def _newest_cards(limit: int) -> Select:
    return _CARDS.limit(limit)


def _cards(statement: Select, **values: int) -> list[Row]:
    # Read-only, on the session's own transaction; nothing is pending on these pages.
    return list(db.session.connection().execute(statement, values))


def newest(limit: int) -> list[NewsPost]:
    """The `limit` newest live posts."""
    return list(db.session.scalars(_LIVE.limit(limit)))


def newest_cards(limit: int) -> list[Row]:
    """The slug, title, summary and publishing time of the `limit` newest live posts."""
    return _cards(_newest_cards(limit))


def cards_about(consultation: Consultation) -> list[Row]:
    """The slug, title, summary and publishing time of the live posts about
    `consultation`, newest first."""
    return _cards(_CARDS_ABOUT, consultation_id=consultation.id)


def page_count() -> int:
    """How many pages the list of live posts takes (one, even when there are none)."""
    total = db.session.scalar(select(func.count()).where(NewsPost.live.is_(True)))
    return max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


def page_or_404(asked: str | None) -> tuple[list[NewsPost], int, int]:
    """(the posts on page `asked`, its number, how many pages), or a 404 for a page
    that does not exist."""
    if asked is None:
        asked = "1"
    if not PAGE_NUMBER.fullmatch(asked):
        abort(404)
    number, pages = int(asked), page_count()
    if number > pages:
        abort(404)
    posts = db.session.scalars(_LIVE.offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return list(posts), number, pages


def live_or_404(slug: str) -> NewsPost:
    """The live post at /news/`slug`, or a 404 (for drafts and unpublished posts too)."""
    post = db.session.scalar(select(NewsPost).where(NewsPost.slug == slug))
    if post is None or not post.live:
        abort(404)
    return post
