"""Updates an admin writes: drafts, the email as it will look, a test to oneself, and
how far a mailing has got.

Sending itself is app.updates.mailings.send_update, which queues the emails once however
often it is called; a draft is changed only while it is not sent, by the same test.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from app.extensions import db
from app.mail import outbox
from app.mail.compose import site_url
from app.models import (
    PENDING_SUBSCRIBER,
    Consultation,
    Follow,
    Mailing,
    OutboxEmail,
    Subscriber,
    record_audit,
)
from app.updates import mailings

TEST_PREFIX = "[Test] "
# In a preview and a test, the link each recipient gets to unsubscribe is this one: it
# looks like theirs and unsubscribes nobody.
UNSUBSCRIBES_NOBODY = "example"


@dataclass(frozen=True)
class Email:
    """An email as it will be sent."""

    subject: str
    text: str
    html: str


def new_draft(subject: str, body: str, actor: str, now: datetime) -> Mailing:
    """Keep a new update as a draft, in the audit log. Commits."""
    mailing = Mailing(
        kind=mailings.UPDATE,
        subject=subject,
        body=body,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    db.session.add(mailing)
    record_audit(actor, "draft_update", None, f"Wrote '{subject}'")
    db.session.commit()
    return mailing


def change_draft(mailing: Mailing, subject: str, body: str, actor: str, now: datetime) -> bool:
    """Change a draft, unless it was sent meanwhile; whether it was changed. Commits."""
    changed = db.session.execute(
        update(Mailing)
        .where(Mailing.id == mailing.id, Mailing.queued_at.is_(None))
        .values(subject=subject, body=body, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        record_audit(actor, "change_update", None, f"Changed '{subject}'")
    db.session.commit()
    db.session.refresh(mailing)
    return bool(changed)


def written(mailing: Mailing, consultation: Consultation | None = None) -> Email:
    """The email as a subscriber will get it, or as the followers of `consultation` will,
    with an unsubscribe link that works for nobody."""
    # A copy that is never added to the session: the draft itself is not changed.
    copy = Mailing(kind=mailing.kind, subject=mailing.subject, body=mailing.body)
    copy.consultation = consultation
    subject, text, html = mailings.written(copy, following=consultation is not None)
    link = site_url("updates.unsubscribe", token=UNSUBSCRIBES_NOBODY)
    return Email(
        subject,
        text.replace(mailings.LINK_PLACEHOLDER, link),
        html.replace(mailings.LINK_PLACEHOLDER, link),
    )


def send_test(mailing: Mailing, to: str, now: datetime) -> None:
    """Queue the update to `to` alone, marked as a test: not one of the mailing's emails,
    and without the unsubscribe headers, since it goes to no subscriber. Commits."""
    email = written(mailing)
    outbox.queue_many(
        [
            {
                "event_key": f"update-test:{mailing.id}:{uuid.uuid4().hex}",
                "kind": "update_test",
                "to_addr": to,
                "subject": TEST_PREFIX + email.subject,
                "body_text": email.text,
                "body_html": email.html,
            }
        ],
        now,
    )
    record_audit(to, "test_update", None, f"Sent a test of '{mailing.subject}' to {to}")
    db.session.commit()


# Who would get it.


def subscriber_count() -> int:
    """Confirmed addresses signed up to the site's updates."""
    return db.session.scalar(mailings.confirmed_subscribers(func.count()))


def pending_count() -> int:
    """Addresses that signed up or followed and have not followed their link yet."""
    return db.session.scalar(
        select(func.count()).select_from(Subscriber).where(Subscriber.status == PENDING_SUBSCRIBER)
    )


def follower_counts() -> dict[int, int]:
    """The confirmed followers of each consultation that has any."""
    rows = db.session.execute(
        mailings.confirmed_followers(Follow.consultation_id, func.count()).group_by(
            Follow.consultation_id
        )
    )
    return {consultation_id: count for consultation_id, count in rows}


def followed() -> list[tuple[Consultation, int]]:
    """Every published consultation, newest deadline first, with its confirmed followers."""
    counts = follower_counts()
    consultations = db.session.scalars(
        select(Consultation)
        .where(Consultation.published_at.is_not(None))
        .order_by(Consultation.closes_at.desc(), Consultation.id.desc())
    )
    return [(consultation, counts.get(consultation.id, 0)) for consultation in consultations]


# How far mailings have got.


@dataclass(frozen=True)
class Progress:
    """A mailing's emails by where they are."""

    queued: int = 0  # waiting to be sent, or being sent, or waiting to be tried again
    sent: int = 0
    failed: int = 0  # given up on: an admin can retry them from the outbox
    stopped: int = 0  # withdrawn: the person unsubscribed, or the news went out of date

    @classmethod
    def of(cls, statuses: dict[str, int]) -> Progress:
        return cls(
            queued=sum(statuses.get(s, 0) for s in (outbox.PENDING, outbox.SENDING, outbox.HELD)),
            sent=statuses.get(outbox.SENT, 0),
            failed=statuses.get(outbox.FAILED, 0),
            stopped=statuses.get(outbox.WITHDRAWN, 0),
        )


def progress(mailing: Mailing) -> Progress:
    """How far a mailing has got, by outbox state, for its page."""
    return Progress.of(mailings.progress(mailing))


MAILINGS_SHOWN = 50


def latest_mailings() -> list[tuple[Mailing, Progress]]:
    """The newest mailings, updates and news alike, drafts among them, with their progress."""
    latest = list(
        db.session.scalars(
            select(Mailing)
            .order_by(Mailing.created_at.desc(), Mailing.id.desc())
            .limit(MAILINGS_SHOWN)
        )
    )
    statuses: dict[int, dict[str, int]] = {}
    if latest:
        rows = db.session.execute(
            select(OutboxEmail.mailing_id, OutboxEmail.status, func.count())
            .where(OutboxEmail.mailing_id.in_([mailing.id for mailing in latest]))
            .group_by(OutboxEmail.mailing_id, OutboxEmail.status)
        )
        for mailing_id, status, count in rows:
            statuses.setdefault(mailing_id, {})[status] = count
    return [(mailing, Progress.of(statuses.get(mailing.id, {}))) for mailing in latest]


# Mailings in words.

NEWS_TITLES = {
    "opened": "Now open: {title}",
    "week_left": "One week left: {title}",
    "closed": "Closed: {title}",
    "outcome": "Outcome published: {title}",
}
GONE = "a deleted consultation"


def title_of(mailing: Mailing) -> str:
    """An update's subject, or what a piece of news was about."""
    if mailing.kind == mailings.UPDATE:
        return mailing.subject
    title = mailing.consultation.title if mailing.consultation else GONE
    return NEWS_TITLES.get(mailing.kind, "{title}").format(title=title)


def audience_of(mailing: Mailing) -> str:
    """Whom a mailing went to, in words."""
    title = mailing.consultation.title if mailing.consultation else GONE
    return {
        mailings.SUBSCRIBERS: "Everyone subscribed to updates",
        mailings.FOLLOWERS: f"The followers of {title}",
        mailings.EVERYONE: f"Everyone subscribed to updates, and the followers of {title}",
    }.get(mailing.audience, "Not chosen yet")


def sender_of(mailing: Mailing) -> str:
    """Who sent it: an admin's address, or the site itself for news."""
    return "Sent automatically" if mailing.queued_by == mailings.SITE else mailing.queued_by


def as_sent(mailing: Mailing) -> Email:
    """The email as its recipients get it: as followers get it, if they were its audience."""
    following = mailing.audience == mailings.FOLLOWERS and mailing.consultation is not None
    return written(mailing, mailing.consultation if following else None)
