"""Sending a response in one go, written once for every channel that takes one so
(evidence, messages):
stamp the form, give it a token, find a response already sent with that token, admit
(with the grace rule), turn bots away, validate, store once, remember, follow the
consultation if the box for news is ticked, and 303.
In a preview of a draft the valid form is stored nowhere and emails no one: a page says
what would have happened, and lists what was sent as the receipt would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from app.consultations.preview import in_preview
from app.intake import following
from app.intake.channel import Channel, Rows, Sender, Sending
from app.intake.submissions import (
    form_token,
    keep_or_stamp,
    last_sent,
    looks_automated,
    new_token,
    read_stamp,
    remember_sent,
)
from app.models import Consultation, Response


def send_once(
    channel: Channel,
    consultation: Consultation,
    form,
    now: datetime,
    store: Callable[[Sender, Sending], Response],
    unsaved: Callable[[Sender, Sending], Response],
    preview_notes: Callable[[], list[str]] = list,
) -> WerkzeugResponse | str | None:
    """Take the channel's form: the page to answer with once it is sent (or, for a bot, a
    plain thank-you with nothing stored), or None when the form is to be shown (again).

    A second send of the same form (the same token) is not stored again: it goes where
    the first went. `store` stores a valid send. The form asks who is sending (name,
    email, organisation) and gives what was typed (`form.written()`), for the closed
    page to show back when the deadline and its grace have passed. In a preview a valid
    send is not stored: `unsaved` makes the response `store` would store, stored nowhere,
    and the page that says so lists it as the receipt would, the emails that would have
    gone, and `preview_notes()`, what else would have happened.
    """
    following.offer(form, consultation)
    stored = None  # the response this request stored
    if request.method == "GET":
        channel.admit(consultation, now, None)
        form.token.data = new_token()
    else:
        loaded_at = read_stamp(form.loaded.data)
        token = form_token(form.token.data)
        sent = channel.find_by_token(consultation, token)  # sent already
        if sent is None:
            late = channel.admit(consultation, now, loaded_at, lambda: _typed(form.written()))
            if looks_automated(form.website.data, loaded_at, now):
                return render_template("public/received.html", consultation=consultation)
            if form.validate():
                sending = Sending(token, loaded_at, now, late, follows=following.ticked(form))
                if in_preview():
                    response = unsaved(_sender(form), sending)
                    notes = preview_notes() + _follow_in_preview(form)
                    return not_sent_in_preview(channel, consultation, response, notes)
                stored = sent = store(_sender(form), sending)
        if sent is not None:
            remember_sent(consultation, sent)
            where = channel.sent_url(sent)
            if sent is stored and following.ticked(form):  # not again for a second tap
                following.follow(channel, consultation, sent, now)
            return redirect(where, code=303)
        form.token.data = token
    keep_or_stamp(form.loaded, now)
    return None


def _follow_in_preview(form) -> list[str]:
    """In a preview: what the tick box for news would have done, which it does not."""
    return [following.PREVIEW_NOTE] if following.ticked(form) else []


def _sender(form) -> Sender:
    """Who is sending, from the name, email and organisation fields every such form has."""
    return Sender(
        name=form.name.data.strip(),
        email=form.email.data,
        organisation=(form.organisation.data or "").strip(),
    )


def not_sent_in_preview(
    channel: Channel, consultation: Consultation, response: Response, also: list[str]
):
    """The page a preview gets for a valid form: nothing stored or emailed, what would have
    happened, and the response (stored nowhere) as its receipt would list it."""
    return render_template(
        "public/preview_not_sent.html",
        consultation=consultation,
        channel=channel,
        email=response.email,
        also=also,
        typed=_typed(channel.emailed_rows(response)),
    )


def _typed(rows: Rows) -> Rows:
    """The rows with something typed in them."""
    return [(label, value) for label, value in rows if value.strip()]


def sent_confirmation(channel: Channel, consultation: Consultation, template: str):
    """The page confirming what this browser last sent through the channel, with its
    reference; the channel's form if it has sent nothing."""
    sent = last_sent(consultation, channel.name)
    if sent is None:
        return redirect(url_for(channel.endpoint, slug=consultation.slug), code=303)
    return render_template(
        template, consultation=consultation, response=sent, following=following.asked(sent)
    )
