"""Views for email updates: signing up, following a consultation, confirming an address,
and the page an unsubscribe link opens (with its one-click POST, RFC 8058).

Whatever an address asked for, the form leads to the same "Check your email" page, so
the site never tells anyone whether an address was known: only its owner learns that,
by email. The bot guards are those of the response forms (a honeypot and a signed
minimum time); a bot gets the same page and nothing is stored.

Following lives at /consultations/<slug>/follow, beside the page it belongs to. The
blueprint's /updates prefix cannot reach there, so that one rule is added to the app
when the blueprint is registered; its endpoint is still `updates.follow`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import (
    abort,
    current_app,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from sqlalchemy import select

from app.consultations.lifecycle import State
from app.extensions import csrf, db, limiter
from app.intake.submissions import keep_or_stamp, looks_automated, read_stamp, stamp
from app.models import Consultation, Subscriber
from app.runtime import clock
from app.updates import bp, rules, subscriptions, tokens
from app.updates.forms import (
    ConfirmForm,
    FollowForm,
    GuardedForm,
    SignUpForm,
    UnsubscribeForm,
)
from app.updates.rules import CONFIRM_WITHIN, NOTICE_EVERY
from app.web import fragments

# The address this browser last asked about, and the consultation, for "Check your email":
# kept in the session cookie (signed, not encrypted) only until that page has shown it.
ASKED = "updates_asked"
STOP_MESSAGE = "Select what you want to stop getting"


def updates_rate_limit() -> str:
    """The per-address limit on signing up and following (Flask-Limiter syntax)."""
    return current_app.config["RATELIMIT_UPDATES"]


# Signing up and following send email to the address typed: one limit for both forms.
limited = limiter.shared_limit(updates_rate_limit, scope="updates-sign-up", methods=["POST"])


# --- where a sign-up form was ----------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A page with a sign-up form: what its form carries, and what the consent record says."""

    key: str
    source: str
    consultation: Consultation | None = None


SIGN_UP_PAGE = Page("sign-up", "sign-up page")
HOME_PAGE = Page("home", "home page")
CONSULTATION_PAGE = "consultation:"


def consultation_page(consultation: Consultation) -> Page:
    """The consultation's page, as a sign-up form on it names it and its consent records it."""
    return Page(
        CONSULTATION_PAGE + consultation.slug,
        f"consultation page: {consultation.slug}",
        consultation,
    )


def page_of(key: str | None) -> Page:
    """The page a sign-up form says it was on, read against the pages that have one: the
    home page, a published consultation's page, or else the sign-up page, which is where
    every such form is sent."""
    if key == HOME_PAGE.key:
        return HOME_PAGE
    if key and key.startswith(CONSULTATION_PAGE):
        consultation = _published(key.removeprefix(CONSULTATION_PAGE))
        if consultation is not None:
            return consultation_page(consultation)
    return SIGN_UP_PAGE


def _published(slug: str) -> Consultation | None:
    """The published consultation with this slug, if any: a draft has nothing to follow."""
    if not slug or len(slug) > 80:  # no slug is longer
        return None
    return db.session.scalar(
        select(Consultation).where(
            Consultation.slug == slug, Consultation.published_at.is_not(None)
        )
    )


# --- what the templates ask ------------------------------------------------------------------


@bp.app_template_global()
def sign_up_box(consultation: Consultation | None = None) -> Markup:
    """The sign-up box of the home page, or of a consultation's page, served now."""
    page = consultation_page(consultation) if consultation is not None else HOME_PAGE

    def form() -> SignUpForm:
        form = SignUpForm(formdata=None).show_as("sign-up")
        form.page.data = page.key
        return form

    return _box(("sign-up box", page.key), form, "sign_up_box")


@bp.app_template_global()
def follow_box(consultation: Consultation) -> Markup:
    """A consultation page's follow box, served now."""
    # Its words say what news is still to come, which changes with the time.
    key = ("follow box", consultation.slug, following_news(consultation))

    def form() -> FollowForm:
        return FollowForm(formdata=None).show_as("follow")

    return _box(key, form, "follow_box", consultation)


def _box(key: tuple, form: Callable[[], GuardedForm], macro: str, *args: Any) -> Markup:
    """A box (`macro` of updates/_boxes.html, given the empty `form()` and `args`),
    stamped as served now.

    A box is the same for every visitor but for its stamp, so it is rendered once for
    `key`, which names all else it shows (app.web.fragments). It has no CSRF token, so a
    page showing it starts no session and may be shared (app.web.shared_pages).
    """

    def render(slots: Mapping[str, str]) -> str:
        empty = form()
        empty.loaded.data = slots["loaded"]
        return get_template_attribute("updates/_boxes.html", macro)(empty, *args)

    return fragments.rendered_once(key, render, loaded=_served())


