"""What a respondent reads in the emails about their response: the private link to it.

The receipt, the receipt of a change and the new-links email each carry the link to
the respondent's page, /your-response/<token>. Tests read it from the email's text,
as delivered by the test SMTP server or as queued in the outbox.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, OutboxEmail

LINK_IN_RECEIPT = re.compile(r"View, change or withdraw your response:\s+(\S+)")
# Each response in the new-links email: "Written evidence EV-7K2QX9 to "...", sent ...:"
# and its link on the next line.
LINK_IN_NEW_LINKS = re.compile(r" ([A-Z]{2}-[0-9A-Z]{6}) to .*:\n(https?://\S+)")


def link_in(text: str) -> str:
    """The path of the respondent's link in a receipt's text."""
    found = LINK_IN_RECEIPT.search(text)
    assert found, text
    return urlsplit(found.group(1)).path


def token_of(link: str) -> str:
    """The token a link's path ends with."""
    return link.rstrip("/").rsplit("/", 1)[1]


def links_in_new_links(text: str) -> dict[str, str]:
    """The new-links email's links: reference -> path."""
    text = text.replace("\r\n", "\n")
    return {reference: urlsplit(url).path for reference, url in LINK_IN_NEW_LINKS.findall(text)}


def queued_receipt_link(reference: str) -> str:
    """The link in the newest receipt queued about `reference` (no SMTP server needed)."""
    db.session.rollback()
    receipts = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.kind == "receipt", OutboxEmail.event_key.endswith(f":{reference}"))
        .order_by(OutboxEmail.id)
    ).all()
    assert receipts, f"no receipt queued for {reference}"
    return link_in(receipts[-1].body_text)


def audited(action: str) -> list[str]:
    """The details of the audit events of this action, oldest first."""
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent.detail).filter_by(action=action).order_by(AuditEvent.id)
        )
    )
