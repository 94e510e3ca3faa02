"""Signing in and out of the admin area; every other admin URL needs a signed-in user."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.admin import bp
from app.admin.forms import ActionForm, LoginForm
from app.admin.users.services import authenticate
from app.extensions import db, limiter, login_manager

OPEN_ENDPOINTS = {"admin.login", "admin.set_password"}


@bp.before_request
def require_login():
    """Send anyone not signed in to the sign-in page."""
    if request.endpoint not in OPEN_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.context_processor
def one_button_form() -> dict:
    """`action_form`: the empty form whose CSRF token every one-button form carries (sign
    out, retry an email, change a role, remove a time). Only signed-in people see those
    buttons, and making it for others would start a session they do not need."""
    return {"action_form": ActionForm()} if current_user.is_authenticated else {}


def admin_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """For what changes consultations or users: officers read, tag and export only."""

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return checked


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


# A `next` worth following: a path in the admin area, written as a URL is on the wire
# (printable ASCII, no spaces), which is how Flask-Login writes the page asked for. Any
# other character (a line break, a control character) has no place in a Location header,
# and a line break there would fail the request after the admin had signed in.
ADMIN_PATH = re.compile(r"/admin(?:[/?#][!-~]*)?")


def _safe_next(target: str | None) -> str:
    """Only follow a `next` that stays on this site's admin area."""
    if target and ADMIN_PATH.fullmatch(target) and not urlsplit(target).netloc:
        return target
    return url_for("admin.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user:
            session.clear()  # a fresh session on sign-in, so an old one cannot be reused
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), code=303)
        form.password.errors.append("Enter a correct email address and password")
    status = 422 if form.errors else 200
    return render_template("admin/login.html", form=form), status


@bp.post("/logout")
def logout():
    """Sign out and end the session everywhere (CSRFProtect has checked the form's token)."""
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("admin.login"), code=303)
