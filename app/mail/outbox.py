"""Queueing and delivering email. The only module that talks SMTP.

A request only ever adds an OutboxEmail row to its own transaction; a worker
process delivers due rows later, so a slow or dead mail server never holds up
a respondent, and a crash between commit and delivery loses nothing.
"""

from __future__ import annotations

import base64
import email.policy
import logging
import os
import random
import re
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import Consultation, OutboxEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
LEASE = timedelta(minutes=5)
BATCH_SIZE = 50

PENDING, SENDING, SENT, FAILED, HELD, DIGESTED, WITHDRAWN = (
    "pending",
    "sending",
    "sent",
    "failed",
    "held",
    "digested",
    "withdrawn",  # no longer true (a reminder of a cancelled call): never to be sent
)


@dataclass(frozen=True)
class EmailAttachment:
    """A file to attach: its name, its MIME type and its bytes."""

    filename: str
    content_type: str
    data: bytes


def header_safe(text: str, limit: int = 200) -> str:
    """Collapse every run of white space, line breaks included, so text can sit in a header."""
    return re.sub(r"\s+", " ", text or "").strip()[:limit]


# Characters with a meaning in an address header; in a display name they could turn
# "Mallory: evil@example.org" into a group that mail clients would reply to.
ADDRESS_SPECIALS = re.compile(r'[<>@:;,"()\[\]\\]')


def address(name: str | None, email: str) -> str:
    """A display name and address for a header, the name stripped of address syntax.

    The name is left unencoded: build_message encodes it once, when the message is built.
    """
    clean_name = header_safe(ADDRESS_SPECIALS.sub(" ", name or ""))
    clean_email = header_safe(email, 254)
    return f"{clean_name} <{clean_email}>" if clean_name else clean_email


def retry_delay(attempts: int, rand: random.Random | None = None) -> timedelta:
    """How long to wait after `attempts` failures: doubling from 30 s to 1 hour, with jitter.

    Jitter (50% to 150%) stops a crowd of emails that failed together retrying together.
    """
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
    return base * (rand or random).uniform(0.5, 1.5)


def _message_id() -> str:
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def queue_email(
    *,
    event_key: str,
    kind: str,
    to: str,
    template: str,
    context: dict,
    consultation: Consultation | None = None,
    reply_to: str = "",
    cc: str = "",
    attachments: list[EmailAttachment] | None = None,
    payload: dict | None = None,
    held: bool = False,
    send_before: datetime | None = None,
    now: datetime,
) -> OutboxEmail:
    """Render templates/email/<template>.{txt,html} and add the email to the current transaction.

    The caller commits it together with the event. The subject is the template's
    `subject` block. `held` keeps it back for the daily digest instead of sending it;
    `send_before` makes it worthless after that moment, so a late one is never sent.
    """
    subject = header_safe(render_template(f"email/{template}.subject.txt", **context), 250)
    email = OutboxEmail(
        event_key=event_key,
        kind=kind,
        consultation=consultation,
        to_addr=to,
        cc_addr=cc,
        reply_to=reply_to,
        subject=subject,
        body_text=render_template(f"email/{template}.txt", **context),
        # The HTML title is the subject as text, escaped like every other value there.
        body_html=render_template(f"email/{template}.html", **context, subject=subject),
        attachments=[
            {
                "filename": header_safe(a.filename, 150),
                "content_type": a.content_type,
                "data": base64.b64encode(a.data).decode("ascii"),
            }
            for a in attachments or []
        ],
        payload=payload or {},
        message_id=_message_id(),
        status=HELD if held else PENDING,
        next_attempt_at=now,
        send_before=send_before,
        created_at=now,
    )
    db.session.add(email)
    return email


def claim_due(now: datetime, worker: str, limit: int = BATCH_SIZE) -> list[OutboxEmail]:
    """Take up to `limit` due emails for this worker, so that no other worker sends them.

    Each row moves to "sending" with a conditional UPDATE that only one worker can win;
    on PostgreSQL, FOR UPDATE SKIP LOCKED also keeps workers from queueing on one row.
    A row whose worker died mid-send comes back when its lease runs out.
    """
    due = or_(
        (OutboxEmail.status == PENDING) & (OutboxEmail.next_attempt_at <= now),
        (OutboxEmail.status == SENDING) & (OutboxEmail.lease_until < now),
    )
    candidates = db.session.scalars(
        select(OutboxEmail.id)
        .where(due)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claimed = []
    for email_id in candidates:
        won = db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id, due)
            .values(status=SENDING, lease_until=now + LEASE, claimed_by=worker)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won:
            claimed.append(email_id)
    db.session.commit()
    if not claimed:
        return []
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(claimed))))


# The standard library's modern email API, with SMTP's CRLF line ends: it encodes each body
# as quoted-printable or base64 whenever a line would pass 78 characters or the text is not
# ASCII, and folds headers into RFC 2047 words that decode back to exactly what was written.
# Strict servers refuse any line over 998 octets (RFC 5321 4.5.3.1.6), so one long paragraph
# sent as 8bit would never be delivered; Flask-Mail 0.10 did that, and also folded long
# non-ASCII display names so that they arrived with stray spaces, so it is not used.
MIME_POLICY = email.policy.SMTP


