"""A respondent withdrawing what they sent, from the link in their receipt: the response
is deleted as an admin deletes one on request (retention.delete_response), the
respondent is sent a confirmation and the officer told, by reference only.

Withdrawal is allowed at any time, after the close too: the right to have one's data
erased does not end with the consultation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from app.extensions import db
from app.intake import channels
from app.mail.notifications import Withdrawal, notify_withdrawal
from app.models import SUBMITTED, Response
from app.privacy.retention import Deletion, delete_response
from app.web.forms import PUBLISH_CHOICES

RESPONDENT = "respondent"
WITHDRAWN = Deletion(
    "respondent_withdraw", "Response {reference} ({kind}) withdrawn by the respondent", RESPONDENT
)


def withdraw(response: Response, now: datetime) -> str | None:
    """Delete the response at its respondent's request and queue the emails saying so.

    Returns its reference, or None if its link stopped working first: withdrawn from
    another tab or device, or replaced by a new link.

    The link is claimed first, with a conditional update that ends it, so that of two
    withdrawals only one deletes and emails, and a change (which needs a working link)
    racing a withdrawal is either made before it, and withdrawn with the rest, or finds
    the response gone. A call still to come is cancelled, and both are told.
    """
    held = response.link_hash
    if held is None:
        return None
    claimed = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.status == SUBMITTED, Response.link_hash == held)
        .values(link_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return None
    # Read again now that it is ours: a change made meanwhile may have added documents.
    db.session.expire(response)
    channel = channels.of(response)
    withdrawal = Withdrawal(
        kind=channel.email_kind or channel.name,
        kind_label=channel.email_label or channel.label,
        reference=response.reference or "",
        consultation=response.consultation,
        name=response.name,
        email=response.email,
        withdrawn_at=now,
        held=what_it_holds(response),
    )
    return delete_response(
        response, RESPONDENT, now, WITHDRAWN, also=lambda: notify_withdrawal(withdrawal, now)
    )


def what_it_holds(response: Response) -> dict[str, bool]:
    """What the response holds besides the respondent's details, as the pages and the
    email about withdrawing it say what goes: answers (a survey's), documents, a choice
    about publishing (a message has none)."""
    return {
        "answers": bool(response.answers),
        "documents": bool(response.attachments),
        "publishable": response.publish in PUBLISH_CHOICES,
    }


def withdrawn_meanwhile(response_id: int) -> bool:
    """Whether a response whose link stopped working under a withdrawal was withdrawn,
    rather than given a new link or purged: it is gone, or is going (claimed, its link
    ended, not yet deleted)."""
    db.session.rollback()
    current = db.session.scalar(select(Response).where(Response.id == response_id))
    return current is None or (current.link_hash is None and current.purged_at is None)
