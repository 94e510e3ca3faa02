"""Publishing what came of a closed consultation ("You said, we did")."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.auth import admin_only
from app.admin.forms import ActionForm, OutcomeForm
from app.admin.outcome import services
from app.consultations.lookup import get_for_staff_or_404
from app.models import Consultation
from app.runtime import clock


@bp.get("/consultations/<slug>/outcome")
def outcome(slug: str):
    """The outcome as published, and the form to write it once the consultation has closed."""
    consultation = get_for_staff_or_404(slug)
    return _page(consultation, OutcomeForm(formdata=None, outcome=consultation.outcome))


@bp.post("/consultations/<slug>/outcome")
@admin_only
def publish_outcome(slug: str):
    """Publish the outcome, or change it, on the consultation's public page."""
    consultation = get_for_staff_or_404(slug)
    form = OutcomeForm()
    if not services.may_publish(consultation, clock.now()):
        return _page(consultation, form, 409)
    if not form.validate_on_submit():
        return _page(consultation, form, 422)
    services.publish(consultation, form.outcome.data, current_user.email, clock.now())
    flash("The outcome is published on the consultation's page.", "success")
    return redirect(url_for("admin.outcome", slug=slug), code=303)


@bp.post("/consultations/<slug>/outcome/withdraw")
@admin_only
def withdraw_outcome(slug: str):
    """Take the outcome off the public page; the text is kept to publish again."""
    consultation = get_for_staff_or_404(slug)
    if ActionForm().validate_on_submit() and services.withdraw(consultation, current_user.email):
        flash("The outcome is no longer shown on the consultation's page.", "success")
    return redirect(url_for("admin.outcome", slug=slug), code=303)


def _page(consultation: Consultation, form: OutcomeForm, status: int = 200):
    return render_template(
        "admin/outcome.html",
        consultation=consultation,
        form=form,
        closed=services.may_publish(consultation, clock.now()),
        too_early=status == 409,
    ), status
