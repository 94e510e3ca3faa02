"""Signing up, following, confirming and unsubscribing: the double opt-in.

Nothing but a confirmation email goes to an address until its link is followed; an address
is confirmed once, whether it first signed up or followed. What a form says never depends
on whether the address was known ("Check your email"): only its owner learns that.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import idna
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.mail import outbox
from app.mail.compose import site_url
from app.models import (
    CONFIRMED,
    PENDING_SUBSCRIBER,
    UNSUBSCRIBED,
    Consultation,
    Follow,
    OutboxEmail,
    Subscriber,
)
from app.updates import tokens
from app.updates.rules import ANNOUNCE_WITHIN, CONFIRM_WITHIN, NOTICE_EVERY

# The version of the words a person agrees to when signing up or following
# (templates/updates/_promise.html): change it whenever they change.
CONSENT_WORDING = "updates-2026-12b"
# The most characters of a name kept: the column's length, the one place it is set.
NAME_MOST = Subscriber.name.type.length


def address_hash(email: str) -> str:
    """What identifies an address, kept after it unsubscribes: the SHA-256 of the address
    as a mail server reads it, so that one person is one subscriber however they type it.

    The domain is compared as it goes on the wire (IDNA, lower case): "große.de" and
    "grosse.de" are two domains, which folding the case of the text (ß to ss) would make
    one. The part before the @ is lower-cased only if it is plain ASCII, as nearly every
    server reads it; one that is not is kept as typed.
    """
    local, at, domain = email.strip().rpartition("@")
    if not at:
        local, domain = domain, ""
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        domain = domain.lower()
    if local.isascii():
        local = local.lower()
    return hashlib.sha256(f"{local}{at}{domain}".encode()).hexdigest()


@dataclass(frozen=True)
class SignUp:
    """What a sign-up or follow form asks for."""

    email: str
    name: str = ""
    site_updates: bool = False
    consultation: Consultation | None = None
    source: str = ""


class Sent(StrEnum):
    """Which email a sign-up sent: the page says "Check your email" whichever it was."""

    CONFIRMATION = "confirmation"
    NOTICE = "notice"  # to a confirmed address: what it now gets, or that it already did
    NOTHING = "nothing"  # one was sent to this address within NOTICE_EVERY


def sign_up(request: SignUp, now: datetime) -> Sent:
    """Record what the address asked for and send the one email it calls for. Commits."""
    for attempt in range(2):
        try:
            sent = _sign_up(request, now)
            db.session.commit()
            return sent
        except IntegrityError:
            # Two sign-ups for one new address at once: the second finds the first's row.
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _sign_up(request: SignUp, now: datetime) -> Sent:
    subscriber = db.session.scalar(
        select(Subscriber).filter_by(email_hash=address_hash(request.email)).with_for_update()
    )
    if subscriber is None:
        subscriber = Subscriber(email_hash=address_hash(request.email), signed_up_at=now)
        db.session.add(subscriber)
    if subscriber.status == UNSUBSCRIBED:
        subscriber.status = PENDING_SUBSCRIBER
        subscriber.confirmed_at = subscriber.unsubscribed_at = None
    was_confirmed = subscriber.confirmed
    if not was_confirmed:
        # Until its owner confirms, the latest form decides what the address is called; a
        # confirmed one keeps what its owner confirmed, since anyone can type the address.
        subscriber.email = request.email
        if request.name:
            subscriber.name = request.name[:NAME_MOST]
        subscriber.signed_up_at = now
    news = _record_consent(subscriber, request, now)
    db.session.flush()
    # Its owner always hears of something added to a confirmed address; the limit only
    # keeps back the emails a form can make without changing anything.
    told_lately = subscriber.noticed_at is not None and now - subscriber.noticed_at < NOTICE_EVERY
    if told_lately and not (was_confirmed and news):
        return Sent.NOTHING
    subscriber.noticed_at = now
    if not was_confirmed:
        token = tokens.new_confirm_token()
        subscriber.confirm_hash = tokens.token_hash(token)
        _queue_personal(subscriber, "confirm", {"confirm_url": confirm_url(token)}, now)
        return Sent.CONFIRMATION
    _queue_personal(
        subscriber,
        "subscribed",
        {"news": news, "consultation": request.consultation, "manage_url": manage_url(subscriber)},
        now,
    )
    return Sent.NOTICE


def _record_consent(subscriber: Subscriber, request: SignUp, now: datetime) -> bool:
    """Add what was asked for, with its consent. Returns whether it is new."""
    news = False
    if request.site_updates and not subscriber.site_updates:
        subscriber.site_updates = True
        subscriber.consent_at = now
        subscriber.consent_source = request.source[:200]
        subscriber.consent_wording = CONSENT_WORDING
        news = True
    consultation = request.consultation
    if consultation is not None and not any(
        follow.consultation_id == consultation.id for follow in subscriber.follows
    ):
        subscriber.follows.append(
            Follow(
                consultation=consultation,
                created_at=now,
                consent_source=request.source[:200],
                consent_wording=CONSENT_WORDING,
            )
        )
        news = True
    return news


def _queue_personal(subscriber: Subscriber, template: str, context: dict, now: datetime) -> None:
    """Queue an email to this address alone, tied to it so that unsubscribing forgets it."""
    outbox.queue_email(
        event_key=f"updates-{template}:{subscriber.id}:{now.strftime('%Y%m%dT%H%M%S.%fZ')}",
        kind=f"updates_{template}",
        to=outbox.address(subscriber.name, subscriber.email or ""),
        template=f"updates/{template}",
        context={"subscriber": subscriber, **context},
        now=now,
    ).subscriber_id = subscriber.id


def confirm_url(token: str) -> str:
    """The link in a confirmation email: absolute, since an email has no page to be relative to."""
    return site_url("updates.confirm", token=token)


def manage_url(subscriber: Subscriber, consultation_id: int | None = None) -> str:
    """The page where this address stops following one consultation or unsubscribes."""
    scope = tokens.UnsubscribeScope(
        subscriber.id, consultation_id, tokens.fingerprint(subscriber.email_hash)
    )
    return site_url("updates.unsubscribe", token=tokens.unsubscribe_token(scope))


def confirmable(token: str, now: datetime) -> Subscriber | None:
    """The address a confirmation link is for, without confirming it.

    None for a link that was never sent, replaced by a newer one, or too old.
    """
    if not token or len(token) > 100:
        return None
    subscriber = db.session.scalar(
        select(Subscriber).filter_by(confirm_hash=tokens.token_hash(token))
    )
    if subscriber is None or subscriber.status == UNSUBSCRIBED:
        return None
    if not subscriber.confirmed and now - subscriber.signed_up_at > CONFIRM_WITHIN:
        return None
    return subscriber


def confirm(token: str, now: datetime) -> Subscriber | None:
    """Confirm the address whose link this is. Confirming it again changes nothing.

    None where confirmable() finds nothing.
    """
    subscriber = confirmable(token, now)
    if subscriber is not None and not subscriber.confirmed:
        subscriber.status = CONFIRMED
        subscriber.confirmed_at = now
        db.session.commit()
    return subscriber


def find(scope: tokens.UnsubscribeScope) -> Subscriber | None:
    """The subscriber an unsubscribe link names, if it still gets anything.

    A link made for a row since deleted whose id another address now has finds nothing:
    the start of the address's hash it holds is not this one's.
    """
    subscriber = db.session.get(Subscriber, scope.subscriber_id)
    if subscriber is None or subscriber.status == UNSUBSCRIBED:
        return None
    if scope.fingerprint is not None and scope.fingerprint != tokens.fingerprint(
        subscriber.email_hash
    ):
        return None
    return subscriber


def stop_following(subscriber: Subscriber, consultation_id: int, now: datetime) -> None:
    """Stop news of one consultation, queued emails included. Commits.

    An address left with nothing to get is unsubscribed altogether: it is kept for nothing.
    """
    db.session.execute(
        delete(Follow).where(
            Follow.subscriber_id == subscriber.id, Follow.consultation_id == consultation_id
        )
    )
    outbox.withdraw_where(
        OutboxEmail.subscriber_id == subscriber.id,
        OutboxEmail.consultation_id == consultation_id,
        OutboxEmail.mailing_id.is_not(None),
    )
    db.session.expire(subscriber, ["follows"])
    if not subscriber.site_updates and not subscriber.follows:
        _unsubscribe(subscriber, now)
    db.session.commit()


def unsubscribe(subscriber: Subscriber, now: datetime) -> None:
    """Stop everything at once, queued emails included; keep only the address's hash. Commits."""
    _unsubscribe(subscriber, now)
    db.session.commit()


