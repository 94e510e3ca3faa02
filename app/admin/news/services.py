"""Writing news posts: a draft, its changes, publishing and unpublishing, each in one
commit with its audit event.

A post is public only while it is live. Its date is set when it is first published and
kept if it is unpublished and published again, so a post taken down to fix a mistake
comes back with the date readers first saw.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.admin.authoring import settings
from app.admin.authoring.settings import slug_from_title
from app.extensions import db
from app.models import Consultation, NewsPost, record_audit

SLUG_LENGTH = NewsPost.slug.type.length


@dataclass(frozen=True)
class PostText:
    """What the form says of a post: its words, what it is about, and comments."""

    title: str
    slug: str  # "" to make one from the title
    summary: str
    body: str
    author_name: str
    consultation_id: int | None
    comments_on: bool
    close_with_consultation: bool


class SlugTaken(settings.SlugTaken):
    """The web address is another post's."""

    PATH = "/news/"


class NoSlug(Exception):
    """None was typed and the title has no letters or digits to make one from."""

    message = (
        "Enter a web address, like new-plans-for-parks. It cannot be made from the title,"
        " which has no letters from a to z or digits"
    )


def consultation_choices() -> list[tuple[int, str]]:
    """(id, title) of every consultation, drafts included, for the form's list."""
    rows = db.session.execute(
        select(Consultation.id, Consultation.title).order_by(Consultation.title, Consultation.id)
    )
    return [(key, title) for key, title in rows]


def all_posts() -> list[NewsPost]:
    """Every post, drafts and published, the newest written first."""
    query = select(NewsPost).order_by(NewsPost.created_at.desc(), NewsPost.id.desc())
    return list(db.session.scalars(query))


def slug_owner(slug: str, post_id: int | None = None) -> str | None:
    """The title of the other post using `slug`, or None when it is free."""
    query = select(NewsPost.title).where(NewsPost.slug == slug)
    if post_id is not None:
        query = query.where(NewsPost.id != post_id)
    return db.session.scalar(query)


def free_slug(title: str, post_id: int | None = None) -> str:
    """The title's web address, or with -2, -3… if another post has it; raises NoSlug."""
    base = slug_from_title(title)[:SLUG_LENGTH].rstrip("-")
    if not base:
        raise NoSlug
    for number in itertools.count(1):
        ending = f"-{number}" if number > 1 else ""
        candidate = base[: SLUG_LENGTH - len(ending)].rstrip("-") + ending
        if slug_owner(candidate, post_id) is None:
            return candidate
    raise AssertionError("unreachable")


def _slug(text: PostText, post_id: int | None) -> str:
    """The web address typed, if free (else SlugTaken), or one made from the title."""
    if not text.slug:
        return free_slug(text.title, post_id)
    taken = slug_owner(text.slug, post_id)
    if taken is not None:
        raise SlugTaken(text.slug, taken)
    return text.slug


def _apply(post: NewsPost, text: PostText, slug: str) -> None:
    post.slug = slug
    post.title = text.title
    post.summary = text.summary
    post.body = text.body
    post.author_name = text.author_name
    post.consultation_id = text.consultation_id
    post.comments_on = text.comments_on
    post.close_with_consultation = text.close_with_consultation


def _about(post: NewsPost) -> Consultation | None:
    """The consultation the audit event is filed under."""
    return db.session.get(Consultation, post.consultation_id) if post.consultation_id else None


def new_draft(text: PostText, actor: str, now: datetime) -> NewsPost:
    """Keep a new post as a draft, in the audit log. Commits; raises SlugTaken or NoSlug."""
    post = NewsPost(created_by=actor, created_at=now, updated_at=now)
    _apply(post, text, _slug(text, None))
    db.session.add(post)
    record_audit(actor, "news_draft", _about(post), f"Wrote the news post '{post.title}'")
    _commit_or_slug_taken(post.slug)
    return post


def change(post: NewsPost, text: PostText, actor: str, now: datetime) -> bool:
    """Save `text` over the post (a live post changes at once); whether anything changed.
    Commits; raises SlugTaken or NoSlug."""
    slug = _slug(text, post.id)
    before = _described(post)
    _apply(post, text, slug)
    changes = [label for label, value in _described(post).items() if before[label] != value]
    if not changes:
        db.session.rollback()
        return False
    post.updated_at = now
    detail = f"Changed the news post '{post.title}': {', '.join(changes)}"
    record_audit(actor, "news_change", _about(post), detail)
    _commit_or_slug_taken(post.slug)
    return True


def publish(post: NewsPost, actor: str, now: datetime) -> bool:
    """Make the post public, dated now the first time; whether it was not live already.
    Commits."""
    first = post.published_at is None
    values: dict = {"live": True}
    if first:
        values.update(published_at=now, updated_at=now)
    published = _set_where_live_is(post, False, values)
    if published:
        again = "" if first else " again"
        record_audit(
            actor,
            "news_publish",
            _about(post),
            f"Published{again} '{post.title}' at /news/{post.slug}",
        )
    db.session.commit()
    db.session.refresh(post)
    return published


def unpublish(post: NewsPost, actor: str) -> bool:
    """Take the post off the site (its date is kept); whether it was live. Commits."""
    taken_down = _set_where_live_is(post, True, {"live": False})
    if taken_down:
        record_audit(actor, "news_unpublish", _about(post), f"Unpublished '{post.title}'")
    db.session.commit()
    db.session.refresh(post)
    return taken_down


def _set_where_live_is(post: NewsPost, live: bool, values: dict) -> bool:
    """Set `values` if the post is still live (or not) as expected: of two people pressing
    at once, one does it."""
    return bool(
        db.session.execute(
            update(NewsPost)
            .where(NewsPost.id == post.id, NewsPost.live.is_(live))
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
    )


def _described(post: NewsPost) -> dict[str, object]:
    """What the audit log names when it changes."""
    return {
        "title": post.title,
        "web address": post.slug,
        "summary": post.summary,
        "body": post.body,
        "author": post.author_name,
        "consultation": post.consultation_id,
        "comments": (post.comments_on, post.close_with_consultation),
    }


def _commit_or_slug_taken(slug: str) -> None:
    """Commit; if someone took the web address meanwhile, roll back and say so."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        taken = db.session.scalar(select(NewsPost.title).where(NewsPost.slug == slug))
        if taken is None:
            raise
        raise SlugTaken(slug, taken) from error
