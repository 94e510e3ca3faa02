"""The emails the site has queued, as stored now, and submissions to queue them for."""

from __future__ import annotations

import signal
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.mail.notifications import Submission, site_url
from app.models import Consultation, OutboxEmail


def outbox(kind: str | None = None) -> list[OutboxEmail]:
    """Every email queued so far, oldest first; only those of `kind` if given."""
    db.session.rollback()
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    return list(db.session.scalars(query))


def make_submission(
    consultation: Consultation, reference: str, now: datetime, **fields
) -> Submission:
    """A piece of written evidence as the notifications see it, to queue its emails."""
    return Submission(
        kind="evidence",
        kind_label="Written evidence",
        reference=reference,
        consultation=consultation,
        submitted_at=now,
        admin_url=site_url("admin.dashboard"),
        **fields,
    )


def work(runner, rounds: int = 3) -> str:
    """Run `flask outbox work` for a few rounds without waiting between them, in this
    process and so at its priority (--nice 0 --no-idle): a niceness once raised stays
    raised, and so would the test run's scheduling for idle time."""
    previous = signal.getsignal(signal.SIGTERM)  # the command installs its own handler
    try:
        result = runner.invoke(
            args=[
                *("outbox", "work", "--rounds", str(rounds), "--interval", "0"),
                *("--nice", "0", "--no-idle"),
            ]
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Outbox worker stopped." in result.output
    return result.output
