"""Publishing the outcome of a closed consultation and taking it down, each change written
to the audit log in the same transaction."""

from __future__ import annotations

from datetime import datetime

from app.consultations.lifecycle import State
from app.extensions import db
from app.models import Consultation, record_audit


def may_publish(consultation: Consultation, now: datetime) -> bool:
    """An outcome is published once the consultation has closed."""
    return consultation.state(now) is State.CLOSED


def publish(consultation: Consultation, text: str, actor: str, now: datetime) -> bool:
    """Publish `text` on the consultation's page, or publish changes to it.

    Returns whether anything changed: the same text already published is left alone.
    """
    first = consultation.outcome_published_at is None
    if not first and text == consultation.outcome:
        return False
    consultation.outcome = text
    consultation.outcome_published_at = now
    record_audit(
        actor,
        "publish_outcome",
        consultation,
        "Published the outcome" if first else "Changed the published outcome",
    )
    db.session.commit()
    return True


def withdraw(consultation: Consultation, actor: str) -> bool:
    """Take the outcome off the public page, keeping its text to publish again.

    Returns whether it was published.
    """
    if consultation.outcome_published_at is None:
        return False
    consultation.outcome_published_at = None
    record_audit(actor, "withdraw_outcome", consultation, "Withdrew the outcome")
    db.session.commit()
    return True
