"""Mailings: one email to each confirmed subscriber or follower, queued once.

An update an admin writes and the news the clock makes due (rules.py) are both mailings.
Its emails are written once per reason (subscriber or follower) and only the unsubscribe
link differs between recipients, so ten thousand rows go into the outbox in one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.mail import outbox
from app.mail.compose import site_url
from app.models import (
    CONFIRMED,
    Consultation,
    Follow,
    Mailing,
    OutboxEmail,
    Subscriber,
    record_audit,
)
from app.updates import rules, tokens

SUBSCRIBERS, FOLLOWERS, EVERYONE = "subscribers", "followers", "everyone"
UPDATE = "update"
# The news of a consultation and whom it goes to: the site's subscribers hear of openings.
AUDIENCES = {
    rules.News.OPENED: EVERYONE,
    rules.News.WEEK_LEFT: FOLLOWERS,
    rules.News.CLOSED: FOLLOWERS,
    rules.News.OUTCOME: FOLLOWERS,
}
SITE = "the site"
# Stands in for each recipient's own unsubscribe link while an email is written once.
LINK_PLACEHOLDER = "https://unsubscribe.invalid/placeholder"


@dataclass(frozen=True)
class Recipient:
    subscriber_id: int
    email: str
    name: str
    following: bool  # gets it as a follower of the mailing's consultation
    email_hash: str = ""


def recipients(
    audience: str, consultation_id: int | None, followed_by: datetime | None = None
) -> list[Recipient]:
    """The confirmed addresses a mailing goes to, each once, followers first.

    `followed_by`: only those who followed before then (news of an opening goes to those
    who followed a forthcoming consultation).
    """
    found: dict[int, Recipient] = {}
    columns = (Subscriber.id, Subscriber.email, Subscriber.name, Subscriber.email_hash)
    for query, following in _recipient_queries(audience, consultation_id, followed_by, columns):
        for row in db.session.execute(query):
            found.setdefault(
                row.id, Recipient(row.id, row.email, row.name, following, row.email_hash)
            )
    return [found[key] for key in sorted(found)]


def _recipient_ids(
    audience: str, consultation_id: int | None, followed_by: datetime | None
) -> set[int]:
    """Who the mailing goes to now, by subscriber id alone, with the rows read locked
    for sharing until the mailing commits (PostgreSQL; SQLite lets one writer in at a
    time): an unsubscribe or a stop following waits for the mailing's emails, and then
    withdraws them, rather than miss the rows it cannot yet see."""
    ids = set()
    for query, following in _recipient_queries(
        audience, consultation_id, followed_by, (Subscriber.id,)
    ):
        locked = [Subscriber, Follow] if following else [Subscriber]
        ids.update(db.session.scalars(query.with_for_update(read=True, of=locked)))
    return ids


def confirmed_subscribers(*columns) -> Select:
    """`columns` of the addresses that count as the site's subscribers: confirmed, and
    signed up to its updates. The one definition: mailings, the admin's counts and the
    address files all ask it."""
    return (
        select(*columns)
        .select_from(Subscriber)
        .where(Subscriber.status == CONFIRMED, Subscriber.site_updates)
    )


def confirmed_followers(*columns, consultation_id: int | None = None) -> Select:
    """`columns` of the addresses that count as followers, joined to their follows: of
    the consultation `consultation_id`, or of any. Confirmed addresses only; the one
    definition, as confirmed_subscribers is."""
    query = (
        select(*columns)
        .select_from(Subscriber)
        .join(Follow, Follow.subscriber_id == Subscriber.id)
        .where(Subscriber.status == CONFIRMED)
    )
    if consultation_id is not None:
        query = query.where(Follow.consultation_id == consultation_id)
    return query


def _recipient_queries(audience, consultation_id, followed_by, columns):
    """The queries for a mailing's followers (first) and subscribers, with whether each
    finds followers."""
    if audience in (FOLLOWERS, EVERYONE) and consultation_id is not None:
        query = confirmed_followers(*columns, consultation_id=consultation_id)
        if followed_by is not None:
            query = query.where(Follow.created_at <= followed_by)
        yield query, True
    if audience in (SUBSCRIBERS, EVERYONE):
        yield confirmed_subscribers(*columns), False


# `written`'s consultation when none is given: the mailing's own.
_MAILINGS_OWN = object()


def written(
    mailing: Mailing, following: bool, consultation: Consultation | None | object = _MAILINGS_OWN
) -> tuple[str, str, str]:
    """The subject, text and HTML of a mailing's email, with the link placeholder.

    `consultation`: the one it is about, if not yet set on the mailing (its sender reads
    the mailing before claiming it, and must change nothing of it until then).
    """
    if consultation is _MAILINGS_OWN:
        consultation = mailing.consultation
    context = {
        "mailing": mailing,
        "consultation": consultation,
        "consultation_url": (
            site_url("public.consultation", slug=consultation.slug) if consultation else ""
        ),
        "following": following,
        "unsubscribe_url": LINK_PLACEHOLDER,
        "sign_up_url": site_url("updates.sign_up"),
    }
    name = f"email/updates/{mailing.kind}"
    subject = outbox.header_safe(render_template(f"{name}.subject.txt", **context), 250)
    return (
        subject,
        render_template(f"{name}.txt", **context),
        render_template(f"{name}.html", **context, subject=subject),
    )


@dataclass(frozen=True)
class _Written:
    """A mailing's emails, written before anything is written to the database: queueing
    them then takes one short transaction (on SQLite, rendering ten thousand took seconds
    while every form of the site waited for the lock)."""

    audience: str
    consultation_id: int | None
    followed_by: datetime | None
    rows: list[dict]

    def still_wanted(self) -> list[dict]:
        """The rows for those who still get the mailing, read again inside the writing
        transaction: one who unsubscribed or stopped following while the emails were
        being written gets none."""
        wanted = _recipient_ids(self.audience, self.consultation_id, self.followed_by)
        return [row for row in self.rows if row["subscriber_id"] in wanted]

    def queue(self, mailing_id: int, now: datetime) -> int:
        """Add them, as the emails of the mailing `mailing_id`, to the current transaction."""
        return outbox.queue_many(
            [
                {
                    **row,
                    "event_key": f"mailing:{mailing_id}:{row['subscriber_id']}",
                    "mailing_id": mailing_id,
                }
                for row in self.still_wanted()
            ],
            now,
        )


def _write(
    mailing: Mailing,
    audience: str,
    consultation: Consultation | None,
    followed_by: datetime | None = None,
    send_before: datetime | None = None,
) -> _Written:
    """Write one email per recipient, reading the database and changing nothing."""
    consultation_id = consultation.id if consultation else None
    emails = {following: written(mailing, following, consultation) for following in (True, False)}
    rows = []
    for recipient in recipients(audience, consultation_id, followed_by):
        subject, text, html = emails[recipient.following]
        scope = tokens.UnsubscribeScope(
            recipient.subscriber_id,
            consultation_id if recipient.following else None,
            tokens.fingerprint(recipient.email_hash),
        )
        link = site_url("updates.unsubscribe", token=tokens.unsubscribe_token(scope))
        rows.append(
            {
                "kind": f"mailing_{mailing.kind}",
                "consultation_id": consultation_id,
                "to_addr": outbox.address(recipient.name, recipient.email),
                "subject": subject,
                "body_text": text.replace(LINK_PLACEHOLDER, link),
                "body_html": html.replace(LINK_PLACEHOLDER, link),
                "subscriber_id": recipient.subscriber_id,
                "unsubscribe_url": link,
                "send_before": send_before,
            }
        )
    return _Written(audience, consultation_id, followed_by, rows)


def send_update(
    mailing: Mailing, audience: str, consultation: Consultation | None, actor: str, now: datetime
) -> bool:
    """Queue an admin's update to its audience, once: of two presses, or two admins
    sending at once, only the first queues anything. Returns whether this one did. Commits.

    The emails are written first, changing nothing, so that the transaction that claims
    the mailing and queues them is short.
    """
    if mailing.queued_at is not None:
        return False
    emails = _write(mailing, audience, consultation)
    claimed = db.session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id, Mailing.queued_at.is_(None))
        .values(
            queued_at=now,
            queued_by=actor,
            audience=audience,
            consultation_id=consultation.id if consultation else None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return False
    db.session.refresh(mailing)
    count = mailing.recipients = emails.queue(mailing.id, now)
    whom = f"the followers of {consultation.title}" if consultation else "every subscriber"
    record_audit(
        actor, "send_update", consultation, f"Sent '{mailing.subject}' to {whom} ({count} emails)"
    )
    db.session.commit()
    return True


def progress(mailing: Mailing) -> dict[str, int]:
    """How many of a mailing's emails are in each outbox state."""
    rows = db.session.execute(
        select(OutboxEmail.status, func.count())
        .where(OutboxEmail.mailing_id == mailing.id)
        .group_by(OutboxEmail.status)
    )
    return {status: count for status, count in rows}


