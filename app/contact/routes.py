"""Views for messages to the policy officer, for changing one from the respondent's link,
and for booking, moving and cancelling calls.

The call pages are found by the message's secret token, which only its sender has
(from the redirect after sending, and from the emails), so no account is needed. The
calls themselves are booked, moved and cancelled by app.calls.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from flask import abort, current_app, redirect, render_template, request, url_for

from app.calls import booking as calls
from app.calls.publishing import by_day
from app.consultations.lookup import get_by_slug_or_404
from app.contact import bp, services
from app.contact.channel import CONTACT, admit_booking
from app.contact.forms import (
    MESSAGE_LENGTH,
    CallForm,
    CancelForm,
    MessageChangeForm,
    MessageForm,
)
from app.extensions import htmx, limiter
from app.formatting import phones
from app.intake import following, links
from app.intake.change_forms import Merged, answer
from app.intake.changes import ChangeSending, snapshot
from app.intake.channel import Sender, Sending
from app.intake.sending import send_once, sent_confirmation
from app.intake.submissions import (
    TOKEN_SHAPE,
    form_token,
    keep_or_stamp,
    looks_automated,
    new_token,
    read_stamp,
    submit_rate_limit,
)
from app.models import Booking, Consultation, Response
from app.runtime import clock


def _pages_rate_limit() -> str:
    return current_app.config["RATELIMIT_PAGES"]


def _message(form: MessageForm) -> services.Message:
    """What the valid form says, read into plain values."""
    return services.Message(
        subject=form.subject.data.strip(),
        text=form.message.data.strip(),
        phone=form.phone_number,
        wants_call=form.wants_a_call,
    )


def _store(consultation: Consultation, form: MessageForm, sender: Sender, sending: Sending):
    """Store the message, with its emails."""
    return services.send_message(consultation, sender, _message(form), sending)


def _unsaved(consultation: Consultation, form: MessageForm, sender: Sender, sending: Sending):
    """In a preview: the message as it would be stored, stored nowhere."""
    return services.unsaved(consultation, sender, _message(form), sending)


def _call_in_preview(consultation: Consultation, form: MessageForm, now) -> list[str]:
    """In a preview: the call the message asks for, which nothing books."""
    if not form.wants_a_call:
        return []
    free = len(calls.free_slots(consultation, now))
    if not free:
        return ["You would then be told that no time is free for a call at the moment."]
    times = "1 time is" if free == 1 else f"{free} times are"
    return [f"You would then choose a time for your call: {times} free now."]


@bp.route("", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def message(slug: str):
    """The message form: refused with 422 and everything kept until it is right."""
    consultation = get_by_slug_or_404(slug)
    if not consultation.offers(CONTACT.name):
        abort(404)
    now = clock.now()
    # Asked when a time is free; kept for someone who said yes before the last one went,
    # whose call page then says that no time is free.
    asked_already = request.form.get("wants_call") == "yes"
    form = MessageForm(
        calls.calls_offered(consultation, now) or (asked_already and calls.taken(consultation, now))
    )
    sent = send_once(
        CONTACT,
        consultation,
        form,
        now,
        partial(_store, consultation, form),
        partial(_unsaved, consultation, form),
        partial(_call_in_preview, consultation, form, now),
    )
    if sent is not None:
        return sent
    return render_template(
        "contact/form.html",
        consultation=consultation,
        form=form,
        max_length=MESSAGE_LENGTH,
        closed=consultation.state(now).value == "closed",
        bookings_taken=calls.taken(consultation, now),
    ), (422 if form.errors else 200)


@bp.get("/confirmation")
def confirmation(slug: str):
    """Message sent: the reference, and the receipt on its way."""
    return sent_confirmation(CONTACT, get_by_slug_or_404(slug), "contact/confirmation.html")


# --- changing a message sent, from the respondent's link -----------------------------------


def _filled_in(response: Response) -> dict:
    """The change form's values: what the respondent sent, the number as it is written."""
    return {
        "name": response.name,
        "email": response.email,
        "phone": phones.display(response.phone, current_app.config["PHONE_REGION"]),
        "organisation": response.organisation,
        "subject": response.subject,
        "message": response.message,
    }


