"""A respondent and the private link to their response, /your-response/<token>.

The receipt, the receipt of a change and the new-links email each carry the link. Tests
read it from the email's text, as delivered by the test SMTP server or as queued in the
outbox. Below that, the steps the tests of the respondent's pages share: Ada sends a
response through the public forms, and opens and sends the forms her link leads to.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.extensions import db
from app.intake import links
from app.mail import outbox as app_outbox
from app.models import AuditEvent, OutboxEmail, Response
from tests.support import evidence as ev
from tests.support import survey as sv
from tests.support.contact import VALID_MESSAGE, deliver, send_message
from tests.support.pages import error_messages, hidden_fields, page, stamped_form

ADA = "ada@example.org"
OFFICER = "officer@example.org"
NEW_LINK = "/your-response/new-link"
NEW_LINK_SENT = "/your-response/new-link/sent"
WITHDRAWN = "/your-response/withdrawn"
NOT_WORKING = "This link does not work"

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


def audit_events(action: str) -> list[AuditEvent]:
    """The audit events of this action, oldest first."""
    db.session.rollback()
    return list(
        db.session.scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id))
    )


def audited(action: str) -> list[str]:
    """The details of the audit events of this action, oldest first."""
    return [event.detail for event in audit_events(action)]


def deliver_due(clock) -> None:
    """The outbox worker's round: everything due goes to the test's SMTP server."""
    _sent, failed = app_outbox.deliver_due(clock.now)
    assert failed == 0


# --- Ada sends a response ------------------------------------------------------------------


def send_evidence(client, clock, files=(), **fields) -> Response:
    """Send written evidence from Ada through the form; it must be accepted."""
    ev.sent_ok(ev.send(client, clock, {**ev.VALID, **fields}, list(files)))
    return newest("evidence")


def send_survey(client, clock) -> Response:
    """Answer the survey as a council officer, as Ada, and send it."""
    sv.take_route(client, sv.OFFICER_ROUTE)
    sent = sv.send(client, clock)
    assert sent.status_code == 303, error_messages(sent)
    return newest("survey")


def send_a_message(client, clock, **fields) -> tuple[Response, str]:
    """Send Ada's message to the officer; the message, and where sending it led."""
    sent = send_message(client, clock, {**VALID_MESSAGE, "email": ADA, **fields})
    assert sent.status_code == 303, error_messages(sent)
    return newest("contact"), sent.headers["Location"]


def newest(channel: str) -> Response:
    """The response of this channel sent last."""
    db.session.rollback()
    return db.session.scalar(
        select(Response).filter_by(channel=channel).order_by(Response.id.desc()).limit(1)
    )


def stored(response_id: int) -> Response | None:
    """The response as stored now; None once it is gone."""
    db.session.rollback()
    return db.session.get(Response, response_id)


# --- her link, and the forms it leads to -------------------------------------------------------


def receipt_link(smtp_server, clock, reference: str) -> str:
    """Deliver the outbox; the link in the newest email about `reference` to Ada."""
    deliver(clock.now)
    about = [
        m for m in smtp_server.to(ADA) if reference in m.text and LINK_IN_RECEIPT.search(m.text)
    ]
    assert about, [m.message["Subject"] for m in smtp_server.received]
    return link_in(about[-1].text)


def issued_link(response: Response) -> str:
    """A link to the response given straight, for tests about what it does, not how it came."""
    token = links.issue(response)
    db.session.commit()
    return urlsplit(links.url(token)).path


def link_named(shown, text: str) -> str | None:
    """Where the page's link with this text goes, if it has one."""
    found = page(shown).find("a", string=re.compile(rf"^\s*{re.escape(text)}\s*$"))
    return found["href"] if found is not None else None


def open_and_send(browser, clock, path: str, fields: dict, seconds: float = 5):
    """Open the form at `path`, wait like a person, and send it with `fields`."""
    shown = browser.get(path)
    assert shown.status_code == 200, (path, shown.status_code)
    clock.advance(seconds=seconds)
    return send_shown(browser, shown, fields)


def send_shown(browser, shown, fields: dict):
    """Send the form on the page `shown`, its hidden fields and `fields`, as a browser would."""
    form = stamped_form(page(shown))
    return browser.post(form["action"], data={**hidden_fields(shown), "website": "", **fields})
