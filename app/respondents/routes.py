"""Views for the respondent's link: what they sent, and what they can do with it.

Each page is found by the link's token, which only the respondent has (from their
receipt, or a new-links email), so no account is needed; the token is all the URL
holds. A link that opens nothing gets the same 404 page wherever it is used.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for

from app.consultations.lifecycle import State
from app.extensions import limiter
from app.intake import channels, links
from app.intake.changes import ChangeSending, Outcome, snapshot
from app.intake.channel import Channel
from app.intake.submissions import (
    form_token,
    keep_or_stamp,
    looks_automated,
    new_token,
    read_stamp,
    submit_rate_limit,
)
from app.models import Consultation, Response
from app.privacy import withdrawal
from app.respondents import bp, services
from app.respondents.forms import NewLinkForm, PublicationForm, WithdrawForm
from app.runtime import clock
from app.web.forms import PUBLISH_CHOICES

# What this browser withdrew, for the page that says so: its reference, whether an
# email confirms it, and its link's hash, so that sending the form again lands there too.
WITHDRAWN = "withdrawn"
# The address new links were asked for, for the page that says to look for them.
LINKS_ASKED = "new_links_email"


def links_rate_limit() -> str:
    """The per-address limit on asking for new links (Flask-Limiter syntax)."""
    return current_app.config["RATELIMIT_LINKS"]


def _what(channel: Channel) -> str:
    """What the respondent sent, as the pages name it: "survey response", "message"."""
    return (channel.email_label or channel.label).lower()


def _to_view(token: str):
    return redirect(url_for(".view", token=token), code=303)


def _neutral(consultation: Consultation):
    """What a bot gets: a plain thank-you, with nothing changed."""
    return render_template("public/received.html", consultation=consultation)


@bp.get("/<token>")
def view(token: str):
    """What the respondent sent, as their receipt listed it, and what they can do now."""
    response = links.find(token)
    if response is None:
        return links.not_working()
    channel = channels.of(response)
    consultation = response.consultation
    now = clock.now()
    state = consultation.state(now)
    changeable = channel.takes_changes(consultation, now)
    # Messages a consultation goes on taking after its close can be changed then too, so
    # the deadline is no limit for them.
    after_close = changeable and channel.after_close(consultation)
    # A link to carry on, such as choosing the time of a call a message asked for.
    extras = channel.submission_extras(response)
    return render_template(
        "respondents/view.html",
        consultation=consultation,
        response=response,
        token=token,
        what=_what(channel),
        rows=snapshot(response),
        change_url=channel.change_url(response, token) if changeable else None,
        changes_until=consultation.closes_at
        if state is State.OPEN and consultation.closes_at > now and not after_close
        else None,
        after_close=after_close,
        closed=state is State.CLOSED,
        publishable=services.has_publish_choice(response),
        action_label=extras.get("action_label", ""),
        action_url=extras.get("action_url", ""),
    )


@bp.route("/<token>/publication", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def publication(token: str):
    """Change whether the response may be published: at any time, also after the close."""
    response = links.find(token)
    if response is None:
        return links.not_working()
    if not services.has_publish_choice(response):
        abort(404)
    form = PublicationForm()
    now = clock.now()
    if request.method == "GET":
        _as_stored(form, response)
    else:
        if looks_automated(form.website.data, read_stamp(form.loaded.data), now, min_seconds=0):
            return _neutral(response.consultation)
        form.token.data = form_token(form.token.data)
        if form.validate() and _named_only_with_a_name(form, response):
            sending = ChangeSending(
                token=form.token.data,
                version=form.base_version(response),
                now=now,
                late=response.late,  # the flag says when the response came, not this
                link=token,
            )
            outcome = services.change_publication(response, form.publish.data, sending)
            done = _after_publication(outcome, form, token)
            if done is not None:
                return done
            response = links.find(token)
            if response is None:
                return links.not_working()
            _as_stored(form, response)  # changed elsewhere: show it as it is now
            return _publication_page(form, response, token, now, conflict=True)
    return _publication_page(form, response, token, now)


def _named_only_with_a_name(form: PublicationForm, response: Response) -> bool:
    """A response sent without a name cannot be published with it: as the survey's own
    details page says, they give one there or choose anonymously."""
    if form.publish.data == "named" and not response.name.strip():
        form.publish.errors.append(
            "You did not give your name, so we cannot publish your response with it."
            " Choose to publish it anonymously, or not to publish it"
        )
        return False
    return True


def _as_stored(form: PublicationForm, response: Response) -> None:
    """Fill the form in with the choice as stored now, to change from this version."""
    form.publish.data = form.was.data = response.publish
    form.version.data = str(response.version)
    form.token.data = new_token()


def _after_publication(outcome: Outcome, form: PublicationForm, token: str):
    """Where a publication change leads; None to show the form again (a conflict)."""
    if outcome is Outcome.GONE:
        return links.not_working()
    if outcome is Outcome.CONFLICT:
        return None
    if outcome is Outcome.UNCHANGED:
        flash("You did not change anything.", "success")
    else:  # changed now, or by this same form a moment ago
        flash(
            f"Your choice about publishing is saved: {PUBLISH_CHOICES[form.publish.data]}",
            "success",
        )
    return _to_view(token)


def _publication_page(
    form: PublicationForm, response: Response, token: str, now, conflict: bool = False
):
    """The publication form: 409 after a conflict, 422 with errors."""
    keep_or_stamp(form.loaded, now)
    status = 409 if conflict else 422 if form.errors else 200
    return render_template(
        "respondents/publication.html",
        consultation=response.consultation,
        response=response,
        token=token,
        form=form,
        conflict=conflict,
        current=PUBLISH_CHOICES.get(response.publish, ""),
    ), status


@bp.route("/<token>/withdraw", methods=["GET", "POST"])
@limiter.limit(submit_rate_limit, methods=["POST"])
def withdraw(token: str):
    """Say exactly what withdrawing does, then withdraw the response: at any time."""
    response = links.find(token)
    if response is None:
        if request.method == "POST" and _withdrawn_here(token):  # sent twice
            return redirect(url_for(".withdrawn"), code=303)
        return links.not_working()
    form = WithdrawForm()
    now = clock.now()
    if request.method == "POST":
        if looks_automated(form.website.data, read_stamp(form.loaded.data), now, min_seconds=0):
            return _neutral(response.consultation)
        if form.validate():
            return _withdraw(response, token, now)
    keep_or_stamp(form.loaded, now)
    channel = channels.of(response)
    consultation = response.consultation
    return render_template(
        "respondents/withdraw.html",
        consultation=consultation,
        response=response,
        token=token,
        what=_what(channel),
        held=withdrawal.what_it_holds(response),
        form=form,
        call=channel.upcoming_call(response, now),
        # Whether a new one could be sent instead, should they change their mind.
        takes_new=consultation.offers(channel.name)
        and (consultation.state(now) is State.OPEN or channel.after_close(consultation)),
    ), (422 if form.errors else 200)


def _withdraw(response: Response, token: str, now):
    """Withdraw it and go to the page that says so; also when another tab did it first."""
    response_id, reference, emailed = response.id, response.reference, bool(response.email)
    held = withdrawal.what_it_holds(response)
    if withdrawal.withdraw(response, now) is None and not withdrawal.withdrawn_meanwhile(
        response_id
    ):
        return links.not_working()  # a new link was sent meanwhile, or it was purged
    session[WITHDRAWN] = {
        "reference": reference,
        "emailed": emailed,
        "held": held,
        "link": links.link_hash(token),
    }
    return redirect(url_for(".withdrawn"), code=303)


def _withdrawn_here(token: str) -> bool:
    """Whether this browser withdrew the response this link opened."""
    done = session.get(WITHDRAWN) or {}
    return done.get("link") == links.link_hash(token)


@bp.get("/withdrawn")
def withdrawn():
    """The response this browser withdrew is gone, and an email confirms it."""
    done = session.get(WITHDRAWN)
    if not done:
        abort(404)
    return render_template(
        "respondents/withdrawn.html",
        reference=done["reference"],
        emailed=done["emailed"],
        held=done.get("held") or {},
    )


@bp.route("/new-link", methods=["GET", "POST"])
@limiter.limit(links_rate_limit, methods=["POST"])
def new_link():
    """Lost the link? Email new links for the responses sent from an address, to it.

    What comes next is the same whether or not the address sent anything, so the page
    tells no one who took part.
    """
    form = NewLinkForm()
    now = clock.now()
    if request.method == "POST":
        if looks_automated(form.website.data, read_stamp(form.loaded.data), now):
            return redirect(url_for(".new_link_sent"), code=303)
        if form.validate():
            services.send_new_links(form.email.data, now)
            session[LINKS_ASKED] = form.email.data
            return redirect(url_for(".new_link_sent"), code=303)
    keep_or_stamp(form.loaded, now)
    return render_template("respondents/new_link.html", form=form), (422 if form.errors else 200)


@bp.get("/new-link/sent")
def new_link_sent():
    """Look for the email: said alike whether or not the address sent anything."""
    return render_template(
        "respondents/new_link_sent.html",
        email=session.get(LINKS_ASKED, ""),
        window=int(services.LINKS_WINDOW.total_seconds() // 60),
    )
