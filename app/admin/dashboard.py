"""The dashboard (every consultation at a glance) and the views that change one
consultation's state, dates and email alerts; their services are in consultation_settings.py."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp, charts, dashboard_counts
from app.admin import consultation_settings as services
from app.admin.auth import admin_only
from app.admin.authoring.settings import date_change_impact
from app.admin.forms import AlertModeForm, DatesForm, OverrideForm
from app.consultations.lifecycle import Override
from app.consultations.lookup import get_for_staff_or_404
from app.extensions import db
from app.formatting import timefmt
from app.models import Consultation
from app.runtime import clock
from app.web.rendering import after_post, render_page


@bp.get("/")
def dashboard():
    """Every consultation with its state, time to the deadline, responses per channel and
    per day, and (for admins) the control to change its state."""
    return render_template("admin/dashboard.html", **_dashboard(clock.now()))


def _dashboard(now) -> dict:
    zone = current_app.config["SITE_ZONE"]
    consultations = _all_consultations()
    charts_by_id = {}
    for consultation in consultations:
        days = dashboard_counts.per_day(
            consultation, dashboard_counts.chart_days(consultation, now, zone), zone
        )
        charts_by_id[consultation.id] = (days, charts.columns(days))
    return {
        "consultations": consultations,
        "now": now,
        "counts": dashboard_counts.channel_counts(),
        "charts": charts_by_id,
        "state_form": OverrideForm(formdata=None),
    }


@bp.post("/consultations/<slug>/state")
@admin_only
def set_state(slug: str):
    """One tap: follow the dates, force open or force closed.

    htmx gets the consultation's row back; a plain form post is redirected.
    """
    consultation = get_for_staff_or_404(slug)
    form = OverrideForm()
    if not form.validate_on_submit():
        return _state_answer(consultation, form)
    changed = services.set_override(
        consultation, Override(form.override.data), current_user.email, clock.now()
    )
    label = services.OVERRIDE_LABELS[form.override.data]
    return after_post(
        url_for("admin.dashboard"),
        lambda: _state_answer(consultation, form),
        f"{consultation.title} now: {label}." if changed else "",
    )


def _state_answer(consultation: Consultation, form: OverrideForm):
    """The consultation's row for htmx, or else the whole dashboard, with any error."""
    return render_page(
        "admin/dashboard.html",
        "admin/_consultation_row.html",
        form=form,
        status=422 if form.errors else 200,
        consultation=consultation,
        state_errors={consultation.slug: "Select one option"} if form.errors else {},
        **_dashboard(clock.now()),
    )


@bp.route("/consultations/<slug>/dates", methods=["GET", "POST"])
@admin_only
def edit_dates(slug: str):
    """Change the opening time and the deadline."""
    consultation = get_for_staff_or_404(slug)
    zone = current_app.config["SITE_ZONE"]
    form = DatesForm()
    if form.validate_on_submit():
        new = (form.opens_at.instant, form.closes_at.instant)
        # Said once saved, so what happens, happens now.
        impact = date_change_impact(consultation, new, clock.now(), when="now")
        changed = services.change_dates(consultation, *new, current_user.email, zone)
        flash(" ".join(["Dates saved.", *impact]) if changed else "Nothing changed.", "success")
        return redirect(url_for("admin.dashboard"), code=303)
    if not form.is_submitted():
        form.opens_at.data = timefmt.to_local(consultation.opens_at, zone)
        form.closes_at.data = timefmt.to_local(consultation.closes_at, zone)
    status = 422 if form.errors else 200
    return render_template(
        "admin/dates.html", form=form, consultation=consultation, zone=timefmt.zone_label(zone)
    ), status


@bp.route("/consultations/<slug>/alerts", methods=["GET", "POST"])
@admin_only
def edit_alerts(slug: str):
    """Choose instant alerts or a daily digest for the policy officer."""
    consultation = get_for_staff_or_404(slug)
    form = AlertModeForm(alert_mode=consultation.alert_mode)
    if form.validate_on_submit():
        changed = services.set_alert_mode(consultation, form.alert_mode.data, current_user.email)
        flash("Email alerts saved." if changed else "Nothing changed.", "success")
        return redirect(url_for("admin.dashboard"), code=303)
    status = 422 if form.errors else 200
    return render_template("admin/alerts.html", form=form, consultation=consultation), status


def _all_consultations() -> list[Consultation]:
    """Drafts first, being worked on; then the rest, latest deadline first."""
    is_published = Consultation.published_at.is_not(None)  # false sorts first
    return list(
        db.session.scalars(
            select(Consultation).order_by(is_published, Consultation.closes_at.desc())
        )
    )
