"""Calls with the policy officer: publishing times, seeing bookings, cancelling one."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.auth import admin_only
from app.admin.forms import ActionForm, ContactSettingsForm, SeriesForm, SlotForm
from app.calls import booking, publishing
from app.calls import rules as calls
from app.consultations.lookup import get_for_staff_or_404
from app.contact import services
from app.extensions import db
from app.formatting import timefmt
from app.models import Booking, Consultation, Slot
from app.runtime import clock


def _page(consultation: Consultation, status: int = 200, **forms):
    """The calls page, with any form given in place of a fresh one (to show its errors)."""
    now = clock.now()
    settings = forms.get("settings") or ContactSettingsForm(
        formdata=None,
        messages_after_close="yes" if consultation.messages_after_close else "no",
        bookings_after_close="yes" if consultation.bookings_after_close else "no",
    )
    times = publishing.upcoming(consultation, now)
    return render_template(
        "admin/calls.html",
        consultation=consultation,
        settings=settings,
        one=forms.get("one") or SlotForm(formdata=None, prefix="one"),
        series=forms.get("series") or SeriesForm(formdata=None, prefix="series"),
        booked=[(slot, booking) for slot, booking in times if booking],
        by_day=publishing.by_day(times, key=lambda row: row[0].starts_at),
        form=next(iter(forms.values()), None),  # the form in error, for the page title
    ), status


def _offering_contact(slug: str) -> Consultation:
    consultation = get_for_staff_or_404(slug)
    if not consultation.offers("contact"):
        abort(404)
    return consultation


@bp.get("/consultations/<slug>/calls")
def calls_page(slug: str):
    """Published call times and who has booked them, and the forms to publish more."""
    return _page(_offering_contact(slug))


def _report(result: calls.Sorted) -> None:
    """Say what was published and what was left out, and why."""
    added = len(result.new)
    parts = [f"Published {added} {'time' if added == 1 else 'times'}."]
    if result.clashing:
        parts.append(f"Left out {result.clashing} that overlapped a time already published.")
    if result.past:
        parts.append(f"Left out {result.past} in the past.")
    flash(" ".join(parts), "success" if added else "warning")


def _local(day, at) -> datetime:
    return timefmt.from_local(datetime.combine(day, at), current_app.config["SITE_ZONE"])


@bp.post("/consultations/<slug>/calls/time")
def publish_time(slug: str):
    """Publish one time."""
    consultation = _offering_contact(slug)
    form = SlotForm(prefix="one")
    if not form.validate():
        return _page(consultation, 422, one=form)
    start = _local(form.day.data, form.start.data)
    end = start + timedelta(minutes=form.minutes.data)
    _report(publishing.publish(consultation, [(start, end)], clock.now(), current_user.email))
    return redirect(url_for("admin.calls_page", slug=slug), code=303)


@bp.post("/consultations/<slug>/calls/series")
def publish_series(slug: str):
    """Publish back-to-back times on chosen weekdays between two dates."""
    consultation = _offering_contact(slug)
    form = SeriesForm(prefix="series")
    if not form.validate():
        return _page(consultation, 422, series=form)
    wanted = calls.series(
        form.first_day.data,
        form.last_day.data,
        form.weekday_numbers,
        form.day_start.data,
        form.day_end.data,
        form.minutes.data,
        current_app.config["SITE_ZONE"],
    )
    if len(wanted) > calls.MOST_AT_ONCE:
        form.last_day.errors.append(
            f"That makes {len(wanted):,} times. Publish up to {calls.MOST_AT_ONCE:,} at once"
        )
        return _page(consultation, 422, series=form)
    _report(publishing.publish(consultation, wanted, clock.now(), current_user.email))
    return redirect(url_for("admin.calls_page", slug=slug), code=303)


@bp.post("/consultations/<slug>/calls/settings")
@admin_only
def contact_settings(slug: str):
    """Whether messages and bookings stay open after the close."""
    consultation = _offering_contact(slug)
    form = ContactSettingsForm()
    if not form.validate():
        return _page(consultation, 422, settings=form)
    changed = services.save_settings(
        consultation,
        form.messages_after_close.data == "yes",
        form.bookings_after_close.data == "yes",
        current_user.email,
    )
    flash("Settings saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("admin.calls_page", slug=slug), code=303)


@bp.post("/times/<id:slot_id>/remove")
def remove_time(slot_id: int):
    """Remove a free time (a booked one must be cancelled first)."""
    slot = db.session.get(Slot, slot_id)
    if slot is None:
        abort(404)
    slug = slot.consultation.slug
    if publishing.remove_slot(slot, current_user.email, clock.now()):
        flash("Time removed.", "success")
    else:
        flash("That time has just been booked, so it was not removed.", "warning")
    return redirect(url_for("admin.calls_page", slug=slug), code=303)


@bp.route("/calls/<id:booking_id>/cancel", methods=["GET", "POST"])
def cancel_call(booking_id: int):
    """Ask to be sure, then cancel a booked call and tell the respondent."""
    call = db.session.get(Booking, booking_id)
    if call is None:
        abort(404)
    consultation = call.response.consultation
    now = clock.now()
    if not call.changeable(now):
        flash("That call has already been cancelled or has taken place.", "warning")
        return redirect(url_for("admin.calls_page", slug=consultation.slug), code=303)
    form = ActionForm()
    if form.validate_on_submit():
        if booking.cancel_for_officer(call, current_user.email, now):
            flash(f"Call cancelled. We have emailed {call.response.name}.", "success")
        else:
            flash("That call had already been cancelled.", "warning")
        return redirect(url_for("admin.calls_page", slug=consultation.slug), code=303)
    return render_template(
        "admin/cancel_call.html", booking=call, consultation=consultation, form=form
    )
