"""Views for managing consultations."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from app import clock, timefmt
from app.admin import bp, services
from app.admin.forms import OVERRIDE_LABELS, AlertModeForm, DatesForm, OverrideForm
from app.consultations import get_by_slug_or_404
from app.extensions import db, htmx
from app.lifecycle import Override
from app.models import AuditEvent, Consultation
from app.rendering import render_page

AUDIT_PAGE_SIZE = 50


@bp.get("/")
def dashboard():
    """Every consultation with its state and the control to change it."""
    return render_template(
        "admin/dashboard.html", consultations=_all_consultations(), now=clock.now()
    )


@bp.post("/consultations/<slug>/state")
def set_state(slug: str):
    """One tap: follow the dates, force open or force closed.

    htmx gets the consultation's row back; a plain form post is redirected.
    """
    consultation = get_by_slug_or_404(slug)
    form = OverrideForm()
    if form.validate_on_submit():
        changed = services.set_override(
            consultation, Override(form.override.data), current_user.email
        )
        if not htmx:
            if changed:
                flash(
                    f"{consultation.title} now: {OVERRIDE_LABELS[form.override.data]}.", "success"
                )
            return redirect(url_for("admin.dashboard"), code=303)
    return render_page(
        "admin/dashboard.html",
        "admin/_consultation_row.html",
        form=form,
        status=422 if form.errors else 200,
        consultation=consultation,
        consultations=_all_consultations(),
        now=clock.now(),
        state_errors={slug: "Select one option"} if form.errors else {},
    )


@bp.route("/consultations/<slug>/dates", methods=["GET", "POST"])
def edit_dates(slug: str):
    """Change the opening time and the deadline."""
    consultation = get_by_slug_or_404(slug)
    zone = current_app.config["SITE_ZONE"]
    form = DatesForm()
    if form.validate_on_submit():
        changed = services.change_dates(
            consultation,
            form.opens_at.instant,
            form.closes_at.instant,
            current_user.email,
            zone,
        )
        flash("Dates saved." if changed else "Nothing changed.", "success")
        return redirect(url_for("admin.dashboard"), code=303)
    if not form.is_submitted():
        form.opens_at.data = timefmt.to_local(consultation.opens_at, zone)
        form.closes_at.data = timefmt.to_local(consultation.closes_at, zone)
    status = 422 if form.errors else 200
    return render_template(
        "admin/dates.html", form=form, consultation=consultation, zone=timefmt.zone_label(zone)
    ), status


@bp.route("/consultations/<slug>/alerts", methods=["GET", "POST"])
def edit_alerts(slug: str):
    """Choose instant alerts or a daily digest for the policy officer."""
    consultation = get_by_slug_or_404(slug)
    form = AlertModeForm(alert_mode=consultation.alert_mode)
    if form.validate_on_submit():
        changed = services.set_alert_mode(consultation, form.alert_mode.data, current_user.email)
        flash("Email alerts saved." if changed else "Nothing changed.", "success")
        return redirect(url_for("admin.dashboard"), code=303)
    status = 422 if form.errors else 200
    return render_template("admin/alerts.html", form=form, consultation=consultation), status


@bp.get("/audit")
def audit_log():
    """Who changed what, newest first."""
    events = db.session.scalars(
        select(AuditEvent)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE)
    )
    return render_template("admin/audit.html", events=list(events))


def _all_consultations() -> list[Consultation]:
    return list(db.session.scalars(select(Consultation).order_by(Consultation.closes_at.desc())))
