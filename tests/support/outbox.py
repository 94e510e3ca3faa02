"""The emails the site has queued, as stored now."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import OutboxEmail


def outbox(kind: str | None = None) -> list[OutboxEmail]:
    """Every email queued so far, oldest first; only those of `kind` if given."""
    db.session.rollback()
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    return list(db.session.scalars(query))
