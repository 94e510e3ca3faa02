"""Deleting a response when its respondent asks: admins only, after a confirmation page."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.auth import admin_only
from app.admin.forms import ActionForm
from app.extensions import db
from app.intake import channels
from app.models import SUBMITTED, Response
from app.privacy import retention
from app.runtime import clock


@bp.route("/responses/<id:response_id>/delete", methods=["GET", "POST"])
@admin_only
def delete_response(response_id: int):
    """Say what will be deleted, then delete the response for good."""
    item = db.session.get(Response, response_id)
    if item is None or item.status != SUBMITTED:
        abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        slug = item.consultation.slug
        reference = retention.delete_response(item, current_user.email, clock.now())
        flash(f"Response {reference} deleted.", "success")
        return redirect(url_for("admin.responses", slug=slug), code=303)
    return render_template(
        "admin/delete_response.html",
        item=item,
        consultation=item.consultation,
        kind=channels.of(item).label,
        call=channels.of(item).upcoming_call(item, clock.now()),
        form=form,
    )
