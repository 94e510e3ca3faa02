"""What every email the site composes shares: absolute links, the officer's addresses,
and queueing an email once per event."""

from __future__ import annotations

from flask import current_app, has_request_context, url_for
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.mail.outbox import address, queue_email
from app.models import Consultation, OutboxEmail


def site_url(endpoint: str, **values: object) -> str:
    """An absolute link built on SITE_URL, never on the Host header a request claims."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return current_app.config["SITE_URL"].rstrip("/") + path


def officer(consultation: Consultation) -> tuple[str, str]:
    """The officer's address, and the team inbox to copy (POLICY_OFFICER_EMAIL) if set."""
    copy = current_app.config.get("POLICY_OFFICER_EMAIL") or ""
    to = address(consultation.officer_name, consultation.officer_email)
    return to, copy if copy.lower() != consultation.officer_email.lower() else ""


def queue_once(event_key: str, **kwargs) -> bool:
    """Queue an email unless its event already has one; two workers racing get one row."""
    if db.session.scalar(select(exists().where(OutboxEmail.event_key == event_key))):
        return False
    try:
        with db.session.begin_nested():
            queue_email(event_key=event_key, **kwargs)
    except IntegrityError:
        return False  # another worker queued it between our check and our insert
    return True
