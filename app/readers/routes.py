"""Views: asking for a sign-in link, using it, choosing a name, the reader's account,
signing out and deleting the account.

Asking for a link always leads to the same "Check your email" page, whether the address
is known, has had too many links lately, or the form came from a bot: only the owner of
the address learns anything, by email. The link opens a page with one button, since link
scanners open links; only pressing it signs in.
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for

from app.extensions import db, limiter
from app.intake.submissions import keep_or_stamp, looks_automated, read_stamp
from app.models import Reader
from app.readers import bp, services, sessions
from app.readers.forms import (
    DeleteAccountForm,
    NameForm,
    SignInForm,
    SignOutForm,
    UseLinkForm,
)
from app.runtime import clock

# The address this browser last asked a link for, shown once on "Check your email".
ASKED = "readers_asked"


def sign_in_rate_limit() -> str:
    """The per-IP-address limit on asking for sign-in links (Flask-Limiter syntax)."""
    return current_app.config["RATELIMIT_READER_SIGN_IN"]


def _onwards(next_path: str | None):
    """Where a signed-in reader goes: where they came from (if under /news), else their
    account page."""
    return redirect(services.safe_next(next_path) or url_for(".account"), code=303)


def _signed_out():
    """Pages for signed-in readers send anyone else to sign in."""
    return redirect(url_for(".sign_in"), code=303)


# --- asking for a link -------------------------------------------------------------------------


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(sign_in_rate_limit, methods=["POST"])
def sign_in():
    """The address to send a sign-in link to."""
    form = SignInForm()
    now = clock.now()
    if request.method == "POST":
        form.next.data = services.safe_next(form.next.data)
        if looks_automated(form.website.data, read_stamp(form.loaded.data), now):
            session.pop(ASKED, None)
            return redirect(url_for(".check_your_email"), code=303)
        if form.validate():
            services.ask_for_link(form.email.data, form.next.data, now)
            session[ASKED] = form.email.data
            return redirect(url_for(".check_your_email"), code=303)
    else:
        form.next.data = services.safe_next(request.args.get("next"))
    keep_or_stamp(form.loaded, now)
    page = render_template("readers/sign_in.html", form=form)
    return page, (422 if form.errors else 200)


@bp.get("/check-your-email")
def check_your_email():
    """Said alike for every address; the address typed is shown once, then forgotten."""
    return render_template(
        "readers/check_your_email.html",
        email=session.pop(ASKED, ""),
        minutes=int(services.LINK_LASTS.total_seconds() // 60),
        most=services.LINKS_PER_ADDRESS,
    )


# --- using a link ------------------------------------------------------------------------------


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
def use_link(token: str):
    """The link in the email: a page with a "Sign in" button, which uses it.

    A GET changes nothing. A link already used by the reader now signed in on this
    device (a double press) just leads on.
    """
    now = clock.now()
    link = services.find_link(token)
    if link is None:
        return _link_not_working(404)
    reader = sessions.current_reader(now)
    if reader is not None and link.used_at is not None and reader.email_hash == link.email_hash:
        return _signed_in(reader, link.next_path)
    form = UseLinkForm()
    if not services.usable(link, now):
        return _link_not_working(410, link.next_path)
    if request.method == "POST" and form.validate():
        reader = services.use_link(link, now)
        if reader is None:
            return _link_not_working(410, link.next_path)
        return _signed_in(reader, link.next_path)
    return render_template("readers/use_link.html", form=form, link=link)


def _signed_in(reader: Reader, next_path: str):
    """On to `next_path`, by the page that asks for a name the first time."""
    if reader.name is None:
        return redirect(url_for(".name", next=next_path or None), code=303)
    return _onwards(next_path)


def _link_not_working(status: int, next_path: str = ""):
    page = render_template(
        "readers/link_not_working.html",
        next_path=next_path,
        minutes=int(services.LINK_LASTS.total_seconds() // 60),
    )
    return page, status


# --- the reader's name and account -------------------------------------------------------------


@bp.route("/name", methods=["GET", "POST"])
def name():
    """Choose the name shown beside your comments (asked once, after the first sign-in), or
    change it from the account page, unless a moderator has blocked you."""
    reader = sessions.current_reader()
    if reader is None:
        return _signed_out()
    first_time = reader.name is None
    if reader.blocked and not first_time:
        # Every comment they kept would show the new name. A blocked reader with no name
        # yet (one who deleted their account and signed in again) has no comments under
        # this account and can post none, so may choose one.
        return render_template("readers/cannot_change_name.html"), 403
    form = NameForm()
    if request.method == "POST":
        next_path = services.safe_next(form.next.data)
        if form.validate():
            services.set_name(reader, form.name.data)
            if not first_time:
                flash("Your name has been changed.", "success")
            return _onwards(next_path)
    else:
        next_path = services.safe_next(request.args.get("next"))
        form.name.data = reader.name or ""
    form.next.data = next_path
    page = render_template("readers/name.html", form=form, first_time=first_time)
    return page, (422 if form.errors else 200)


@bp.get("/account")
def account():
    """The reader's name, their comments, and the ways to sign out or delete the account."""
    reader = sessions.current_reader()
    if reader is None:
        return _signed_out()
    return render_template(
        "readers/account.html",
        reader=reader,
        comments=services.comments_of(reader),
        sign_out_form=SignOutForm(),
    )


@bp.post("/sign-out")
def sign_out():
    """Sign out on this device only."""
    form = SignOutForm()
    if form.validate():
        sessions.end()
        db.session.commit()
        flash("You have signed out.", "success")
    return redirect(url_for("public.index"), code=303)


@bp.route("/delete", methods=["GET", "POST"])
def delete():
    """Delete the reader's account, keeping their comments as from "a former reader" or
    deleting them, as they choose."""
    reader = sessions.current_reader()
    if reader is None:
        return _signed_out()
    form = DeleteAccountForm()
    if request.method == "POST" and form.validate():
        blocked = reader.blocked
        services.delete_account(reader, keep_comments=form.keep_comments())
        said = {
            "kept": "yes" if form.keep_comments() else None,
            "blocked": "yes" if blocked else None,
        }
        return redirect(url_for(".deleted", **said), code=303)
    count = len(services.comments_of(reader))
    page = render_template("readers/delete.html", form=form, count=count, blocked=reader.blocked)
    return page, (422 if form.errors else 200)


@bp.get("/deleted")
def deleted():
    """Said after an account is deleted (anyone may see it: it names no one)."""
    return render_template(
        "readers/deleted.html",
        kept=request.args.get("kept") == "yes",
        blocked=request.args.get("blocked") == "yes",
    )
