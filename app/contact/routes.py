"""Views for messages to the policy officer and for booking, moving and cancelling calls.

The call pages are found by the message's secret token, which only its sender has
(from the redirect after sending, and from the emails), so no account is needed.
"""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, redirect, render_template, request, url_for

from app.calls import rules as calls
from app.consultations.lookup import get_by_slug_or_404
from app.contact import bp, services
from app.contact.forms import MESSAGE_LENGTH, CallForm, MessageForm
from app.extensions import htmx, limiter
from app.intake.submissions import (
    TOKEN_SHAPE,
    form_token,
    keep_or_stamp,
    last_sent,
    looks_automated,
    new_token,
    read_stamp,
    remember_sent,
    submit_rate_limit,
)
from app.models import Booking, Consultation, Response
from app.runtime import clock


def _pages_rate_limit() -> str:
    return current_app.config["RATELIMIT_PAGES"]


def _written(form: MessageForm) -> list[tuple[str, str]]:
    """What the respondent typed, for the closed page to show back."""
    rows = [
        ("What is your message about?", form.subject.data or ""),
        ("Your message", form.message.data or ""),
    ]
    return [(label, value) for label, value in rows if value.strip()]


@bp.route("", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def message(slug: str):
    """The message form: refused with 422 and everything kept until it is right."""
    consultation = get_by_slug_or_404(slug)
    now = clock.now()
    after_close = consultation.messages_after_close
    # Asked when a time is free; kept for someone who said yes before the last one went,
    # whose call page then says that no time is free.
    asked_already = request.form.get("wants_call") == "yes"
    form = MessageForm(
        services.calls_offered(consultation, now)
        or (asked_already and services.bookings_taken(consultation, now))
    )
    if request.method == "GET":
        services.admit_to(consultation, after_close, now, None)
        form.token.data = new_token()
    else:
        loaded_at = read_stamp(form.loaded.data)
        token = form_token(form.token.data)
        sent = services.find_message(consultation, token)  # sent already
        late = sent is None and services.admit_to(
            consultation, after_close, now, loaded_at, lambda: _written(form)
        )
        if sent is None and looks_automated(form.website.data, loaded_at, now):
            return render_template("public/received.html", consultation=consultation)
        if sent is None and form.validate():
            sent = services.send_message(consultation, form, token, loaded_at, now, late)
        if sent is not None:
            remember_sent(consultation, sent)
            if sent.wants_call:
                return redirect(url_for(".call", slug=slug, token=sent.token), code=303)
            return redirect(url_for(".confirmation", slug=slug), code=303)
        form.token.data = token
    keep_or_stamp(form.loaded, now)
    return render_template(
        "contact/form.html",
        consultation=consultation,
        form=form,
        max_length=MESSAGE_LENGTH,
        closed=consultation.state(now).value == "closed",
        bookings_taken=services.bookings_taken(consultation, now),
    ), (422 if form.errors else 200)


@bp.get("/confirmation")
def confirmation(slug: str):
    """Message sent: the reference, and the receipt on its way."""
    consultation = get_by_slug_or_404(slug)
    sent = last_sent(consultation, "contact")
    if sent is None:
        return redirect(url_for(".message", slug=slug), code=303)
    return render_template("contact/confirmation.html", consultation=consultation, message=sent)


def _message_or_404(slug: str, token: str) -> tuple[Consultation, Response]:
    """The consultation and the message whose token this is, if it asked for a call."""
    consultation = get_by_slug_or_404(slug)
    message = services.find_message(consultation, token) if TOKEN_SHAPE.fullmatch(token) else None
    if message is None or not message.wants_call:
        abort(404)
    return consultation, message


def _chosen_day(value: str | None) -> date | None:
    """The day a person chose with the day picker (only there with JavaScript), if any."""
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def _picker(
    consultation: Consultation, message: Response, form: CallForm, booking=None, previous=None
):
    """The page for choosing a time: every free day and time, grouped by day. `booking`
    is the call being moved; `previous`, one cancelled before."""
    now = clock.now()
    keep_or_stamp(form.loaded, now)
    free = services.by_day(services.free_slots(consultation, now))
    return render_template(
        "contact/call.html",
        consultation=consultation,
        message=message,
        form=form,
        free=free,
        # A day comes only from the form: a browser without JavaScript, which cannot
        # choose one, must always see every day's times.
        day=_chosen_day(request.form.get("day")),
        booking=booking,
        previous=previous,
        notice_hours=current_app.config["BOOKING_NOTICE_HOURS"],
    ), (422 if form.errors else 200)


def _calls_of(message: Response) -> tuple[Booking | None, Booking | None]:
    """The call the message holds now, if any, and its latest booking, cancelled or not.

    One query: a message holds at most one call at a time, so a held call is the latest.
    """
    latest = services.last_booking(message)
    return (latest if latest and latest.is_booked else None), latest


def _call_form(consultation: Consultation, now) -> CallForm:
    """The time chosen, once the consultation is known to take bookings (or the form was
    loaded in time to be sent in the grace period)."""
    form = CallForm()
    loaded_at = read_stamp(form.loaded.data) if request.method == "POST" else None
    services.admit_to(consultation, consultation.bookings_after_close, now, loaded_at)
    return form


def _state_page(consultation: Consultation, message: Response, booking: Booking, status=200):
    """The call as it stands: booked, already past, or cancelled."""
    return render_template(
        "contact/booking.html",
        consultation=consultation,
        message=message,
        booking=booking,
        upcoming=booking.is_booked and calls.changeable(booking.starts_at, clock.now()),
        bookings_taken=services.bookings_taken(consultation, clock.now()),
    ), status


@bp.route("/call/<token>", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def call(slug: str, token: str):
    """Choose a time for the call asked for in a message; once booked, the call itself."""
    consultation, message = _message_or_404(slug, token)
    booking, previous = _calls_of(message)
    if booking is not None:
        if request.method == "POST":  # sent twice: the first booked it
            return redirect(url_for(".booked", slug=slug, token=token), code=303)
        return _state_page(consultation, message, booking)
    now = clock.now()
    if previous and request.method == "GET" and not services.bookings_taken(consultation, now):
        return _state_page(consultation, message, previous)  # cancelled; no new times now
    form = _call_form(consultation, now)
    if request.method == "POST" and form.validate():
        try:
            services.book(message, form.slot.data, now)
        except services.SlotUnavailable as problem:
            form.slot.errors.append(str(problem))
        else:
            return redirect(url_for(".booked", slug=slug, token=token), code=303)
    return _picker(consultation, message, form, previous=previous)


@bp.get("/call/<token>/times")
@limiter.limit(_pages_rate_limit)
def times(slug: str, token: str):
    """The free times of one day, for htmx to show when a day is chosen."""
    consultation, message = _message_or_404(slug, token)
    if not htmx:
        return redirect(url_for(".call", slug=slug, token=token))
    form = CallForm(formdata=None)
    free = services.by_day(services.free_slots(consultation, clock.now()))
    response = current_app.make_response(
        render_template(
            "contact/_times.html", form=form, free=free, day=_chosen_day(request.args.get("day"))
        )
    )
    response.vary.add("HX-Request")
    return response


@bp.get("/call/<token>/booked")
def booked(slug: str, token: str):
    """The call is booked (or moved): when, and the invites on their way."""
    consultation, message = _message_or_404(slug, token)
    booking, _latest = _calls_of(message)
    if booking is None:
        return redirect(url_for(".call", slug=slug, token=token), code=303)
    return render_template(
        "contact/booked.html",
        consultation=consultation,
        message=message,
        booking=booking,
        moved=request.args.get("moved") == "1",
    )


def _changeable_or_state_page(consultation, message, booking, latest):
    """None if the booking can still be changed; else the page that says why not (410)."""
    if latest is None:  # never booked: choose a time first
        return redirect(url_for(".call", slug=consultation.slug, token=message.token))
    if booking is None or not calls.changeable(booking.starts_at, clock.now()):
        return _state_page(consultation, message, latest, status=410)
    return None


@bp.route("/call/<token>/change", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def change(slug: str, token: str):
    """Move the call to another free time."""
    consultation, message = _message_or_404(slug, token)
    booking, latest = _calls_of(message)
    refused = _changeable_or_state_page(consultation, message, booking, latest)
    if refused:
        return refused
    now = clock.now()
    form = _call_form(consultation, now)
    if request.method == "POST" and form.validate():
        try:
            moved = services.move(booking, form.slot.data, now)
        except services.SlotUnavailable as problem:
            form.slot.errors.append(str(problem))
        else:
            if not moved:  # changed meanwhile (a second tap, or cancelled): show it as it is
                return redirect(url_for(".call", slug=slug, token=token), code=303)
            return redirect(url_for(".booked", slug=slug, token=token, moved=1), code=303)
    return _picker(consultation, message, form, booking=booking)


@bp.route("/call/<token>/cancel", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def cancel(slug: str, token: str):
    """Ask to be sure, then cancel the call, once."""
    consultation, message = _message_or_404(slug, token)
    booking, latest = _calls_of(message)
    refused = _changeable_or_state_page(consultation, message, booking, latest)
    if refused:
        return refused
    if request.method == "POST":
        services.cancel(booking, clock.now(), by="respondent")
        return redirect(url_for(".call", slug=slug, token=token, cancelled=1), code=303)
    return render_template(
        "contact/cancel.html", consultation=consultation, message=message, booking=booking
    )
