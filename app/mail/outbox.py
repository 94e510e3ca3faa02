"""Queueing and delivering email. The only module that talks SMTP.

A request only ever adds an OutboxEmail row to its own transaction; a worker
process delivers due rows later, so a slow or dead mail server never holds up
a respondent, and a crash between commit and delivery loses nothing.
"""

from __future__ import annotations

import base64
import logging
import os
import random
import re
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, getaddresses, parseaddr

import idna
from flask import current_app, render_template
from sqlalchemy import case, insert, or_, select, update

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


def one_line(text: str, limit: int = 200) -> str:
    """Collapse every run of white space, line breaks included, into one space."""
    # Stripped again after cutting: a header's trailing space would not survive the trip.
    return re.sub(r"\s+", " ", text or "").strip()[:limit].rstrip()


# Python decodes RFC 2047 encoded words (=?utf-8?q?...?=) in header text it is given, and
# before 3.11.10 (CVE-2024-6923) writes a decoded CR/LF out as a real line break, so typed
# text could add headers or a body of its own. An invisible WORD JOINER between "=" and "?"
# means the text is never read as an encoded word, and a reader sees what was typed.
ENCODED_WORD_START = "=?"
NOT_AN_ENCODED_WORD = "=\u2060?"


def header_safe(text: str, limit: int = 200) -> str:
    """Text that can sit in a header as itself: on one line, and never an encoded word."""
    return one_line((text or "").replace(ENCODED_WORD_START, NOT_AN_ENCODED_WORD), limit)


# Characters with a meaning in an address header; in a display name they could turn
# "Mallory: evil@example.org" into a group that mail clients would reply to.
ADDRESS_SPECIALS = re.compile(r'[<>@:;,"()\[\]\\]')


def address(name: str | None, email: str) -> str:
    """A display name and address for a header, the name stripped of address syntax.

    The name is left unencoded: build_message encodes it once, when the message is built.
    The address is kept as typed (a joiner would change it); build_message checks it.
    """
    clean_name = header_safe(ADDRESS_SPECIALS.sub(" ", name or ""))
    clean_email = one_line(email, 254)
    return f"{clean_name} <{clean_email}>" if clean_name else clean_email


class UnsendableAddress(MessageError):
    """An address that cannot be written in a header, or sent to, as itself."""


def _ascii_addr_spec(addr_spec: str) -> str:
    """The address as it can go in a header and to the server: its domain IDNA-encoded.

    Addresses are stored as the validator normalised them, with a Unicode domain
    (user@bücher.example); on the wire that domain is punycode (xn--bcher-kva.example),
    encoded as the validator does (IDNA 2008). A local part that is not ASCII would need
    SMTPUTF8, which the site does not use.
    """
    local, _, domain = addr_spec.rpartition("@")
    if not local.isascii():
        raise UnsendableAddress(
            f"{addr_spec} cannot be sent to: the part before the @ is not plain ASCII,"
            " which needs SMTPUTF8"
        )
    if domain.isascii():
        return addr_spec
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError as error:
        raise UnsendableAddress(
            f"{addr_spec} has a domain that cannot be sent to: {error}"
        ) from None


def retry_delay(attempts: int, rand: random.Random | None = None) -> timedelta:
    """How long to wait after `attempts` failures: doubling from 30 s to 1 hour, with jitter.

    Jitter (50% to 150%) stops a crowd of emails that failed together retrying together.
    """
    base = min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)
    return base * (rand or random).uniform(0.5, 1.5)


def _message_domain() -> str:
    """The sender's domain, on which Message-IDs are made."""
    sender = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    try:
        domain = _ascii_addr_spec(sender).rpartition("@")[2]
    except UnsendableAddress:
        domain = ""
    return domain or "localhost"


