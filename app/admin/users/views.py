"""Who may use the admin area: the list, inviting, roles, removing; choosing a password."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_user
from sqlalchemy import func, select

from app.admin import bp
from app.admin.auth import admin_only
from app.admin.forms import ActionForm, AddUserForm, RoleForm, SetPasswordForm
from app.admin.users import services
from app.extensions import db, limiter
from app.formatting import timefmt
from app.models import AdminUser
from app.runtime import clock

ID = "<id:user_id>"


def _user_or_404(user_id: int) -> AdminUser:
    user = db.session.get(AdminUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users")
@admin_only
def users():
    """Everyone who may sign in, their role and whether they have accepted their invitation."""
    zone = current_app.config["SITE_ZONE"]
    people = db.session.scalars(select(AdminUser).order_by(func.lower(AdminUser.email))).all()
    added = {user.id: timefmt.long_date(user.created_at.astimezone(zone)) for user in people}
    return render_template(
        "admin/users.html",
        users=people,
        added=added,
        role_names=services.ROLE_NAMES,
    )


@bp.route("/users/new", methods=["GET", "POST"])
@admin_only
def add_user():
    """Invite someone by email, as an admin or an officer."""
    form = AddUserForm()
    if form.validate_on_submit():
        try:
            services.add_user(form.email.data, form.role.data, current_user.email, clock.now())
        except services.Refused as refusal:
            form.email.errors.append(str(refusal))
        else:
            flash(f"Invitation sent to {form.email.data}", "success")
            return redirect(url_for("admin.users"), code=303)
    status = 422 if form.errors else 200
    return render_template("admin/user_add.html", form=form), status


@bp.post(f"/users/{ID}/role")
@admin_only
def change_role(user_id: int):
    """Make someone an admin or an officer; it applies from their next request."""
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate():
        abort(400)  # only a crafted post sends a role the buttons do not offer
    try:
        changed = services.change_role(user, form.role.data, current_user)
    except services.Refused as refusal:
        flash(str(refusal), "error")
    else:
        name = services.ROLE_NAMES[form.role.data].lower()
        flash(f"{user.email} is now an {name}." if changed else "Nothing changed.", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.post(f"/users/{ID}/invitation")
@admin_only
def resend_invitation(user_id: int):
    """Send someone who has not chosen a password yet a new link; older links stop working.

    A one-button form: CSRFProtect has checked its token.
    """
    user = _user_or_404(user_id)
    try:
        services.resend_invitation(user, current_user.email, clock.now())
    except services.Refused as refusal:
        flash(str(refusal), "error")
    else:
        flash(f"Invitation sent to {user.email}", "success")
    return redirect(url_for("admin.users"), code=303)


@bp.route(f"/users/{ID}/remove", methods=["GET", "POST"])
@admin_only
def remove_user(user_id: int):
    """Ask to be sure, then remove someone's account."""
    user = _user_or_404(user_id)
    if user.id == current_user.id:
        flash("You cannot remove yourself. Ask another admin to do it", "error")
        return redirect(url_for("admin.users"), code=303)
    form = ActionForm()
    if form.validate_on_submit():
        email = user.email
        try:
            services.remove_user(user, current_user)
        except services.Refused as refusal:
            flash(str(refusal), "error")
        else:
            flash(f"{email} has been removed.", "success")
        return redirect(url_for("admin.users"), code=303)
    return render_template(
        "admin/user_remove.html", user=user, form=form, role_names=services.ROLE_NAMES
    )


# Choosing a password from an invitation: open to people who are not signed in.


def _password_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _link_expired(status: int):
    return render_template("admin/link_expired.html"), status


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_password_limit, methods=["POST"])
def set_password(token: str):
    """Choose a password from an invitation link, then go straight in."""
    try:
        user = services.user_for_token(token)
    except services.LinkExpired:
        return _link_expired(410)
    except services.LinkBroken:
        return _link_expired(400)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password_from_link(user, form.password.data)
        except services.LinkExpired:
            return _link_expired(410)
        session.clear()  # a fresh session on sign-in, as the sign-in page does
        login_user(user)
        flash("Your password is set and you are signed in.", "success")
        return redirect(url_for("admin.dashboard"), code=303)
    status = 422 if form.errors else 200
    return render_template("admin/set_password.html", form=form, user=user, token=token), status
