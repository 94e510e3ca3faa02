"""Publishing what came of a closed consultation ("You said, we did")."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import TextAreaField

from app.admin import bp
from app.admin.auth import admin_only
from app.consultations.lifecycle import State
from app.consultations.lookup import get_by_slug_or_404
from app.extensions import db
from app.models import Consultation, record_audit
from app.runtime import clock
from app.web.forms import Form, limited_text

OUTCOME_LENGTH = 20_000


class OutcomeForm(Form):
    """The outcome, in Markdown like the consultation's own text."""

    outcome = limited_text(
        "What you heard and what you did", OUTCOME_LENGTH, "Enter the outcome", TextAreaField
    )


@bp.get("/consultations/<slug>/outcome")
def outcome(slug: str):
    """The outcome as published, and the form to write it once the consultation has closed."""
    consultation = get_by_slug_or_404(slug)
    return _page(consultation, OutcomeForm(formdata=None, outcome=consultation.outcome))


@bp.post("/consultations/<slug>/outcome")
@admin_only
def publish_outcome(slug: str):
    """Publish the outcome, or change it, on the consultation's public page."""
    consultation = get_by_slug_or_404(slug)
    form = OutcomeForm()
    if not _closed(consultation):
        return _page(consultation, form, 409)
    if not form.validate_on_submit():
        return _page(consultation, form, 422)
    if form.outcome.data != consultation.outcome or consultation.outcome_published_at is None:
        first = consultation.outcome_published_at is None
        consultation.outcome = form.outcome.data
        consultation.outcome_published_at = clock.now()
        record_audit(
            current_user.email,
            "publish_outcome",
            consultation,
            "Published the outcome" if first else "Changed the published outcome",
        )
        db.session.commit()
    flash("The outcome is published on the consultation's page.", "success")
    return redirect(url_for("admin.outcome", slug=slug), code=303)


@bp.post("/consultations/<slug>/outcome/withdraw")
@admin_only
def withdraw_outcome(slug: str):
    """Take the outcome off the public page; the text is kept to publish again."""
    consultation = get_by_slug_or_404(slug)
    form = Form()
    if form.validate_on_submit() and consultation.outcome_published_at is not None:
        consultation.outcome_published_at = None
        record_audit(current_user.email, "withdraw_outcome", consultation, "Withdrew the outcome")
        db.session.commit()
        flash("The outcome is no longer shown on the consultation's page.", "success")
    return redirect(url_for("admin.outcome", slug=slug), code=303)


def _closed(consultation: Consultation) -> bool:
    return consultation.state(clock.now()) is State.CLOSED


def _page(consultation: Consultation, form: OutcomeForm, status: int = 200):
    return render_template(
        "admin/outcome.html",
        consultation=consultation,
        form=form,
        closed=_closed(consultation),
        too_early=status == 409,
    ), status