def _unsubscribe(subscriber: Subscriber, now: datetime) -> None:
    """Keep the hash and that it unsubscribed, and when: nothing of what it signed up for,
    nor when (signed_up_at, which cannot be empty, becomes the moment it unsubscribed)."""
    subscriber.status = UNSUBSCRIBED
    subscriber.unsubscribed_at = subscriber.signed_up_at = now
    subscriber.email = None
    subscriber.name = ""
    subscriber.site_updates = False
    subscriber.consent_at = None
    subscriber.consent_source = subscriber.consent_wording = ""
    subscriber.confirmed_at = None
    subscriber.confirm_hash = None
    subscriber.noticed_at = None
    db.session.execute(delete(Follow).where(Follow.subscriber_id == subscriber.id))
    db.session.expire(subscriber, ["follows"])
    outbox.forget_where(OutboxEmail.subscriber_id == subscriber.id)


def delete_unconfirmed(now: datetime) -> int:
    """Delete the addresses not confirmed within CONFIRM_WITHIN of signing up, with every
    trace of them in the outbox. The worker's housekeeping; commits. How many it deleted.

    One whose confirmation email is being sent this moment waits for the next round: the
    email keeps its text until its worker records the outcome, and once the address is
    gone nothing would tie the email to it to forget it.

    The rows are locked as they are read (PostgreSQL; SQLite lets one writer in at a time),
    skipping any another transaction holds, such as a confirmation under way, and every
    statement asks the conditions again: an address confirmed since it was read is kept.
    """
    being_sent = exists().where(
        OutboxEmail.subscriber_id == Subscriber.id, OutboxEmail.status == outbox.SENDING
    )
    unconfirmed = (
        Subscriber.status == PENDING_SUBSCRIBER,
        Subscriber.signed_up_at < now - CONFIRM_WITHIN,
        ~being_sent,
    )
    stale = list(
        db.session.scalars(
            select(Subscriber.id)
            .where(*unconfirmed)
            .with_for_update(skip_locked=True, of=Subscriber)
        )
    )
    deleted = 0
    if stale:
        still = select(Subscriber.id).where(Subscriber.id.in_(stale), *unconfirmed)
        outbox.forget_where(OutboxEmail.subscriber_id.in_(still))
        db.session.execute(delete(Follow).where(Follow.subscriber_id.in_(still)))
        deleted = db.session.execute(
            delete(Subscriber)
            .where(Subscriber.id.in_(stale), *unconfirmed)
            .execution_options(synchronize_session=False)
        ).rowcount
    db.session.commit()
    return deleted


