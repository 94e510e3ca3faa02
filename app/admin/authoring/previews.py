"""The private preview link of a draft, made and stopped by admins.

The database keeps only the link's hash, so the link itself can be shown once: on the
consultation's page, right after it is made (the session carries it there). After that
the page says a link is working and when it was made; making a new link shows one again.
"""

from __future__ import annotations

from flask import flash, redirect, session, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.auth import admin_only
from app.consultations import preview
from app.consultations.lookup import get_for_staff_or_404
from app.mail.compose import site_url
from app.models import Consultation
from app.runtime import clock

SHOW_ONCE_KEY = "preview_link_to_show"


@bp.context_processor
def link_shown_once() -> dict:
    """`preview_link_shown_once(consultation)`, for templates/admin/authoring/_preview_link.html."""
    return {"preview_link_shown_once": _take_link}


def _take_link(consultation: Consultation) -> str | None:
    """The link just made for the consultation, the one time it is shown, while it still
    works (another admin may have made a newer one meanwhile); else None."""
    waiting = dict(session.get(SHOW_ONCE_KEY, {}))
    token = waiting.pop(str(consultation.id), None)
    if token is None:
        return None
    session[SHOW_ONCE_KEY] = waiting
    if preview.token_hash(token) != consultation.preview_hash:
        return None
    return site_url("public.preview", token=token)


def _to_page(consultation: Consultation):
    return redirect(url_for("admin.consultation_page", slug=consultation.slug), code=303)


@bp.post("/consultations/<slug>/preview-link")
@admin_only
def preview_link_make(slug: str):
    """Make a new preview link for the draft, ending any earlier one, and show it once."""
    consultation = get_for_staff_or_404(slug)
    if not consultation.is_draft:
        flash(f"{consultation.title} is published, so it needs no preview link.", "success")
        return _to_page(consultation)
    token = preview.new_link(consultation, current_user.email, clock.now())
    waiting = dict(session.get(SHOW_ONCE_KEY, {}))
    waiting[str(consultation.id)] = token
    session[SHOW_ONCE_KEY] = waiting
    return _to_page(consultation)


@bp.post("/consultations/<slug>/preview-link/revoke")
@admin_only
def preview_link_revoke(slug: str):
    """Stop the preview link working, and every preview begun with it."""
    consultation = get_for_staff_or_404(slug)
    stopped = preview.stop_link(consultation, current_user.email)
    flash(
        "The preview link no longer works." if stopped else "There was no preview link.", "success"
    )
    return _to_page(consultation)
