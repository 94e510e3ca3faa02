"""Views for a draft's private preview link: following it, and leaving the preview."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from app.consultations import preview
from app.consultations.lookup import get_by_slug_or_404
from app.public import bp


@bp.app_context_processor
def preview_banner() -> dict:
    """`preview_consultation`: the draft this request previews, for the banner every page
    of a preview shows (templates/components/preview_banner.html)."""
    return {"preview_consultation": preview.in_preview()}


@bp.get("/preview/<token>", endpoint="preview")
def follow_link(token: str):
    """A preview link: this browser may then see the draft; a link that no longer works
    gets a page saying why it may not (404)."""
    consultation = preview.find_by_token(token)
    if consultation is None or not consultation.is_draft:
        page = render_template("public/preview_not_working.html", published=consultation)
        return page, 404
    preview.remember(consultation)
    return redirect(url_for("public.consultation", slug=consultation.slug), code=303)


@bp.post("/preview/<slug>/leave")
def leave_preview(slug: str):
    """End this browser's preview of the draft (CSRFProtect has checked the form's token),
    and say so on the list of consultations, where the draft is not."""
    preview.forget(get_by_slug_or_404(slug))
    flash("You have left the preview.", "success")
    return redirect(url_for("public.index"), code=303)
