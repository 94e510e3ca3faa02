"""The audit log as stored now."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent


def audit_count() -> int:
    """How many audit events are stored."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def last_audit_id() -> int:
    """The newest audit event's id (0 when there is none), to read what comes after it."""
    db.session.rollback()
    return db.session.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def audit_actions_since(since: int) -> list[str]:
    """The actions recorded after the event numbered `since`, oldest first."""
    db.session.rollback()
    query = select(AuditEvent.action).where(AuditEvent.id > since).order_by(AuditEvent.id)
    return list(db.session.scalars(query))