def _header_address(value: str) -> Address:
    """A header value made by address() as an Address, its name encoded when it is sent."""
    [(name, addr_spec)] = getaddresses([value]) or [("", value)]
    return Address(display_name=name, addr_spec=addr_spec)


def build_message(email: OutboxEmail, now: datetime) -> EmailMessage:
    """The MIME message for an outbox row: text and HTML parts, attachments, stable Message-ID."""
    message = EmailMessage(policy=MIME_POLICY)
    message["Subject"] = email.subject
    message["From"] = _header_address(current_app.config["MAIL_DEFAULT_SENDER"])
    message["To"] = _header_address(email.to_addr)
    if email.cc_addr:
        message["Cc"] = _header_address(email.cc_addr)
    if email.reply_to:
        message["Reply-To"] = _header_address(email.reply_to)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body_text)
    message.add_alternative(email.body_html, subtype="html")
    for attachment in email.attachments:
        # "text/calendar; method=REQUEST; charset=UTF-8": calendars need their parameters.
        content_type = MIME_POLICY.header_factory("Content-Type", attachment["content_type"])
        message.add_attachment(
            base64.b64decode(attachment["data"]),
            maintype=content_type.maintype,
            subtype=content_type.subtype,
            params=dict(content_type.params),
            filename=attachment["filename"],
        )
    return message


def _recipients(message: EmailMessage) -> list[str]:
    """The envelope's recipients: every address in To and Cc."""
    fields = [str(message[name]) for name in ("To", "Cc") if message[name] is not None]
    return [addr for _, addr in getaddresses(fields)]


def _connect() -> smtplib.SMTP:
    """Open a connection to the configured SMTP server, with a timeout on every step."""
    config = current_app.config
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        server = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    else:
        server = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    if config["MAIL_USE_TLS"]:
        server.starttls()
    if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
        server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return server


def _record_failure(email: OutboxEmail, error: Exception, now: datetime) -> None:
    email.attempts += 1
    email.last_error = header_safe(f"{type(error).__name__}: {error}", 1000)
    email.lease_until = None
    if email.attempts >= MAX_ATTEMPTS:
        email.status = FAILED
        log.error("email %s failed for good: %s", email.id, email.last_error)
    else:
        email.status = PENDING
        email.next_attempt_at = now + retry_delay(email.attempts)
        log.warning("email %s will be retried: %s", email.id, email.last_error)


def _still_ours(email: OutboxEmail, worker: str, now: datetime) -> bool:
    """Renew our lease on the row, unless another worker took it over when the lease ran out."""
    renewed = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email.id,
            OutboxEmail.status == SENDING,
            OutboxEmail.claimed_by == worker,
        )
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return bool(renewed)


def _send_one(server: smtplib.SMTP, email: OutboxEmail, now: datetime) -> bool:
    """Hand one email to the server and record the outcome on its row."""
    try:
        message = build_message(email, now)
        sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
        # as_bytes refuses a header holding a line break (ValueError), so none can add one.
        server.sendmail(sender, _recipients(message), message.as_bytes())
    except (OSError, smtplib.SMTPException, ValueError) as error:
        _record_failure(email, error, now)
        return False
    email.status = SENT
    email.sent_at = now
    email.attempts += 1
    email.lease_until = None
    return True


def deliver_due(now: datetime, worker: str | None = None) -> tuple[int, int]:
    """Send every due email once. Returns (sent, failed attempts)."""
    # Host and process id say which worker took a row; the random part tells its rounds apart.
    worker = worker or f"{socket.gethostname()[:50]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _withdraw_expired(now)
    emails = claim_due(now, worker)
    if not emails:
        return 0, 0
    sent = failed = 0
    try:
        server = _connect()
    except (OSError, smtplib.SMTPException) as error:
        for email in emails:
            _record_failure(email, error, now)
        db.session.commit()
        return 0, len(emails)
    try:
        for email in emails:
            if not _still_ours(email, worker, now):
                continue
            if _send_one(server, email, now):
                sent += 1
            else:
                failed += 1
            # Each outcome is committed at once: a crash later cannot make a sent email unsent.
            db.session.commit()
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return sent, failed


def _withdraw_expired(now: datetime) -> None:
    """Withdraw the emails whose moment has passed unsent (the mail server was down)."""
    db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.send_before <= now,
            OutboxEmail.status.in_([PENDING, FAILED]),
        )
        .values(status=WITHDRAWN, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def withdraw(event_keys: list[str]) -> int:
    """Make sure emails not sent yet never are, because what they say is no longer true.

    Failed ones too, so that nobody retries them from the admin area.
    """
    return db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.event_key.in_(event_keys),
            OutboxEmail.status.in_([PENDING, HELD, FAILED]),
        )
        .values(status=WITHDRAWN, lease_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def retry(email: OutboxEmail, now: datetime) -> None:
    """Put a failed email back in the queue, to be tried again at once."""
    email.status = PENDING
    email.attempts = 0
    email.next_attempt_at = now
    email.lease_until = None