def _change_page(
    response: Response,
    form: MessageChangeForm,
    token: str,
    status: int = 200,
    merged: Merged | None = None,
):
    """The change form; after a conflict (409), with the message as it is now and what
    merging the change made there did."""
    keep_or_stamp(form.loaded, clock.now())
    return render_template(
        "contact/change.html",
        consultation=response.consultation,
        form=form,
        max_length=MESSAGE_LENGTH,
        response=response,
        link=token,
        now_reads=None if merged is None else snapshot(response),
        merged=merged,
    ), status


def _overtaken(response: Response, form: MessageChangeForm, token: str):
    """The form again after a conflict: the change made elsewhere merged into it, to
    send again on top of that change."""
    merged = form.merge(response.version, _filled_in(response))
    return _change_page(response, form, token, status=409, merged=merged)


@bp.route("/change/<token>", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def change(slug: str, token: str):
    """Change the message sent, from the respondent's link: the message form filled in
    with it, without the question about a call, and the same rules as sending it."""
    consultation = get_by_slug_or_404(slug)
    response = CONTACT.sent_by_link(consultation, token)
    if response is None:
        return links.not_working()
    now = clock.now()
    if request.method == "GET":
        if not (consultation.offers(CONTACT.name) and CONTACT.takes_changes(consultation, now)):
            return redirect(url_for(links.VIEW_ENDPOINT, token=token), code=303)
        values = _filled_in(response)
        form = MessageChangeForm(response.wants_call, data={**values, "token": new_token()})
        form.loaded_from(response.version, values)
        return _change_page(response, form, token)
    form = MessageChangeForm(response.wants_call)
    form.token.data = form_token(form.token.data)
    loaded_at = read_stamp(form.loaded.data)
    late = CONTACT.admit(
        consultation,
        now,
        loaded_at,
        form.typed,
        response_url=url_for(links.VIEW_ENDPOINT, token=token),
    )
    # Only the holder of the link reaches this form, and removing a document or fixing a
    # word takes a moment: the honeypot and the stamp are guard enough, not the time.
    if looks_automated(form.website.data, loaded_at, now, min_seconds=0):
        return render_template("public/received.html", consultation=consultation)
    if not form.validate():
        return _change_page(response, form, token, status=422)
    sender = Sender(
        name=form.name.data.strip(),
        email=form.email.data,
        organisation=(form.organisation.data or "").strip(),
    )
    sending = ChangeSending(form.token.data, form.version_loaded, now, late, token)
    outcome = services.change_message(response, sender, _message(form), sending)
    return answer(outcome, response, token, partial(_overtaken, response, form, token))


def _message_or_404(slug: str, token: str) -> tuple[Consultation, Response]:
    """The consultation and the message whose token this is, if it asked for a call."""
    consultation = get_by_slug_or_404(slug)
    message = CONTACT.find_by_token(consultation, token) if TOKEN_SHAPE.fullmatch(token) else None
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
    return render_template(
        "contact/call.html",
        consultation=consultation,
        message=message,
        form=form,
        free=by_day(calls.free_slots(consultation, now)),
        # A day comes only from the form: a browser without JavaScript, which cannot
        # choose one, must always see every day's times.
        day=_chosen_day(request.form.get("day")),
        booking=booking,
        previous=previous,
        following=following.asked(message),
        notice_hours=current_app.config["BOOKING_NOTICE_HOURS"],
    ), (422 if form.errors else 200)


def _calls_of(message: Response) -> tuple[Booking | None, Booking | None]:
    """The call the message holds now, if any, and its latest booking, cancelled or not.

    One query: a message holds at most one call at a time, so a held call is the latest.
    """
    latest = calls.last_booking(message)
    return (latest if latest and latest.is_booked else None), latest


def _call_form(consultation: Consultation, now) -> CallForm:
    """The time chosen, once the consultation is known to take bookings (or the form was
    loaded in time to be sent in the grace period)."""
    form = CallForm()
    loaded_at = read_stamp(form.loaded.data) if request.method == "POST" else None
    admit_booking(consultation, now, loaded_at)
    return form


def _state_page(consultation: Consultation, message: Response, booking: Booking, status=200):
    """The call as it stands: booked, already past, or cancelled."""
    now = clock.now()
    return render_template(
        "contact/booking.html",
        consultation=consultation,
        message=message,
        booking=booking,
        upcoming=booking.changeable(now),
        bookings_taken=calls.taken(consultation, now),
    ), status


def _to(view: str, message: Response, **args):
    """303 to one of the call's pages."""
    slug = message.consultation.slug
    return redirect(url_for(f".{view}", slug=slug, token=message.token, **args), code=303)


def _choose(form: CallForm, choose, message: Response, **done):
    """Book or move with the time chosen: the page to go to, or None to choose again."""
    try:
        moved = choose(form.slot.data)
    except calls.SlotUnavailable as problem:
        form.slot.errors.append(str(problem))
        return None
    if moved is False:  # changed meanwhile (a second tap, or cancelled): show it as it is
        return _to("call", message)
    return _to("booked", message, **done)


@bp.route("/call/<token>", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def call(slug: str, token: str):
    """Choose a time for the call asked for in a message; once booked, the call itself."""
    consultation, message = _message_or_404(slug, token)
    booking, previous = _calls_of(message)
    if booking is not None:
        if request.method == "POST":  # sent twice: the first booked it
            return _to("booked", message)
        return _state_page(consultation, message, booking)
    now = clock.now()
    if previous and request.method == "GET" and not calls.taken(consultation, now):
        return _state_page(consultation, message, previous)  # cancelled; no new times now
    form = _call_form(consultation, now)
    if request.method == "POST" and form.validate():
        booked = _choose(form, lambda slot: calls.book(message, slot, now), message)
        if booked:
            return booked
    return _picker(consultation, message, form, previous=previous)


@bp.get("/call/<token>/times")
@limiter.limit(_pages_rate_limit)
def times(slug: str, token: str):
    """The free times of one day, for htmx to show when a day is chosen."""
    consultation, message = _message_or_404(slug, token)
    if not htmx:
        return redirect(url_for(".call", slug=slug, token=token))
    free = by_day(calls.free_slots(consultation, clock.now()))
    response = current_app.make_response(
        render_template(
            "contact/_times.html",
            form=CallForm(formdata=None),
            free=free,
            day=_chosen_day(request.args.get("day")),
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
        return _to("call", message)
    return render_template(
        "contact/booked.html",
        consultation=consultation,
        message=message,
        booking=booking,
        moved=request.args.get("moved") == "1",
    )


def _changeable_call(slug: str, token: str):
    """(consultation, message, booking, None) while the call can be changed; else the
    page that says why not (410), or the page to choose a time first, last."""
    consultation, message = _message_or_404(slug, token)
    booking, latest = _calls_of(message)
    if latest is None:  # never booked: choose a time first
        refused = redirect(url_for(".call", slug=slug, token=token))
    elif booking is None or not booking.changeable(clock.now()):
        refused = _state_page(consultation, message, latest, status=410)
    else:
        refused = None
    return consultation, message, booking, refused


@bp.route("/call/<token>/change", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def move(slug: str, token: str):
    """Move the call to another free time."""
    consultation, message, booking, refused = _changeable_call(slug, token)
    if refused:
        return refused
    now = clock.now()
    form = _call_form(consultation, now)
    if request.method == "POST" and form.validate():
        moved = _choose(form, lambda slot: calls.move(booking, slot, now), message, moved=1)
        if moved:
            return moved
    return _picker(consultation, message, form, booking=booking)


@bp.route("/call/<token>/cancel", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def cancel(slug: str, token: str):
    """Ask to be sure, then cancel the call, once."""
    consultation, message, booking, refused = _changeable_call(slug, token)
    if refused:
        return refused
    if request.method == "POST":
        calls.cancel(booking, clock.now(), by="respondent")
        return _to("call", message, cancelled=1)
    return render_template(
        "contact/cancel.html",
        consultation=consultation,
        message=message,
        booking=booking,
        form=CancelForm(),
    )
