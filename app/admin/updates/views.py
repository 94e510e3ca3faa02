"""The pages of email updates: counts and mailings, writing, previewing, testing, sending
and watching an update go out. Officers may do all but send (see the package's docstring)."""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from app.admin import bp
from app.admin.auth import admin_only
from app.admin.updates import exports, services  # noqa: F401 (exports: the CSV files)
from app.admin.updates.forms import SendForm, UpdateForm, people
from app.extensions import db
from app.formatting import timefmt
from app.models import Consultation, Mailing
from app.runtime import clock
from app.updates import mailings
from app.web.rendering import render_page

ID = "<id:mailing_id>"
# The email's own HTML, shown in a frame: its inline styles are allowed, nothing else is,
# and only this site's pages may frame it.
EMAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:;"
    " frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


# What the pages say about a mailing.
WORDS = {
    "title_of": services.title_of,
    "audience_of": services.audience_of,
    "sender_of": services.sender_of,
    "people": people,
}


def _mailing_or_404(mailing_id: int) -> Mailing:
    """The mailing with this id, update or news, or a 404."""
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None:
        abort(404)
    return mailing


def _update_or_404(mailing_id: int) -> Mailing:
    """An update an admin wrote (news the clock made has no draft to change or test)."""
    mailing = _mailing_or_404(mailing_id)
    if mailing.kind != mailings.UPDATE:
        abort(404)
    return mailing


def already_sent(mailing: Mailing) -> str:
    """'This update was already sent by … at …'."""
    when = timefmt.local_time(mailing.queued_at, current_app.config["SITE_ZONE"])
    return f"This update was already sent by {mailing.queued_by} at {when}."


def _back_to(mailing: Mailing, message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("admin.update", mailing_id=mailing.id), code=303)


@bp.get("/updates")
def updates():
    """How many subscribe and follow, and the mailings, newest first."""
    return render_template(
        "admin/updates/index.html",
        subscribers=services.subscriber_count(),
        pending=services.pending_count(),
        followed=services.followed(),
        mailings=services.latest_mailings(),
        **WORDS,
    )


@bp.route("/updates/new", methods=["GET", "POST"])
def update_new():
    """Write an update; it is kept as a draft to preview, test and send."""
    form = UpdateForm()
    if form.validate_on_submit():
        mailing = services.new_draft(
            form.subject.data, form.body.data, current_user.email, clock.now()
        )
        return _back_to(mailing, "Your update is saved as a draft. Check it before you send it.")
    status = 422 if form.errors else 200
    return render_template("admin/updates/write.html", form=form, mailing=None), status


@bp.route(f"/updates/{ID}/edit", methods=["GET", "POST"])
def update_edit(mailing_id: int):
    """Change a draft; a sent update cannot be changed."""
    mailing = _update_or_404(mailing_id)
    if mailing.queued_at is not None:
        return _back_to(mailing, "This update has been sent, so it cannot be changed.", "error")
    form = UpdateForm(obj=mailing)
    if form.validate_on_submit():
        if not services.change_draft(
            mailing, form.subject.data, form.body.data, current_user.email, clock.now()
        ):
            return _back_to(mailing, already_sent(mailing), "error")
        return _back_to(mailing, "Your changes are saved.")
    status = 422 if form.errors else 200
    return render_template("admin/updates/write.html", form=form, mailing=mailing), status


@bp.get(f"/updates/{ID}")
def update(mailing_id: int):
    """A mailing: its preview, and once sent how far it has got; htmx asks for the progress
    counts alone, every few seconds while emails are waiting."""
    mailing = _mailing_or_404(mailing_id)
    is_update = mailing.kind == mailings.UPDATE
    return render_page(
        "admin/updates/update.html",
        fragment="admin/updates/_progress_counts.html",
        mailing=mailing,
        progress=services.progress(mailing),
        email=services.as_sent(mailing) if is_update else None,
        is_update=is_update,
        **WORDS,
    )


@bp.get(f"/updates/{ID}/email.html")
def update_email(mailing_id: int):
    """The update's email as HTML, for the preview's frame."""
    mailing = _update_or_404(mailing_id)
    response = make_response(services.as_sent(mailing).html)
    response.headers["Content-Security-Policy"] = EMAIL_POLICY
    return response


@bp.post(f"/updates/{ID}/test")
def update_test(mailing_id: int):
    """Send the update to the signed-in person alone, marked as a test.

    A one-button form: CSRFProtect has checked its token.
    """
    mailing = _update_or_404(mailing_id)
    services.send_test(mailing, current_user.email, clock.now())
    return _back_to(mailing, f"A test has been sent to {current_user.email}.")


@bp.route(f"/updates/{ID}/send", methods=["GET", "POST"])
@admin_only
def update_send(mailing_id: int):
    """Choose whom to send the update to, see how many people that is, and send it."""
    mailing = _update_or_404(mailing_id)
    if mailing.queued_at is not None:
        return _back_to(mailing, already_sent(mailing), "error")
    followed = services.followed()
    form = SendForm(
        services.subscriber_count(),
        [(consultation.id, consultation.title, count) for consultation, count in followed],
    )
    if not form.validate_on_submit():
        status = 422 if form.errors else 200
        return render_template("admin/updates/send.html", form=form, mailing=mailing), status
    chosen = form.consultation_id
    consultation = db.session.get(Consultation, chosen) if chosen is not None else None
    if form.confirmed.data != "yes":
        return render_template(
            "admin/updates/send_check.html",
            form=form,
            mailing=mailing,
            consultation=consultation,
            people=people,
        )
    sent = mailings.send_update(
        mailing, form.audience.data, consultation, current_user.email, clock.now()
    )
    if not sent:
        db.session.refresh(mailing)
        return _back_to(mailing, already_sent(mailing), "error")
    return _back_to(mailing, f"Your update is being sent to {people(mailing.recipients)}.")