def end_finished_follows(now: datetime) -> int:
    """Stop following the consultations that can send nothing more (their outcome was
    published more than ANNOUNCE_WITHIN ago, so its news is past), and unsubscribe the
    confirmed addresses left with nothing to get, a deleted consultation's followers among
    them: an address is kept only while it can be sent something. The worker's
    housekeeping; commits when it changed anything. How many addresses it unsubscribed.

    As in delete_unconfirmed, the rows are locked as they are read, skipping those another
    transaction holds, and the delete asks its conditions again.
    """
    finished_consultation = Follow.consultation_id.in_(
        select(Consultation.id).where(Consultation.outcome_published_at < now - ANNOUNCE_WITHIN)
    )
    finished = list(
        db.session.scalars(
            select(Follow.id)
            .where(finished_consultation)
            .with_for_update(skip_locked=True, of=Follow)
        )
    )
    if finished:
        db.session.execute(
            delete(Follow)
            .where(Follow.id.in_(finished), finished_consultation)
            .execution_options(synchronize_session=False)
        )
    left = list(
        db.session.scalars(
            select(Subscriber)
            .where(
                Subscriber.status == CONFIRMED,
                ~Subscriber.site_updates,
                ~exists().where(Follow.subscriber_id == Subscriber.id),
            )
            .with_for_update(skip_locked=True, of=Subscriber)
        )
    )
    for subscriber in left:
        _unsubscribe(subscriber, now)
    if finished or left:
        db.session.commit()
    return len(left)
