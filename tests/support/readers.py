"""Readers for tests that need one signed in, made straight in the database, as the
sign-in link would make them (the sign-in pages have tests of their own)."""

from __future__ import annotations

import secrets

from flask.testing import FlaskClient

from app.extensions import db
from app.models import Reader, ReaderSession
from app.readers import sessions
from app.runtime import clock
from app.updates.subscriptions import address_hash


def make_reader(email: str = "reader@example.org", name: str | None = "Sam Reader") -> Reader:
    """A reader who has signed in before and chosen `name` (None: not chosen yet)."""
    reader = Reader(email=email, email_hash=address_hash(email), name=name)
    db.session.add(reader)
    db.session.commit()
    return reader


def sign_in(client: FlaskClient, reader: Reader) -> None:
    """Give `client` the cookie of a fresh session of `reader`'s."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        ReaderSession(
            reader=reader,
            token_hash=sessions.token_hash(token),
            expires_at=clock.now() + sessions.LASTS,
        )
    )
    db.session.commit()
    client.set_cookie(sessions.COOKIE, token)
