"""The links in updates emails.

A confirmation link holds a random token whose SHA-256 alone is stored, as respondents'
links do. An unsubscribe link must be made again for every email, long after sign-up, so it
is signed instead (itsdangerous, with SECRET_KEY): it names the subscriber and, for news of
one consultation, that consultation, and it never expires, since an unsubscribe link in an
old email must still work. It also holds the start of the address's hash (FINGERPRINT hex
characters), so that a link made for a row since deleted never reaches another address given
the same id (SQLite reuses the id of the last row deleted).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from app.extensions import db
from app.models import Subscriber

UNSUBSCRIBE_SALT = "updates-unsubscribe"
# How many hex characters of the address's hash a link holds: enough that another address
# given a deleted row's id matches by chance once in 2**64, short enough for a short link.
FINGERPRINT = 16


def new_confirm_token() -> str:
    """A new random confirmation token: only its hash is stored (token_hash)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a confirmation token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class UnsubscribeScope:
    """Whom an unsubscribe link is for, and the consultation its email was about, if any.

    `fingerprint`: the start of the address's hash. A scope read from a link always has
    one, and names nobody unless it matches the row (subscriptions.find); one made here
    for a row in hand need not, and a link made from it looks the row's up. It takes no
    part in comparing scopes: two for one subscriber and consultation are the same.
    """

    subscriber_id: int
    consultation_id: int | None = None
    fingerprint: str | None = field(default=None, compare=False)


def fingerprint(email_hash: str) -> str:
    """What an unsubscribe link holds of an address's hash."""
    return email_hash[:FINGERPRINT]


def _serializer() -> URLSafeSerializer:
    """The signer of unsubscribe links, salted so no other use of SECRET_KEY passes as one."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(scope: UnsubscribeScope) -> str:
    """The signed token of an unsubscribe link for `scope` (its fingerprint looked up if none)."""
    mark = scope.fingerprint
    if mark is None:
        email_hash = db.session.scalar(
            select(Subscriber.email_hash).where(Subscriber.id == scope.subscriber_id)
        )
        mark = fingerprint(email_hash or "")
    return _serializer().dumps([scope.subscriber_id, scope.consultation_id or 0, mark])


def read_unsubscribe_token(token: str) -> UnsubscribeScope | None:
    """The scope a token names, or None for one that was not made here."""
    if not token or len(token) > 200:
        return None
    try:
        subscriber_id, consultation_id, mark = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not (
        isinstance(subscriber_id, int)
        and isinstance(consultation_id, int)
        and isinstance(mark, str)
        and len(mark) == FINGERPRINT
    ):
        return None
    return UnsubscribeScope(subscriber_id, consultation_id or None, mark)