def _served() -> str:
    """The stamp of this request's boxes: a consultation's page has two, served together."""
    if "boxes_served" not in g:
        g.boxes_served = stamp(clock.now())
    return g.boxes_served


@bp.app_template_global()
def following_news(consultation: Consultation) -> str:
    """When a follower of `consultation` hears from us, from now: "when it opens, a week
    before it closes, when it closes and when we publish what came of it"."""
    now = clock.now()
    state = consultation.state(now)
    moments = []
    if state is State.FORTHCOMING:
        moments.append("when it opens")
    if state is not State.CLOSED:
        if rules.promises_week_left(rules.Timeline.of(consultation), now):
            moments.append("a week before it closes")
        moments.append("when it closes")
    moments.append("when we publish what came of it")
    if len(moments) == 1:
        return moments[0]
    return ", ".join(moments[:-1]) + " and " + moments[-1]


def followable(consultation: Consultation) -> bool:
    """Whether there is news still to come: until its outcome is published."""
    return not consultation.is_draft and consultation.outcome_published_at is None


bp.add_app_template_global(followable, "followable")


# --- signing up and following ----------------------------------------------------------------


@bp.route("/sign-up", methods=["GET", "POST"])
@limited
@csrf.origin_only
def sign_up():
    """Sign up for the site's updates: from this page, or from a box on another page,
    whose errors are shown here."""
    form = SignUpForm()
    now = clock.now()
    if request.method == "POST":
        page = page_of(form.page.data)
        form.page.data = page.key  # never echo what the form said as sent
        if _looks_automated(form, now):
            return _check_your_email()
        if form.validate():
            asked = subscriptions.SignUp(
                email=form.email.data,
                name=form.name.data,
                site_updates=True,
                source=page.source,
            )
            return _signed_up(asked, now)
    else:
        form.page.data = SIGN_UP_PAGE.key
    keep_or_stamp(form.loaded, now)
    return render_template("updates/sign_up.html", form=form), (422 if form.errors else 200)


def follow(slug: str):
    """Follow one consultation: its news until its outcome is published."""
    consultation = _published(slug)
    if consultation is None:
        abort(404)  # drafts too, previewed or not: there is nothing to follow yet
    if not followable(consultation):
        page = render_template("updates/nothing_to_follow.html", consultation=consultation)
        return page, 410
    form = FollowForm()
    now = clock.now()
    if request.method == "POST":
        if _looks_automated(form, now):
            return _check_your_email()
        if form.validate():
            asked = subscriptions.SignUp(
                email=form.email.data,
                name=form.name.data,
                consultation=consultation,
                source=consultation_page(consultation).source,
            )
            return _signed_up(asked, now)
    keep_or_stamp(form.loaded, now)
    return render_template("updates/follow.html", form=form, consultation=consultation), (
        422 if form.errors else 200
    )


@bp.record_once
def _add_follow_rule(state) -> None:
    state.app.add_url_rule(
        "/consultations/<slug>/follow",
        endpoint="updates.follow",
        view_func=limited(csrf.origin_only(follow)),
        methods=["GET", "POST"],
    )


def _looks_automated(form: GuardedForm, now: datetime) -> bool:
    """Whether the honeypot was filled in or the form came back too soon after it was served."""
    return looks_automated(form.website.data, read_stamp(form.loaded.data), now)


def _signed_up(asked: subscriptions.SignUp, now: datetime):
    """Record it and send its one email, whichever it is; then "Check your email"."""
    subscriptions.sign_up(asked, now)
    consultation = asked.consultation
    session[ASKED] = {"email": asked.email, "slug": consultation.slug if consultation else ""}
    return redirect(url_for(".check_your_email"), code=303)


def _check_your_email():
    """Where a bot is sent: the same page, with nothing stored."""
    session.pop(ASKED, None)
    return redirect(url_for(".check_your_email"), code=303)


