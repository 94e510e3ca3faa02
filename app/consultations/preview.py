"""Private preview links: a colleague without an account walks through a draft.

The link carries a token; the database keeps only its SHA-256, and the browser that
followed the link keeps that hash in its session. A request may see a draft while the
hash in its session is still the draft's: making a new link or revoking it ends every
earlier preview at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import g, session

from app.models import Consultation

SESSION_KEY = "previews"


def token_hash(token: str) -> str:
    """The form in which a preview token is stored and compared."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """An unguessable token for a preview link."""
    return secrets.token_urlsafe(32)


def make_link(consultation: Consultation, now: datetime) -> str:
    """Give the consultation a new preview token, replacing any earlier one; return it.

    The caller commits (and audits) the change.
    """
    token = new_token()
    consultation.preview_hash = token_hash(token)
    consultation.preview_made_at = now
    return token


def revoke_link(consultation: Consultation) -> None:
    """Stop the preview link, and every preview begun with it, from working."""
    consultation.preview_hash = None
    consultation.preview_made_at = None


def remember(consultation: Consultation) -> None:
    """Let this browser preview the consultation while its link stays the same."""
    previews = dict(session.get(SESSION_KEY, {}))
    previews[str(consultation.id)] = consultation.preview_hash
    session[SESSION_KEY] = previews


def forget(consultation: Consultation) -> None:
    """End this browser's preview of the consultation."""
    previews = dict(session.get(SESSION_KEY, {}))
    if previews.pop(str(consultation.id), None) is not None:
        session[SESSION_KEY] = previews


def previewing(consultation: Consultation) -> bool:
    """Whether this request is a preview of the draft through a link that still works."""
    if not consultation.is_draft or not consultation.preview_hash:
        return False
    held = session.get(SESSION_KEY, {})
    return isinstance(held, dict) and held.get(str(consultation.id)) == consultation.preview_hash


def mark_preview(consultation: Consultation) -> None:
    """Note for the templates and the channels that this request is a preview."""
    g.preview = consultation


def in_preview() -> Consultation | None:
    """The consultation this request previews, if it is a preview."""
    return g.get("preview")
