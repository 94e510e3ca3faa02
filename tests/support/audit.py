"""The audit log as stored now."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent


def audit_count() -> int:
    """How many audit events are stored."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))