@bp.get("/check-your-email")
def check_your_email():
    """Said alike whatever the address was: new, waiting, confirmed or unsubscribed.

    The address is shown once, then forgotten: the cookie does not carry it any longer.
    """
    asked = session.pop(ASKED, None) or {}
    return render_template(
        "updates/check_your_email.html",
        email=asked.get("email", ""),
        consultation=_published(asked.get("slug", "")),
        days=CONFIRM_WITHIN.days,
        minutes=int(NOTICE_EVERY.total_seconds() // 60),
    )


# --- confirming ------------------------------------------------------------------------------


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The link in the confirmation email: a page with a button, which confirms.

    A GET (and a HEAD) changes nothing, since mail servers and link scanners open the
    links in emails: only a person pressing the button confirms the address. Pressing it
    again says the same.
    """
    now = clock.now()
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        subscriber = subscriptions.confirm(token, now)
    else:
        subscriber = subscriptions.confirmable(token, now)
    if subscriber is None:
        page = render_template("updates/confirm_not_working.html", days=CONFIRM_WITHIN.days)
        return page, 404
    if not subscriber.confirmed:
        return render_template(
            "updates/confirm.html",
            form=form,
            subscriber=subscriber,
            follows=_follows(subscriber),
            days=CONFIRM_WITHIN.days,
        )
    return render_template(
        "updates/confirmed.html",
        subscriber=subscriber,
        follows=_follows(subscriber),
        # The page's own link is relative: subscriptions.manage_url is for emails.
        manage_url=url_for(
            ".unsubscribe",
            token=tokens.unsubscribe_token(tokens.UnsubscribeScope(subscriber.id)),
        ),
    )


# --- unsubscribing ---------------------------------------------------------------------------


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token in the address is the secret: see UnsubscribeForm
def unsubscribe(token: str):
    """What this address gets, with a button for each thing it can stop.

    A GET changes nothing: mail servers and link scanners open links. A POST from the
    page does what its button says; a one-click POST from a mail client (RFC 8058) stops
    what the email was about: one consultation's news, or, from a site-wide email,
    everything. Both take effect at once, for emails already queued too.
    """
    # The body is read first, as every form of the site reads it before anything else: one
    # that cannot be read is refused (400) whatever the link.
    one_click = request.method == "POST" and request.form.get("List-Unsubscribe") == "One-Click"
    scope = tokens.read_unsubscribe_token(token)
    if scope is None:
        return render_template("updates/link_not_working.html"), 404
    now = clock.now()
    if one_click:
        return _one_click(scope, now)
    subscriber = subscriptions.find(scope)
    if subscriber is None:
        return render_template("updates/unsubscribed.html", just_now=False)
    form = UnsubscribeForm()
    if request.method == "POST" and form.validate():
        if form.stopping_everything():
            subscriptions.unsubscribe(subscriber, now)
            return render_template("updates/unsubscribed.html", just_now=True)
        consultation = _followed(subscriber, form.consultation_id())
        if consultation is not None:
            return _stop_following(subscriber, consultation, token, now)
        form.stop.errors.append(STOP_MESSAGE)
    return _manage_page(form, subscriber, scope), (422 if form.errors else 200)


def _one_click(scope: tokens.UnsubscribeScope, now: datetime):
    """A mail client's one-click unsubscribe: done, and a short answer nobody reads."""
    subscriber = subscriptions.find(scope)
    said = "You have unsubscribed. We will not send you any more emails."
    if subscriber is not None and scope.consultation_id is None:
        subscriptions.unsubscribe(subscriber, now)
    elif subscriber is not None:
        subscriptions.stop_following(subscriber, scope.consultation_id, now)
        consultation = _consultation(scope.consultation_id)
        if subscriptions.find(scope) is not None and consultation is not None:
            said = f"You no longer follow {consultation.title}."
    return said + "\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


def _stop_following(subscriber: Subscriber, consultation: Consultation, token: str, now):
    """Stop one consultation's news; an address left with nothing is unsubscribed."""
    subscriptions.stop_following(subscriber, consultation.id, now)
    remaining = subscriptions.find(tokens.UnsubscribeScope(subscriber.id))
    return render_template(
        "updates/stopped_following.html",
        consultation=consultation,
        subscriber=remaining,
        follows=_follows(remaining) if remaining is not None else [],
        token=token,
    )


def _manage_page(form: UnsubscribeForm, subscriber: Subscriber, scope: tokens.UnsubscribeScope):
    """The page an unsubscribe link opens: what the address gets, with a button for each."""
    follows = _follows(subscriber)
    # The consultation the email was about comes first.
    follows.sort(key=lambda consultation: consultation.id != scope.consultation_id)
    return render_template(
        "updates/manage.html",
        form=form,
        subscriber=subscriber,
        follows=follows,
        named=follows[0] if follows and follows[0].id == scope.consultation_id else None,
    )


def _follows(subscriber: Subscriber) -> list[Consultation]:
    """The consultations this address follows, by title."""
    return sorted(
        (follow.consultation for follow in subscriber.follows),
        key=lambda consultation: consultation.title.casefold(),
    )


def _followed(subscriber: Subscriber, consultation_id: int | None) -> Consultation | None:
    """The consultation a button named, if this address follows it: no other was offered."""
    for follow in subscriber.follows:
        if follow.consultation_id == consultation_id:
            return follow.consultation
    return None


def _consultation(consultation_id: int | None) -> Consultation | None:
    """The consultation with this id, if it still exists."""
    return db.session.get(Consultation, consultation_id) if consultation_id else None