def _message_id(domain: str | None = None) -> str:
    return f"<{uuid.uuid4().hex}@{domain or _message_domain()}>"


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
    forget_when_sent: bool = False,
    now: datetime,
) -> OutboxEmail:
    """Render templates/email/<template>.{txt,html} and add the email to the current transaction.

    The caller commits it together with the event. The subject is the template's
    `subject` block. `held` keeps it back for the daily digest instead of sending it;
    `send_before` makes it worthless after that moment, so a late one is never sent;
    `forget_when_sent` keeps no trace of whom it went to or what it said once it is sent.
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
        forget_when_sent=forget_when_sent,
        created_at=now,
    )
    db.session.add(email)
    return email


def queue_many(rows: list[dict], now: datetime) -> int:
    """Add many emails already written (event_key, kind, to_addr, subject, body_text,
    body_html and any other column) to the current transaction in one statement.

    For a mailing to thousands: rendering each through queue_email would take minutes.
    """
    if not rows:
        return 0
    domain = _message_domain()
    db.session.execute(
        insert(OutboxEmail),
        [
            {
                **row,
                "subject": header_safe(row["subject"], 250),
                "message_id": _message_id(domain),
                "status": PENDING,
                "next_attempt_at": now,
                "created_at": now,
            }
            for row in rows
        ],
    )
    return len(rows)


def _lease_ran_out(now: datetime):
    """Being sent by a worker that did not renew its lease in time: it died mid-send."""
    return (OutboxEmail.status == SENDING) & (OutboxEmail.lease_until < now)


def claim_due(now: datetime, worker: str, limit: int = BATCH_SIZE) -> list[OutboxEmail]:
    """Take up to `limit` due emails for this worker, so that no other worker sends them.

    Each row moves to "sending" with a conditional UPDATE that only one worker can win;
    on PostgreSQL, FOR UPDATE SKIP LOCKED also keeps workers from queueing on one row.
    A row whose worker died mid-send comes back when its lease runs out, unless its
    moment has passed meanwhile (_withdraw_expired): its recipient may have asked to be
    forgotten since (forget_where), and one that has is sent nothing more.
    """
    due = or_(
        (OutboxEmail.status == PENDING) & (OutboxEmail.next_attempt_at <= now),
        _lease_ran_out(now),
    ) & or_(OutboxEmail.send_before.is_(None), OutboxEmail.send_before > now)
    candidates = db.session.scalars(
        select(OutboxEmail.id)
        .where(due)
        # One-off emails (receipts, alerts) before a mailing's: a receipt must not wait
        # behind ten thousand updates.
        .order_by(OutboxEmail.mailing_id.is_not(None), OutboxEmail.next_attempt_at, OutboxEmail.id)
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
    # Sent in the order they were chosen in, oldest first: the database gives rows back
    # in whatever order it finds them.
    rows = {
        e.id: e for e in db.session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(claimed)))
    }
    return [rows[email_id] for email_id in claimed]


class UnsafeHeader(MessageError):
    """A header would be written with a line break that is not a fold."""


# A line break that does not start a folded line's white space starts a header of its own.
NEW_LINE_NOT_FOLD = re.compile(rb"\r\n[^ \t]|\r[^ \n\t]|\n[^ \t]")


class _CheckedPolicy(EmailPolicy):
    """The modern email API, refusing to write a header that would break out of its line.

    The check Python 3.11.10 makes (verify_generated_headers), for the older Pythons that
    write whatever a header decodes to. Only as_bytes is used, so only fold_binary checks.
    """

    def fold_binary(self, name, value):
        folded = super().fold_binary(name, value)
        ending = self.linesep.encode("ascii")
        if not folded.endswith(ending) or NEW_LINE_NOT_FOLD.search(folded[: -len(ending)]):
            raise UnsafeHeader(f"the {name} header would hold a line break")
        return folded


# SMTP's CRLF line ends and nothing but 7-bit ASCII on the wire, because the site does not
# ask the server for 8BITMIME: each body goes as 7bit if it is ASCII with short lines, and
# otherwise as quoted-printable or base64, so no line passes 998 octets (RFC 5321 4.5.3.1.6,
# which strict servers enforce); attachments go as base64, and headers are folded into
# RFC 2047 words that decode back to exactly what was written. Flask-Mail 0.10 sent one long
# paragraph as 8bit, which a strict server refuses, and folded long non-ASCII display names
# so that they arrived with stray spaces, so it is not used.
MIME_POLICY = _CheckedPolicy(linesep="\r\n", cte_type="7bit", refold_source="none")


def _header_address(value: str) -> Address:
    """A header value made by address() as an Address, its name encoded when it is sent."""
    [(name, addr_spec)] = getaddresses([value]) or [("", value)]
    ascii_addr_spec = _ascii_addr_spec(addr_spec)
    try:
        return Address(display_name=header_safe(name), addr_spec=ascii_addr_spec)
    except ValueError as error:
        # A local part that starts like an encoded word (=?utf-8?q?x?=@example.org) would be
        # decoded into another address; RFC 2047 allows none in an address.
        raise UnsendableAddress(
            f"{addr_spec} cannot be written in an email header: it would be read as encoded text"
        ) from error


def build_message(email: OutboxEmail, now: datetime) -> EmailMessage:
    """The MIME message for an outbox row: text and HTML parts, attachments, stable Message-ID."""
    message = EmailMessage(policy=MIME_POLICY)
    # Rows queued before subjects were made header-safe are made so here.
    subject = header_safe(email.subject, 300)
    if subject.isascii():
        message["Subject"] = subject
    else:
        # Encoded whole and folded by email.header: the policy's own folding (Python 3.11)
        # keeps the space before a fold that comes just ahead of an encoded word, so about
        # one long subject in ten with an accent near its fold arrived with a doubled space.
        message.set_raw(
            "Subject", Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
        )
    message["From"] = _header_address(current_app.config["MAIL_DEFAULT_SENDER"])
    message["To"] = _header_address(email.to_addr)
    if email.cc_addr:
        message["Cc"] = _header_address(email.cc_addr)
    if email.reply_to:
        try:
            message["Reply-To"] = _header_address(email.reply_to)
        except UnsendableAddress as error:
            # The officer's alert matters more than a Reply-To; the address is in its text.
            log.warning("email %s goes without a Reply-To: %s", email.id, error)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"
    if email.unsubscribe_url:
        # One-click unsubscribe (RFC 8058): mail clients POST "List-Unsubscribe=One-Click"
        # to the link, which ends the subscription with no page to read.
        # Set as written: a URL in angle brackets must not become RFC 2047 encoded words,
        # which the policy would make of a line longer than 78 characters.
        message.set_raw("List-Unsubscribe", f"<{header_safe(email.unsubscribe_url, 500)}>")
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
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


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    """The envelope's sender (From) and recipients (every address in To and Cc), as sent."""
    [sender] = message["From"].addresses
    recipients = [
        address.addr_spec
        for name in ("To", "Cc")
        if message[name] is not None
        for address in message[name].addresses
    ]
    return sender.addr_spec, recipients


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