# The columns news is read from (rules.Timeline), selected without loading whole rows.
TIMELINE_COLUMNS = (
    Consultation.id,
    Consultation.opens_at,
    Consultation.closes_at,
    Consultation.override,
    Consultation.override_changed_at,
    Consultation.published_at,
    Consultation.outcome_published_at,
)


def _recent_news_query(now: datetime):
    """The published consultations with any of rules.moments() in the last ANNOUNCE_WITHIN:
    the only ones that can have news due. Most rounds it finds none."""
    recent = now - rules.ANNOUNCE_WITHIN
    lately = [
        column.between(recent, now)
        for column in (
            Consultation.opens_at,
            Consultation.closes_at,
            Consultation.override_changed_at,
            Consultation.published_at,
            Consultation.outcome_published_at,
        )
    ]
    week_left = Consultation.closes_at.between(recent + rules.WEEK, now + rules.WEEK)
    return select(*TIMELINE_COLUMNS).where(
        Consultation.published_at <= now, or_(*lately, week_left)
    )


def queue_announcements(now: datetime) -> int:
    """Queue the news the clock has made due, each piece once; how many emails. Commits
    each piece on its own. The worker calls it every round, so while nothing is due it
    makes one query, and while news is due but sent already, two."""
    due = [
        (row.id, news)
        for row in db.session.execute(_recent_news_query(now))
        for news in rules.due(row.id, rules.Timeline.of(row), now)
    ]
    if not due:
        return 0
    sent = set(
        db.session.scalars(select(Mailing.key).where(Mailing.key.in_([n.key for _, n in due])))
    )
    return sum(_announce(id_, news, now) for id_, news in due if news.key not in sent)


def _announce(consultation_id: int, news: rules.Due, now: datetime) -> int:
    """Queue one piece of news to those it is for; 0 if another worker queued it first.

    Its emails are written first, changing nothing; the mailing and its emails are then
    added in one short transaction.
    """
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        return 0  # deleted since it was read
    audience = AUDIENCES[news.news]
    # Not in the session, nor tied to the consultation (which would add it), until the
    # emails are written: the queries that find their recipients would write it first.
    mailing = Mailing(
        key=news.key,
        kind=news.news.value,
        audience=audience,
        consultation_id=consultation.id,
        created_by=SITE,
        created_at=now,
        updated_at=now,
        queued_at=now,
        queued_by=SITE,
    )
    # Followers hear only of what happened after they followed.
    emails = _write(mailing, audience, consultation, news.moment, news.until)
    try:
        db.session.add(mailing)
        db.session.flush()  # a second worker waits here, then finds the key taken
        count = mailing.recipients = emails.queue(mailing.id, now)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if db.session.scalar(select(Mailing.id).filter_by(key=news.key)) is None:
            raise  # not the key: something else is wrong
        return 0
    return count
