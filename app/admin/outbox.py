"""The outbox as admins see it: what is waiting, sent or failed, and retrying a failure
(the views, and the one service they call that changes anything)."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.admin import bp
from app.admin.auth import admin_only
from app.extensions import db
from app.mail import outbox
from app.models import OutboxEmail, record_audit
from app.runtime import clock

PAGE_SIZE = 50
STATUSES = [
    outbox.FAILED,
    outbox.PENDING,
    outbox.SENDING,
    outbox.HELD,
    outbox.SENT,
    outbox.WITHDRAWN,
]


@bp.get("/outbox")
def outbox_list():
    """Emails by status, failures first, with their last error."""
    status = request.args.get("status", outbox.FAILED)
    if status not in STATUSES:
        status = outbox.FAILED
    counts = dict(
        db.session.execute(
            select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
        ).all()
    )
    emails = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status == status)
        .order_by(OutboxEmail.id.desc())
        .limit(PAGE_SIZE)
    ).all()
    return render_template(
        "admin/outbox.html", emails=emails, counts=counts, status=status, statuses=STATUSES
    )


@bp.post("/outbox/<id:email_id>/retry")
@admin_only
def outbox_retry(email_id: int):
    """Queue a failed email to be sent again now."""
    email = retry_failed(email_id, current_user.email, clock.now())
    if email is None:
        flash("That email is not waiting for a retry.", "error")
    else:
        flash(f"The email to {email.to_addr} will be sent again.", "success")
    return redirect(url_for("admin.outbox_list"), code=303)


def retry_failed(email_id: int, actor: str, now: datetime) -> OutboxEmail | None:
    """Queue the failed email `email_id` to be sent again now, in the audit log.

    Returns the email, or None when there is no such email or it has not failed.
    """
    email = db.session.get(OutboxEmail, email_id)
    if email is None or email.status != outbox.FAILED:
        return None
    outbox.retry(email, now)
    record_audit(actor, "retry_email", email.consultation, f"{email.kind} to {email.to_addr}")
    db.session.commit()
    return email