def _record_failure(
    email: OutboxEmail, error: Exception, now: datetime, *, for_good: bool = False
) -> None:
    email.attempts += 1
    email.last_error = one_line(f"{type(error).__name__}: {error}", 1000)
    email.lease_until = None
    if for_good or email.attempts >= MAX_ATTEMPTS:
        email.status = FAILED
        log.error("email %s failed for good: %s", email.id, email.last_error)
    else:
        email.status = PENDING
        email.next_attempt_at = now + retry_delay(email.attempts)
        log.warning("email %s will be retried: %s", email.id, email.last_error)


def _still_ours(email: OutboxEmail, worker: str) -> bool:
    """Whether the row is still ours to send: no other worker took it over when our lease
    ran out (a batch held up by a slow mail server).

    A read, not a write: a lease is renewed from the round's own moment, which moves no
    deadline forward, so what protects the row is this look just before it is sent; a
    read asks for no write lock while the site's processes are writing responses.
    """
    holder = db.session.execute(
        select(OutboxEmail.status, OutboxEmail.claimed_by).where(OutboxEmail.id == email.id)
    ).one_or_none()
    return holder is not None and tuple(holder) == (SENDING, worker)


def _send_one(server: smtplib.SMTP, email: OutboxEmail, now: datetime) -> bool:
    """Hand one email to the server and record the outcome on its row."""
    try:
        message = build_message(email, now)
        sender, recipients = _envelope(message)
        # MIME_POLICY makes as_bytes refuse a header that would break out of its line.
        data = message.as_bytes()
    except (MessageError, ValueError) as error:  # HeaderParseError is a MessageError
        # The same row makes the same message every time: no retry can mend it.
        _record_failure(email, error, now, for_good=True)
        return False
    try:
        server.sendmail(sender, recipients, data)
    except (OSError, smtplib.SMTPException, ValueError) as error:
        _record_failure(email, error, now)
        return False
    email.status = SENT
    email.sent_at = now
    email.attempts += 1
    email.lease_until = None
    return True


def _honour_forget(email: OutboxEmail, now: datetime) -> None:
    """With its outcome recorded, withdraw the email and forget it if its row says so.

    Asked of the row in the database, not of the worker's copy: its recipient may have
    asked to be forgotten while it was being sent (forget_where marks the row then). The
    outcome is written first, which locks the row, so nobody can mark it between this
    reading and the commit; whoever comes after finds it no longer being sent, and
    withdraws and forgets it themselves.
    """
    db.session.flush()
    db.session.refresh(email, ["forget_when_sent", "send_before"])
    if not email.forget_when_sent:
        return
    too_late = email.send_before is not None and email.send_before <= now
    if email.status in (PENDING, FAILED) and too_late:
        email.status = WITHDRAWN
        log.warning("email %s is withdrawn, too late to retry", email.id)
    if email.status != PENDING:
        forget(email)  # sent, or never will be: nothing of it is kept


