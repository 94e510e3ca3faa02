"""The links in updates emails.

A confirmation link holds a random token whose SHA-256 alone is stored, as respondents'
links do. An unsubscribe link must be made again for every email, long after sign-up, so it
is signed instead (itsdangerous, with SECRET_KEY): it names the subscriber and, for news of
one consultation, that consultation, and it never expires, since an unsubscribe link in an
old email must still work.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

UNSUBSCRIBE_SALT = "updates-unsubscribe"


def new_confirm_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a confirmation token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class UnsubscribeScope:
    """Whom an unsubscribe link is for, and the consultation its email was about, if any."""

    subscriber_id: int
    consultation_id: int | None = None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(scope: UnsubscribeScope) -> str:
    return _serializer().dumps([scope.subscriber_id, scope.consultation_id or 0])


def read_unsubscribe_token(token: str) -> UnsubscribeScope | None:
    """The scope a token names, or None for one that was not made here."""
    if not token or len(token) > 200:
        return None
    try:
        subscriber_id, consultation_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(subscriber_id, int) or not isinstance(consultation_id, int):
        return None
    return UnsubscribeScope(subscriber_id, consultation_id or None)
