"""What admins change, each change written to the audit log in the same transaction."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from app.consultations.lifecycle import Override
from app.extensions import db
from app.formatting import timefmt
from app.models import Consultation, record_audit

OVERRIDE_LABELS = {
    Override.AUTO.value: "Follow dates",
    Override.OPEN.value: "Open",
    Override.CLOSED.value: "Closed",
}


def set_override(consultation: Consultation, override: Override, actor: str, now: datetime) -> bool:
    """Follow the dates, or force open or closed. Returns whether anything changed."""
    previous = consultation.override
    if previous == override.value:
        return False
    consultation.override = override.value
    consultation.override_changed_at = now
    record_audit(
        actor,
        "set_state",
        consultation,
        f"{OVERRIDE_LABELS[override.value]} (was {OVERRIDE_LABELS[previous].lower()})",
    )
    db.session.commit()
    return True


def change_dates(
    consultation: Consultation, opens_at: datetime, closes_at: datetime, actor: str, zone: ZoneInfo
) -> bool:
    """Move the opening time and the deadline. Returns whether anything changed."""
    changes = []
    for label, name, new in (("Opens", "opens_at", opens_at), ("Deadline", "closes_at", closes_at)):
        old = getattr(consultation, name)
        if old != new:
            changes.append(
                f"{label}: {timefmt.local_time(old, zone)} → {timefmt.local_time(new, zone)}"
            )
            setattr(consultation, name, new)
    if not changes:
        return False
    consultation.settings_changed()
    record_audit(actor, "change_dates", consultation, "; ".join(changes))
    db.session.commit()
    return True


ALERT_MODE_LABELS = {"instant": "an email for each response", "daily": "a daily digest"}


def set_alert_mode(consultation: Consultation, mode: str, actor: str) -> bool:
    """Instant alerts or a daily digest. Returns whether anything changed."""
    if consultation.alert_mode == mode:
        return False
    previous = consultation.alert_mode
    consultation.alert_mode = mode
    consultation.settings_changed()
    record_audit(
        actor,
        "set_alerts",
        consultation,
        f"{ALERT_MODE_LABELS[mode].capitalize()} (was {ALERT_MODE_LABELS[previous]})",
    )
    db.session.commit()
    return True
