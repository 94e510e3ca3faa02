"""Private preview links: a colleague without an account walks through a draft.

The link carries a token; the database keeps only its SHA-256, and the browser that
followed the link keeps that hash in its session. A request may see a draft while the
hash in its session is still the draft's: making a new link or revoking it ends every
earlier preview at once.

In a preview the consultation counts as open whatever its dates, as if an admin had
forced it open, for that request alone: the forms show and take what is sent, and the
channels store nothing of it and email no one (they ask `in_preview()`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import g, has_app_context, session
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.orm.attributes import set_committed_value

from app.consultations.lifecycle import Override
from app.extensions import db
from app.models import Consultation, record_audit

SESSION_KEY = "previews"
# Published consultations that signed-in staff are previewing in this browser.
STAFF_KEY = "staff_previews"


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


def find_by_token(token: str) -> Consultation | None:
    """The consultation whose preview link carries this token, draft or not, if any."""
    if not token or len(token) > 100:  # no link is that long: not worth hashing
        return None
    return db.session.scalar(select(Consultation).filter_by(preview_hash=token_hash(token)))


def revoke_link(consultation: Consultation) -> None:
    """Stop the preview link, and every preview begun with it, from working."""
    consultation.preview_hash = None
    consultation.preview_made_at = None


def new_link(consultation: Consultation, actor: str, now: datetime) -> str:
    """Make the draft a preview link, ending any earlier one; audited. Commits; returns
    the token, which nothing keeps: the link can be shown only now."""
    replacing = consultation.preview_hash is not None
    token = make_link(consultation, now)
    detail = "Made a new link; the earlier one no longer works" if replacing else "Made a link"
    record_audit(actor, "preview_link", consultation, detail)
    db.session.commit()
    return token


def stop_link(consultation: Consultation, actor: str) -> bool:
    """Stop the draft's preview link; audited. Commits; False if it had none."""
    if consultation.preview_hash is None:
        return False
    revoke_link(consultation)
    record_audit(actor, "preview_link", consultation, "Stopped the link")
    db.session.commit()
    return True


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
    staff = session.get(STAFF_KEY)
    if staff and consultation.id in staff:
        session[STAFF_KEY] = [held for held in staff if held != consultation.id]


def start_staff_preview(consultation: Consultation) -> None:
    """Let signed-in staff try a published consultation's forms in this browser as a
    preview, which stores and emails nothing, until they leave it."""
    held = session.get(STAFF_KEY) or []
    if consultation.id not in held:
        session[STAFF_KEY] = [*held, consultation.id]


def staff_previewing(consultation: Consultation) -> bool:
    """Whether signed-in staff are previewing this published consultation."""
    held = session.get(STAFF_KEY)
    return bool(held) and consultation.id in held and current_user.is_authenticated


def previewing(consultation: Consultation) -> bool:
    """Whether this request is a preview of the draft through a link that still works."""
    if not consultation.is_draft or not consultation.preview_hash:
        return False
    held = session.get(SESSION_KEY, {})
    return isinstance(held, dict) and held.get(str(consultation.id)) == consultation.preview_hash


def mark_preview(consultation: Consultation) -> None:
    """Note for the templates and the channels that this request is a preview, in which
    the consultation is open whatever its dates."""
    g.preview = consultation
    _open_for_this_request(consultation)


def _open_for_this_request(consultation: Consultation) -> None:
    # Set as if loaded from the database, so that nothing writes it back: a commit in the
    # request (a survey page saved) leaves the stored setting as it was.
    set_committed_value(consultation, "override", Override.OPEN.value)


@event.listens_for(Consultation, "refresh")
def _still_open(consultation: Consultation, _context, _attrs) -> None:
    """A commit expires the consultation and the next read reloads it: a preview keeps it
    open until the request ends."""
    if has_app_context() and g.get("preview") is consultation:
        _open_for_this_request(consultation)


def in_preview() -> Consultation | None:
    """The consultation this request previews, if it is a preview."""
    return g.get("preview")
