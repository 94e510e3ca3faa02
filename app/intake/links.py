"""The respondent's private link, from their receipt, to view, change or withdraw what
they sent: a random token in the link, its SHA-256 in the database.

A link opens one response. It stops working when the response is withdrawn or purged,
and when a new link is sent for it ("Lost your link?").
"""

from __future__ import annotations

import hashlib

from flask import render_template
from sqlalchemy import select

from app.extensions import db
from app.intake.submissions import TOKEN_SHAPE, new_token
from app.mail.compose import site_url
from app.models import SUBMITTED, Response

VIEW_ENDPOINT = "respondents.view"


def link_hash(token: str) -> str:
    """What the database keeps of a link's token. The token is random, so a plain hash
    is enough: a copy of the database opens nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(response: Response) -> str:
    """Give the response a new link, ending any earlier one; the token, for the email."""
    token = new_token()
    response.link_hash = link_hash(token)
    return token


def url(token: str) -> str:
    """The absolute address of the page a link opens, for emails."""
    return site_url(VIEW_ENDPOINT, token=token)


def find(token: str) -> Response | None:
    """The sent response this link opens, if the link still works."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    return db.session.scalar(
        select(Response).filter_by(link_hash=link_hash(token), status=SUBMITTED)
    )


def not_working():
    """The page (404) for a link that opens nothing: withdrawn, purged, replaced or mistyped."""
    return render_template("respondents/link_not_working.html"), 404