FORGOTTEN = "Removed after sending"
# The send_before of an email being sent when its recipient asked to be forgotten: long
# past, so that a failure is not retried (_honour_forget) but withdrawn and forgotten.
WITHDRAWN_WHILE_SENDING = datetime(2000, 1, 1, tzinfo=UTC)


def forget(email: OutboxEmail) -> None:
    """Keep only that an email of its kind was sent, or failed: not whom to, nor what it
    said, nor the server's error, which names the address."""
    email.to_addr = email.subject = FORGOTTEN
    email.cc_addr = email.reply_to = email.body_text = email.body_html = ""
    email.unsubscribe_url = ""
    email.attachments = []
    email.payload = {}
    if email.last_error:
        email.last_error = FORGOTTEN


# What forget() keeps of an email, in one UPDATE of many rows.
_FORGOTTEN_VALUES = {
    "to_addr": FORGOTTEN,
    "subject": FORGOTTEN,
    "cc_addr": "",
    "reply_to": "",
    "body_text": "",
    "body_html": "",
    "attachments": [],
    "payload": {},
    "unsubscribe_url": "",
    "last_error": case((OutboxEmail.last_error == "", ""), else_=FORGOTTEN),
}


def forget_where(*conditions) -> int:
    """Withdraw the matching emails not yet sent and forget them all, as forget() does:
    for someone who asked to be sent nothing more and to be forgotten.

    One being sent right now keeps its text until its worker records the outcome; it is
    marked, for the worker to forget it then, sent or not, and never try it again
    (_honour_forget).
    """
    withdraw_where(*conditions)
    db.session.execute(
        update(OutboxEmail)
        .where(*conditions, OutboxEmail.status == SENDING)
        .values(forget_when_sent=True, send_before=WITHDRAWN_WHILE_SENDING)
        .execution_options(synchronize_session=False)
    )
    # Withdrawn here too: on PostgreSQL a worker's failed send can go back to pending
    # between withdraw_where above and this statement.
    still_to_go = OutboxEmail.status.in_([PENDING, HELD, FAILED])
    return db.session.execute(
        update(OutboxEmail)
        .where(*conditions, OutboxEmail.status != SENDING)
        .values(
            **_FORGOTTEN_VALUES, status=case((still_to_go, WITHDRAWN), else_=OutboxEmail.status)
        )
        .execution_options(synchronize_session=False)
    ).rowcount


def withdraw_where(*conditions) -> int:
    """Make sure the matching emails not sent yet never are."""
    return db.session.execute(
        update(OutboxEmail)
        .where(*conditions, OutboxEmail.status.in_([PENDING, HELD, FAILED]))
        .values(status=WITHDRAWN, lease_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount


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
            _honour_forget(email, now)
        db.session.commit()
        return 0, len(emails)
    # The batch's rows stay as claimed between the commits below rather than being read
    # again after each one: they are ours, and what others may change on them is read
    # when it matters (_still_ours, _honour_forget).
    session = db.session()
    session.expire_on_commit = False
    try:
        for email in emails:
            if not _still_ours(email, worker):
                continue
            if _send_one(server, email, now):
                sent += 1
            else:
                failed += 1
            _honour_forget(email, now)
            # Each outcome is committed at once: a crash later cannot make a sent email unsent.
            db.session.commit()
    finally:
        session.expire_on_commit = True
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return sent, failed


def _withdraw_expired(now: datetime) -> None:
    """Withdraw the emails whose moment has passed unsent (the mail server was down, or
    the worker sending one died), and forget those marked to be forgotten once sent: they
    never will be. So is one whose recipient asked to be forgotten while it was being
    sent (forget_where), if its worker died before recording the outcome."""
    unsent = OutboxEmail.status.in_([PENDING, FAILED]) | _lease_ran_out(now)
    expired = (OutboxEmail.send_before <= now) & unsent
    db.session.execute(
        update(OutboxEmail)
        .where(expired, OutboxEmail.forget_when_sent)
        .values(status=WITHDRAWN, lease_until=None, **_FORGOTTEN_VALUES)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxEmail)
        .where(expired)
        .values(status=WITHDRAWN, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def withdraw(event_keys: list[str]) -> int:
    """Make sure emails not sent yet never are, because what they say is no longer true.

    Failed ones too, so that nobody retries them from the admin area.
    """
    return withdraw_where(OutboxEmail.event_key.in_(event_keys))


def retry(email: OutboxEmail, now: datetime) -> None:
    """Put a failed email back in the queue, to be tried again at once."""
    email.status = PENDING
    email.attempts = 0
    email.next_attempt_at = now
    email.lease_until = None
