"""A reader's session: a cookie of its own, holding a random token whose hash is a
`ReaderSession` row, good for 30 days on that device.

It is kept apart from the site's session cookie, which carries staff sign-in and CSRF
tokens: signing a reader in or out never touches staff sign-in, and a reader's cookie
means nothing to the admin area. The token is random rather than signed, so that signing
out, or deleting the account, ends it at once everywhere.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import Response, current_app, request
from sqlalchemy import delete, select

from app.extensions import db
from app.models import Reader, ReaderSession
from app.readers import bp

COOKIE = "reader"
LASTS = timedelta(days=30)
# secrets.token_urlsafe(32) is 43 characters; anything else is not a token of ours.
TOKEN_LENGTH = 43

# Kept in the request's environ, not in `g`: `g` belongs to the app context, which a test
# holding one open shares between requests.
_READER = "consultations.reader"
_SET = "consultations.reader_cookie_set"
_CLEAR = "consultations.reader_cookie_clear"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@bp.app_template_global()
def current_reader(now: datetime | None = None) -> Reader | None:
    """The reader signed in on this device, if any (read once per request).

    `now` is the request's clock (app.runtime.clock.now()); an expired session is nobody.
    """
    here = request.environ
    if _READER in here:
        return here[_READER]
    reader = None
    token = request.cookies.get(COOKIE, "")
    if len(token) == TOKEN_LENGTH and token.isascii():
        from app.runtime import clock

        moment = now or clock.now()
        reader = db.session.scalar(
            select(Reader)
            .join(ReaderSession)
            .where(ReaderSession.token_hash == token_hash(token))
            .where(ReaderSession.expires_at > moment)
        )
    here[_READER] = reader
    return reader


def begin(reader: Reader, now: datetime) -> None:
    """Sign `reader` in on this device: a new session row in the current transaction, and
    its cookie on this request's response. The caller commits."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        ReaderSession(reader=reader, token_hash=token_hash(token), expires_at=now + LASTS)
    )
    request.environ.update({_READER: reader, _SET: token})
    request.environ.pop(_CLEAR, None)


def end() -> None:
    """Sign out on this device: its session row goes (the caller commits), its cookie too."""
    token = request.cookies.get(COOKIE, "")
    if token:
        db.session.execute(
            delete(ReaderSession).where(ReaderSession.token_hash == token_hash(token))
        )
    request.environ.update({_READER: None, _CLEAR: True})
    request.environ.pop(_SET, None)


def end_everywhere(reader: Reader) -> None:
    """Sign `reader` out on every device (the caller commits)."""
    db.session.execute(delete(ReaderSession).where(ReaderSession.reader_id == reader.id))
    end()


def delete_expired(now: datetime) -> int:
    """Forget sessions past their 30 days; the worker calls this. Commits."""
    removed = db.session.execute(delete(ReaderSession).where(ReaderSession.expires_at <= now))
    db.session.commit()
    return removed.rowcount or 0


@bp.after_app_request
def _write_cookie(response: Response) -> Response:
    """Write or clear the reader's cookie on the way out."""
    here = request.environ
    token = here.get(_SET)
    secure = bool(current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure)
    if token:
        response.set_cookie(
            COOKIE,
            token,
            max_age=int(LASTS.total_seconds()),
            secure=secure,
            httponly=True,
            samesite="Lax",
        )
    elif here.get(_CLEAR) and COOKIE in request.cookies:
        response.delete_cookie(COOKIE, secure=secure, httponly=True, samesite="Lax")
    if _READER in here:
        response.vary.add("Cookie")
    return response
