"""Email through the outbox, read back from a real SMTP server.

Submissions come in through a test-only route that does what a real channel does: it
queues the emails with notify_submission() in the request's transaction and commits.
Delivery happens in `flask outbox send` / `outbox work` (or deliver_due for the workers
racing each other), against aiosmtpd, a server that never answers, or no server at all.
Time moves only through the `clock` fixture.
"""

from __future__ import annotations

import base64
import csv
import email
import email.policy
import io
import random
import threading
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from functools import partial

import pytest
from bs4 import BeautifulSoup
from email_validator import validate_email
from flask import Flask, request
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

from app.extensions import csrf, db
from app.mail import outbox
from app.mail.notifications import Submission, notify_submission, site_url
from app.mail.outbox import retry_delay
from app.models import AuditEvent, Consultation, Mailing, OutboxEmail, Subscriber
from app.runtime import clock as app_clock
from app.updates import subscriptions
from tests.support.concurrency import at_once
from tests.support.contact import (
    VALID_MESSAGE,
    call_url,
    choose,
    invite,
    publish,
    send_message,
)
from tests.support.factories import ADMIN_EMAIL
from tests.support.outbox import make_submission, work

SITE_URL = "https://consult.example.gov.uk"
OFFICER = "officer@example.org"
TITLE = "Community services review"
SUBMIT_URL = "/_test/submissions"
# In British Summer Time, so that a time shown in UTC would be an hour out.
SUMMER = datetime(2027, 7, 1, 10, 30, tzinfo=UTC)  # 11:30am UK time


# --- helpers ---------------------------------------------------------------------------------


def _submit_view():
    """What a channel does with a submission: queue its emails, commit, then answer."""
    form = request.form
    consultation = db.session.scalar(
        select(Consultation).where(Consultation.slug == form.get("slug", "test-consultation"))
    )
    now = app_clock.now()
    submission = Submission(
        kind=form.get("kind", "evidence"),
        kind_label=form.get("kind_label", "Written evidence"),
        reference=form["reference"],
        consultation=consultation,
        submitted_at=now,
        admin_url=site_url("admin.dashboard"),
        name=form.get("name", ""),
        email=form.get("email", ""),
        organisation=form.get("organisation", ""),
        respondent_type=form.get("respondent_type", ""),
        details=[("Your evidence", form.get("answer", ""))],
    )
    notify_submission(submission, now)
    db.session.commit()
    return {"reference": submission.reference}, 200


@pytest.fixture
def submit(app: Flask, client):
    """POST a submission to the test-only channel route; returns the response."""
    app.config["SITE_URL"] = SITE_URL
    app.add_url_rule(SUBMIT_URL, "test_submit", _submit_view, methods=["POST"])
    csrf.exempt(_submit_view)

    def post(**fields: str):
        # A Host the request claims must never end up in a link: links use SITE_URL.
        response = client.post(SUBMIT_URL, data=fields, base_url="http://attacker.example")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    return post


def emails(**where) -> list[OutboxEmail]:
    """Outbox rows as the database has them now."""
    db.session.expire_all()
    query = select(OutboxEmail).order_by(OutboxEmail.id)
    for key, value in where.items():
        query = query.where(getattr(OutboxEmail, key) == value)
    return list(db.session.scalars(query))


def committed(app: Flask) -> list[tuple[str, str]]:
    """(event_key, status) of every outbox row, read over a separate connection.

    Only committed rows are visible there, so this tells what a request really committed.
    """
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT event_key, status FROM outbox_email ORDER BY id")
            )
            return [tuple(row) for row in rows]
    finally:
        engine.dispose()


def send(runner) -> str:
    """Run `flask outbox send` once; it must succeed."""
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def addresses(message, header: str) -> list[tuple[str, str]]:
    value = message[header]
    assert value is not None, f"no {header} header"
    return [(a.display_name, a.addr_spec) for a in value.addresses]


def header_lines(raw: bytes) -> list[bytes]:
    """The top-level header lines of a raw message, folded lines kept apart."""
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    return head.splitlines()


def decoded_header(raw: bytes, name: str) -> str:
    """A header as an RFC 2047 decoder reads it, encoded words joined across folds.

    Python's modern parser leaves a space between two encoded words inside a display name,
    where RFC 2047 6.2 says to drop it, so it cannot tell a well-folded name from a broken one.
    """
    parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
    return str(make_header(decode_header(parsed[name])))


def as_typed(text: str) -> str:
    """Text from a header less the invisible word joiners that keep it from being decoded."""
    return text.replace("\u2060", "")


# --- what the emails say ---------------------------------------------------------------------


def test_alert_and_receipt_say_what_came_in_from_whom_with_times_in_uk_time(
    app, clock, make_consultation, submit, smtp_server, runner
):
    clock.set(SUMMER)
    make_consultation(closes_at=datetime(2027, 7, 20, 16, 0, tzinfo=UTC))  # 5pm UK time
    submit(
        reference="EV-7K2Q",
        name="Priya Shah",
        email="priya@example.org",
        organisation="Riverside Tenants & Residents",
        respondent_type="Community group",
        answer="Buses <b>stop</b> at 6pm.",
    )
    assert smtp_server.received == []  # the request queued them; only the worker sends

    assert "sent 2, failed 0" in send(runner)

    rows = {row.kind: row for row in emails()}
    [alert] = smtp_server.to(OFFICER)
    [receipt] = smtp_server.to("priya@example.org")
    assert alert.rcpt_tos == [OFFICER]
    assert receipt.rcpt_tos == ["priya@example.org"]

    # Headers.
    message = alert.message
    assert addresses(message, "To") == [("Sam Okafor", OFFICER)]
    assert addresses(message, "Reply-To") == [("Priya Shah", "priya@example.org")]
    assert message["Subject"] == f"Written evidence EV-7K2Q from Priya Shah: {TITLE}"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["From"] is not None
    receipt_message = receipt.message
    assert addresses(receipt_message, "To") == [("Priya Shah", "priya@example.org")]
    assert addresses(receipt_message, "Reply-To") == [("Sam Okafor", OFFICER)]
    assert "EV-7K2Q" in receipt_message["Subject"]
    # A stable Message-ID: the one the row was given when it was queued, and unique.
    assert alert.message_id == rows["alert"].message_id
    assert receipt.message_id == rows["receipt"].message_id
    assert alert.message_id.startswith("<") and alert.message_id.endswith(">")
    assert alert.message_id != receipt.message_id

    # The alert, as text and as HTML.
    text = alert.text
    for fact in (
        "EV-7K2Q",
        TITLE,
        "Priya Shah",
        "Riverside Tenants & Residents",
        "Community group",
        "priya@example.org",
        "Buses <b>stop</b> at 6pm.",
    ):
        assert fact in text
    assert "11:30am UK time on 1 July 2027" in text
    assert f"{SITE_URL}/admin/" in text
    assert "attacker.example" not in text
    html = alert.html
    assert "Riverside Tenants &amp; Residents" in html
    assert "Buses &lt;b&gt;stop&lt;/b&gt; at 6pm." in html  # the respondent's text is escaped
    soup = BeautifulSoup(html, "html.parser")
    page_text = " ".join(soup.get_text().split())
    for fact in (
        "EV-7K2Q",
        TITLE,
        "Priya Shah",
        "Community group",
        "11:30am UK time on 1 July 2027",
    ):
        assert fact in page_text
    links = [a["href"] for a in soup.find_all("a")]
    assert f"{SITE_URL}/admin/" in links
    assert all(link.startswith((SITE_URL, "mailto:")) for link in links)

    # The receipt: reference, consultation, what happens next, the deadline, a copy.
    text = receipt.text
    for fact in (
        "Dear Priya Shah",
        "EV-7K2Q",
        TITLE,
        "What happens next",
        "closes 5pm UK time on 20 July 2027",
        "11:30am UK time on 1 July 2027",
        "A copy of what you sent",
        "Buses <b>stop</b> at 6pm.",
        OFFICER,
    ):
        assert fact in text
    page_text = " ".join(BeautifulSoup(receipt.html, "html.parser").get_text().split())
    for fact in (
        "EV-7K2Q",
        TITLE,
        "What happens next",
        "5pm UK time on 20 July 2027",
        "A copy of what you sent",
        "Buses <b>stop</b> at 6pm.",
    ):
        assert fact in page_text


def test_no_email_given_means_no_receipt_and_no_reply_to(
    app, make_consultation, submit, smtp_server, runner
):
    make_consultation()
    submit(reference="EV-NOEM", name="Anonymous Resident", respondent_type="Individual")

    assert [row.kind for row in emails()] == ["alert"]
    assert "sent 1, failed 0" in send(runner)
    [alert] = smtp_server.received
    assert alert.rcpt_tos == [OFFICER]
    assert alert.message["Reply-To"] is None
    assert "Email: Not given" in alert.text
    assert "Reply to this email" not in alert.text


def test_a_line_break_in_a_name_cannot_add_a_header_or_a_recipient(
    app, make_consultation, submit, smtp_server, runner
):
    make_consultation()
    submit(
        reference="EV-INJ1",
        name="Mallory\r\nBcc: evil@example.org",
        email="mallory@example.org",
        organisation="Acme\nX-Injected: yes",
    )

    assert "sent 2, failed 0" in send(runner)
    received = smtp_server.received
    assert len(received) == 2
    for message in received:
        recipients = [r.lower() for r in message.rcpt_tos]
        assert len(recipients) == 1 and recipients[0] in {OFFICER, "mallory@example.org"}
        assert "evil@example.org" not in recipients
        assert message.message["Bcc"] is None
        assert message.message["X-Injected"] is None
        starts = [
            line.split(b":", 1)[0].lower()
            for line in header_lines(message.raw)
            if not line[:1].isspace()
        ]
        assert b"bcc" not in starts and b"x-injected" not in starts
        assert "\n" not in str(message.message["Subject"])
    [receipt] = smtp_server.to("mallory@example.org")
    [(name, address)] = addresses(receipt.message, "To")
    assert address == "mallory@example.org" and name.startswith("Mallory")


# RFC 2047 encoded words that decode to a line break and then a header, or a blank line and
# a body, of their own: Python before 3.11.10 wrote such decoded text out as it was.
ENCODED_NAME = "=?utf-8?q?Ann=0D=0ABcc=3A_evil=40example.org=0D=0AX-Injected=3A_name?="
ENCODED_ORGANISATION = "=?utf-8?q?Acme=0D=0AX-Injected=3A_organisation?="
FAKE_BODY = b'\r\nContent-Type: text/html\r\n\r\n<a href="https://evil.example/sso">Sign in</a>'
ENCODED_TITLE = f"Bus review =?utf-8?b?{base64.b64encode(FAKE_BODY).decode()}?= 2027"
HEADERS = [
    "Subject",
    "From",
    "To",
    "Reply-To",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
]


def test_an_encoded_line_break_in_a_name_or_a_title_cannot_add_a_header_or_a_body(
    app, make_consultation, submit, smtp_server, runner
):
    make_consultation(title=ENCODED_TITLE)
    submit(
        reference="EV-INJ3",
        name=ENCODED_NAME,
        email="ann@example.org",
        organisation=ENCODED_ORGANISATION,
        answer="Buses stop at 6pm.",
    )

    assert "sent 2, failed 0" in send(runner)
    rows = {row.message_id: row for row in emails()}
    assert len(smtp_server.received) == 2
    for received in smtp_server.received:
        assert sorted(r.lower() for r in received.rcpt_tos) in (["ann@example.org"], [OFFICER])
        assert received.message.keys() == HEADERS
        assert [part.get_content_type() for part in received.message.walk()] == [
            "multipart/alternative",
            "text/plain",
            "text/html",
        ]
        row = rows[received.message_id]
        assert received.text.replace("\r\n", "\n").rstrip() == row.body_text.rstrip()
        html = BeautifulSoup(received.html, "html.parser")
        assert html.title.get_text() == row.subject
        assert all("evil.example" not in str(a) for a in html.find_all("a"))
    [alert] = smtp_server.to(OFFICER)
    assert as_typed(str(alert.message["Subject"])) == (
        f"Written evidence EV-INJ3 from {ENCODED_NAME}: {ENCODED_TITLE}"
    )
    assert as_typed(decoded_header(alert.raw, "Reply-To")) == f"{ENCODED_NAME} <ann@example.org>"
    for fact in (ENCODED_NAME, ENCODED_ORGANISATION, ENCODED_TITLE, "Buses stop at 6pm."):
        assert fact in alert.text
        assert fact in " ".join(BeautifulSoup(alert.html, "html.parser").get_text().split())
    [receipt] = smtp_server.to("ann@example.org")
    assert as_typed(decoded_header(receipt.raw, "To")) == f"{ENCODED_NAME} <ann@example.org>"
    assert f"Dear {ENCODED_NAME}" in receipt.text


def test_no_header_is_written_with_a_line_break_of_its_own_whatever_reaches_it():
    """The last defence: a value that decodes to a line break is refused, never written."""
    message = EmailMessage(policy=outbox.MIME_POLICY)
    message["Subject"] = "Hello"
    message["To"] = Address(display_name=ENCODED_NAME, addr_spec="ann@example.org")
    message.set_content("Hello")
    with pytest.raises(outbox.UnsafeHeader):
        message.as_bytes()


def test_an_address_that_holds_encoded_text_goes_as_itself_or_fails_clearly(
    app, make_consultation, submit, smtp_server, runner
):
    # Both are valid addresses, so the forms take them. Python leaves the first as it is; it
    # would decode the second (and it is no address RFC 2047 allows in a header).
    inside = "ann=?utf-8?q?x=0D=0AX-Injected=3A_1?=@example.org"
    leading = "=?utf-8?q?x=0D=0AX-Injected=3A_1?=@example.org"
    for typed in (inside, leading):
        assert validate_email(typed, check_deliverability=False).normalized == typed
    make_consultation()
    submit(reference="EV-ADR1", name="Ann", email=inside)
    submit(reference="EV-ADR2", name="Bo", email=leading)

    assert "sent 3, failed 1" in send(runner)
    [receipt] = smtp_server.to(inside)
    assert receipt.rcpt_tos == [inside]
    assert addresses(receipt.message, "To") == [("Ann", inside)]
    for received in smtp_server.received:
        assert received.message["X-Injected"] is None
        assert all(len(part.keys()) == len(set(part.keys())) for part in received.message.walk())
    first, second = sorted(smtp_server.to(OFFICER), key=lambda m: str(m.message["Subject"]))
    assert addresses(first.message, "Reply-To") == [("Ann", inside)]
    # The officer still hears of the second, without a Reply-To; the address is in the text.
    assert second.message["Reply-To"] is None
    assert leading in second.text
    [failed] = emails(event_key="receipt:evidence:EV-ADR2")
    assert (failed.status, failed.attempts) == (outbox.FAILED, 1)
    assert f"{leading} cannot be written in an email header" in failed.last_error


def test_long_headers_in_any_script_are_folded_and_every_line_is_short(
    app, make_consultation, submit, smtp_server, runner
):
    # A title (near the 200 characters it may have) and a name longer than a header line,
    # in four scripts, with an emoji.
    title = " ".join(["Gwasanaethau lleol خدمات محلية 本地服务 местные услуги 🏘️"] * 3)
    name = " ".join(["Siân مريم 李华 Ольга"] * 5)
    answer = " ".join(["مرحبا"] * 2000)
    make_consultation(title=title)
    submit(reference="EV-LONG1", name=name, email="sian@example.org", answer=answer)

    assert "sent 2, failed 0" in send(runner)
    subjects = {row.message_id: row.subject for row in emails()}
    for message in smtp_server.received:
        head, _, body = message.raw.partition(b"\r\n\r\n")
        # RFC 5322 2.1.1: header lines SHOULD stay within 78 characters; no line may pass 998.
        assert max(len(line) for line in head.split(b"\r\n")) <= 78
        assert max(len(line) for line in body.split(b"\r\n")) <= 998
        # Folding and encoding lose nothing: the subject reads back as it was queued.
        assert str(message.message["Subject"]) == subjects[message.message_id]
        assert answer in message.text
    [alert] = smtp_server.to(OFFICER)
    assert name in str(alert.message["Subject"])
    [receipt] = smtp_server.to("sian@example.org")
    assert decoded_header(receipt.raw, "To") == f"{name} <sian@example.org>"


def test_a_name_cannot_send_the_officers_reply_elsewhere(
    app, make_consultation, submit, smtp_server, runner
):
    make_consultation()
    submit(
        reference="EV-INJ2", name="Mallory\r\nBcc: evil@example.org", email="mallory@example.org"
    )

    send(runner)
    [alert] = smtp_server.to(OFFICER)
    assert [address for _, address in addresses(alert.message, "Reply-To")] == [
        "mallory@example.org"
    ]


def test_a_name_with_accents_reaches_the_respondent_readable(
    app, make_consultation, submit, smtp_server, runner
):
    make_consultation()
    submit(reference="EV-ZOE1", name="Zoë Ó Briain", email="zoe@example.org")

    send(runner)
    [receipt] = smtp_server.to("zoe@example.org")
    assert addresses(receipt.message, "To") == [("Zoë Ó Briain", "zoe@example.org")]


def test_every_email_goes_as_7bit_ascii_with_short_lines_and_reads_back_intact(
    app, clock, client, make_consultation, submit, smtp_server, runner
):
    """No server is asked for 8BITMIME, so nothing on the wire may be 8bit, however short."""
    consultation = make_consultation()
    name = "Siân Ó Briain"
    words = "Hello Siân: مرحبا, 李华, Ольга 🏘️"
    submit(reference="EV-7BIT", name=name, email="sian@example.org", answer=words)
    [slot] = publish(consultation, datetime(2027, 2, 8, 10, 0, tzinfo=UTC))
    message = {**VALID_MESSAGE, "name": name, "email": "sian@example.org", "message": words}
    booked = choose(client, call_url(send_message(client, clock, message)), slot)
    assert booked.status_code == 303

    assert "sent 6, failed 0" in send(runner)
    received = smtp_server.received
    assert len(received) == 6  # an alert and a receipt each, and the call booked for both
    for each in received:
        assert max(each.raw) < 128
        assert max(len(line) for line in each.raw.split(b"\r\n")) <= 998
        encodings = {str(part["Content-Transfer-Encoding"]) for part in each.message.walk()}
        assert encodings <= {"None", "7bit", "quoted-printable", "base64"}
        assert words in each.text or name in each.text
        assert name in " ".join(BeautifulSoup(each.html, "html.parser").get_text().split())
    to_sian = smtp_server.to("sian@example.org")
    assert len(to_sian) == 3
    for each in to_sian:
        assert addresses(each.message, "To") == [(name, "sian@example.org")]
    [evidence_alert] = [m for m in smtp_server.to(OFFICER) if "EV-7BIT" in m.text]
    assert str(evidence_alert.message["Subject"]).startswith(
        f"Written evidence EV-7BIT from {name}"
    )
    assert words in evidence_alert.text
    invites = [m for m in received if m.message.get_content_type() == "multipart/mixed"]
    assert len(invites) == 2
    for each in invites:
        [calendar] = [
            part
            for part in each.message.iter_attachments()
            if part.get_content_type() == "text/calendar"
        ]
        assert calendar.get_param("method") == "REQUEST"
        [event] = invite(each).walk("VEVENT")
        assert event["ATTENDEE"].params["CN"] == name


def test_an_address_with_an_international_domain_goes_to_its_punycode_form(
    app, make_consultation, submit, smtp_server, runner
):
    """Addresses are stored with a Unicode domain; headers and envelope need it in ASCII."""
    app.config["MAIL_DEFAULT_SENDER"] = "Have your say <consultations@bücher.example>"
    make_consultation()
    submit(reference="EV-IDN1", name="Ana Müller", email="ana@bücher.example")

    assert "sent 2, failed 0" in send(runner)
    [receipt] = smtp_server.to("ana@xn--bcher-kva.example")
    assert receipt.rcpt_tos == ["ana@xn--bcher-kva.example"]
    assert addresses(receipt.message, "To") == [("Ana Müller", "ana@xn--bcher-kva.example")]
    [alert] = smtp_server.to(OFFICER)
    assert addresses(alert.message, "Reply-To") == [("Ana Müller", "ana@xn--bcher-kva.example")]
    assert "ana@bücher.example" in alert.text  # the officer reads it as the respondent typed it
    for each in (receipt, alert):
        assert each.mail_from == "consultations@xn--bcher-kva.example"
        assert addresses(each.message, "From") == [
            ("Have your say", "consultations@xn--bcher-kva.example")
        ]
        assert each.message_id.endswith("@xn--bcher-kva.example>")
        assert max(each.raw) < 128


def test_an_address_that_needs_smtputf8_fails_clearly_and_the_officer_still_hears(
    app, make_consultation, submit, smtp_server, runner
):
    make_consultation()
    submit(reference="EV-UTF8", name="José", email="josé@example.org")

    assert "sent 1, failed 1" in send(runner)
    [alert] = smtp_server.received
    assert alert.rcpt_tos == [OFFICER]
    assert alert.message["Reply-To"] is None
    assert "josé@example.org" in alert.text
    [receipt] = emails(kind="receipt")
    assert (receipt.status, receipt.attempts) == (outbox.FAILED, 1)
    assert "josé@example.org cannot be sent to" in receipt.last_error
    assert "SMTPUTF8" in receipt.last_error
    assert "sent 0, failed 0" in send(runner)  # no retry can mend it


# --- the request never waits on SMTP ---------------------------------------------------------


def test_with_smtp_down_the_request_succeeds_and_each_email_arrives_once_when_it_is_back(
    app, clock, make_consultation, submit, smtp_server, runner
):
    make_consultation()
    smtp_server.stop()  # down: nothing listens on its port now
    submit(reference="EV-DOWN", name="Jo Bloggs", email="jo@example.org")
    assert committed(app) == [
        ("alert:evidence:EV-DOWN", "pending"),
        ("receipt:evidence:EV-DOWN", "pending"),
    ]

    assert "sent 0, failed 2" in send(runner)
    rows = emails()
    queued_ids = {row.message_id for row in rows}
    for row in rows:
        assert row.status == outbox.PENDING
        assert row.attempts == 1
        assert "refused" in row.last_error.lower()
        assert row.next_attempt_at > clock.now
    retry_at = max(row.next_attempt_at for row in rows)

    smtp_server.start()
    assert "sent 0" in send(runner)  # back, but the backoff has not run out yet
    assert smtp_server.received == []

    clock.set(retry_at + timedelta(seconds=1))
    assert "sent 2, failed 0" in send(runner)
    send(runner)
    clock.advance(hours=2)
    send(runner)

    assert sorted(smtp_server.message_ids()) == sorted(queued_ids)
    assert {row.status for row in emails()} == {outbox.SENT}
    assert [row.attempts for row in emails()] == [2, 2]


def test_a_hanging_mail_server_does_not_hold_up_the_request(
    app, make_consultation, submit, hanging_smtp_server, runner
):
    make_consultation()
    submit(reference="EV-HANG", name="Jo Bloggs", email="jo@example.org")

    # The response is back and the rows are committed, and the server has not even been
    # connected to: the request never talked SMTP.
    assert hanging_smtp_server.connections == 0
    assert [status for _, status in committed(app)] == ["pending", "pending"]

    assert "failed 2" in send(runner)
    assert hanging_smtp_server.connected.is_set()  # the worker did try
    for row in emails():
        assert row.status == outbox.PENDING
        assert row.attempts == 1
        assert "timed out" in row.last_error


# --- retries ---------------------------------------------------------------------------------


class Midpoint(random.Random):
    """No jitter: always the middle of the range."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


def test_retry_delay_doubles_from_30_seconds_up_to_an_hour():
    delays = [retry_delay(attempts, Midpoint()) for attempts in range(1, 11)]
    assert [d.total_seconds() for d in delays] == [
        30,
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
        3600,
    ]


@pytest.mark.parametrize("attempts", [1, 3, 8, 20])
def test_retry_delay_has_jitter_between_half_and_one_and_a_half_times(attempts):
    base = min(30 * 2 ** (attempts - 1), 3600)
    rand = random.Random(20270201)  # noqa: S311 (jitter, not secrets)
    delays = [retry_delay(attempts, rand).total_seconds() for _ in range(300)]
    assert all(0.5 * base <= d <= 1.5 * base for d in delays)
    # Spread across the range, so emails that failed together do not retry together.
    assert min(delays) < 0.6 * base and max(delays) > 1.4 * base
    assert len(set(delays)) > 250


def test_an_email_that_keeps_failing_is_failed_shown_to_admins_and_can_be_retried(
    app, clock, make_consultation, submit, smtp_server, runner, auth, client
):
    make_consultation()
    smtp_server.stop()
    submit(reference="EV-FAIL", name="Jo Bloggs")
    [row] = emails()
    email_id = row.id

    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        assert "failed 1" in send(runner)
        [row] = emails()
        assert row.attempts == attempt
        expected = outbox.FAILED if attempt == outbox.MAX_ATTEMPTS else outbox.PENDING
        assert row.status == expected
        if row.status == outbox.PENDING:
            wait = row.next_attempt_at - clock.now
            assert timedelta(0) < wait <= timedelta(hours=1.5)
        clock.advance(hours=2)
    send(runner)  # a failed email is not tried again by itself
    [row] = emails()
    assert (row.status, row.attempts) == (outbox.FAILED, outbox.MAX_ATTEMPTS)
    last_error = row.last_error
    assert "refused" in last_error.lower()

    signed_in = auth.login()
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == "/admin/"
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    text = " ".join(soup.get_text().split())
    assert "Written evidence EV-FAIL from Jo Bloggs" in text
    assert last_error in text
    assert "Failed (1)" in text
    action = f"/admin/outbox/{email_id}/retry"
    form = soup.find("form", attrs={"action": action})
    assert form is not None, "no Retry button"
    token = form.find("input", attrs={"name": "csrf_token"})["value"]

    # Without the CSRF token nothing happens.
    assert client.post(action).status_code == 400
    assert emails()[0].status == outbox.FAILED

    done = client.post(action, data={"csrf_token": token}, follow_redirects=True)
    assert done.status_code == 200
    assert "will be sent again" in done.get_data(as_text=True)
    [row] = emails()
    assert (row.status, row.attempts) == (outbox.PENDING, 0)
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "retry_email")).all()
    assert [(event.actor, event.consultation.title) for event in audit] == [(ADMIN_EMAIL, TITLE)]
    assert "Retry email" in client.get("/admin/audit").get_data(as_text=True)

    smtp_server.start()
    assert "sent 1, failed 0" in send(runner)
    send(runner)
    assert smtp_server.message_ids() == [row.message_id]
    assert emails()[0].status == outbox.SENT


# --- several workers -------------------------------------------------------------------------


def test_two_workers_on_one_database_send_each_email_exactly_once(
    app, clock, make_consultation, smtp_server
):
    consultation = make_consultation()
    now = clock.now
    for number in range(30):
        notify_submission(
            make_submission(
                consultation,
                f"EV-{number:04d}",
                now,
                name=f"Person {number}",
                email=f"person{number}@example.org",
            ),
            now,
        )
    db.session.commit()
    queued = {row.message_id for row in emails()}
    assert len(queued) == 60

    def rounds(name: str) -> list[tuple[int, int]]:
        """Rounds of sending, like `outbox work`, until nothing is left."""
        done = []
        for _ in range(10):
            done.append(outbox.deliver_due(now, worker=name))
            left = db.session.scalar(
                select(func.count())
                .select_from(OutboxEmail)
                .where(OutboxEmail.status != outbox.SENT)
            )
            if not left:
                break
        return done

    workers = at_once(
        [partial(rounds, "A"), partial(rounds, "B")], context=app.app_context, timeout=30
    )

    ids = smtp_server.message_ids()
    assert len(ids) == len(set(ids)) == 60
    assert set(ids) == queued
    assert sum(sent for done in workers for sent, _ in done) == 60
    assert all(failed == 0 for done in workers for _, failed in done)
    assert {row.status for row in emails()} == {outbox.SENT}


def test_claiming_twice_at_the_same_moment_gives_disjoint_sets(app, clock, make_consultation):
    consultation = make_consultation()
    now = clock.now
    for number in range(3):
        notify_submission(
            make_submission(consultation, f"EV-C{number}", now, email=f"c{number}@example.org"), now
        )
    db.session.commit()

    first = {email.id for email in outbox.claim_due(now, "A", limit=4)}
    second = {email.id for email in outbox.claim_due(now, "B", limit=4)}
    third = outbox.claim_due(now, "C")

    assert len(first) == 4 and len(second) == 2
    assert first.isdisjoint(second)
    assert first | second == {row.id for row in emails()}
    assert third == []
    assert {row.claimed_by for row in emails() if row.id in first} == {"A"}


def test_a_worker_that_saw_the_same_due_emails_as_another_claims_none_of_them(
    app, clock, make_consultation
):
    """Both look for due emails at once; one takes them all and the other none.

    On SQLite both read the same candidates and the one that updates second wins nothing;
    on PostgreSQL the first one's FOR UPDATE hides them from the second (SKIP LOCKED).
    """
    consultation = make_consultation()
    now = clock.now
    notify_submission(make_submission(consultation, "EV-RACE", now, email="r@example.org"), now)
    db.session.commit()

    paused, go_on = threading.Event(), threading.Event()
    claimed: dict[str, list[int]] = {}
    errors: list[BaseException] = []

    def worker_a() -> None:
        try:
            with app.app_context():
                claimed["A"] = [email.id for email in outbox.claim_due(now, "A")]
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    thread = threading.Thread(target=worker_a)

    def pause_a_before_it_claims(conn, cursor, statement, parameters, context, executemany):
        if (
            threading.current_thread() is thread
            and statement.lstrip().upper().startswith("UPDATE OUTBOX_EMAIL")
            and not paused.is_set()
        ):
            paused.set()
            go_on.wait(timeout=10)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", pause_a_before_it_claims)
    try:
        thread.start()
        assert paused.wait(timeout=10), "worker A never tried to claim"
        claimed["B"] = [email.id for email in outbox.claim_due(now, "B")]
        go_on.set()
        thread.join(timeout=10)
    finally:
        go_on.set()
        event.remove(engine, "before_cursor_execute", pause_a_before_it_claims)
    assert not thread.is_alive()
    assert errors == []

    everything = [row.id for row in emails()]
    assert len(everything) == 2
    winner = "B" if claimed["B"] else "A"
    assert sorted(claimed[winner]) == everything
    assert claimed["A" if winner == "B" else "B"] == []
    assert {row.claimed_by for row in emails()} == {winner}


def test_a_worker_whose_lease_ran_out_does_not_send_what_another_worker_took_over(
    app, clock, make_consultation, smtp_server
):
    consultation = make_consultation()
    start = clock.now
    notify_submission(make_submission(consultation, "EV-SLOW", start, email="s@example.org"), start)
    db.session.commit()
    alert, receipt = emails()

    release = smtp_server.hold_next(1)  # worker A gets stuck on its first email (the alert)
    errors: list[BaseException] = []

    def worker_a() -> None:
        try:
            with app.app_context():
                outbox.deliver_due(start, worker="A")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    thread = threading.Thread(target=worker_a)
    thread.start()
    try:
        assert smtp_server.handler.holding.wait(timeout=10), "worker A never sent"
        # A's batch has now taken longer than its lease; worker B takes over what is left.
        clock.advance(minutes=6)
        assert outbox.deliver_due(clock.now, worker="B") == (2, 0)
    finally:
        release.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert errors == []

    # The alert was in flight when A's lease ran out, so B sending it again is the price of
    # leases. The receipt had not been started by A: it must arrive once.
    assert smtp_server.message_ids().count(receipt.message_id) == 1


GONE = "gone@example.org"


@pytest.mark.parametrize("unsubscribes", ["after the lease ran out", "before the lease ran out"])
def test_an_email_whose_worker_died_is_not_sent_once_its_address_unsubscribed(
    app, clock, runner, smtp_server, unsubscribes
):
    subscriptions.sign_up(subscriptions.SignUp(email=GONE, site_updates=True), clock.now)
    db.session.commit()
    [claimed] = outbox.claim_due(clock.now, "a worker that dies before sending it")
    assert (claimed.kind, claimed.status) == ("updates_confirm", outbox.SENDING)

    if unsubscribes == "after the lease ran out":
        clock.advance(minutes=10)
    subscriptions.unsubscribe(db.session.scalar(select(Subscriber)), clock.now)
    if unsubscribes == "before the lease ran out":
        # While the lease runs, its worker may yet record the outcome: the row is left to it.
        assert "sent 0, failed 0" in send(runner)
        [row] = emails()
        assert (row.status, row.to_addr) == (outbox.SENDING, GONE)
        clock.advance(minutes=10)

    assert "sent 0, failed 0" in send(runner)

    assert smtp_server.received == []
    [row] = emails()
    assert row.status == outbox.WITHDRAWN
    assert (row.to_addr, row.subject) == (outbox.FORGOTTEN, outbox.FORGOTTEN)
    assert GONE not in row.body_text + row.body_html + row.cc_addr + row.reply_to
    assert (row.attempts, row.sent_at, row.lease_until) == (0, None, None)
    clock.advance(hours=2)
    send(runner)
    assert smtp_server.received == []


def test_an_email_whose_worker_died_after_its_moment_passed_is_withdrawn_and_kept(
    app, clock, runner, smtp_server, make_consultation
):
    """Past its send_before but not to be forgotten (a call's reminder once the call has
    begun): withdrawn unsent, with what it said kept for the admins' list."""
    consultation = make_consultation()
    outbox.queue_email(
        event_key="reminder:EV-LATE",
        kind="reminder",
        to="late@example.org",
        template="receipt",
        context={
            "submission": make_submission(consultation, "EV-LATE", clock.now),
            "consultation": consultation,
        },
        send_before=clock.now + timedelta(minutes=3),
        now=clock.now,
    )
    db.session.commit()
    assert len(outbox.claim_due(clock.now, "a worker that dies before sending it")) == 1
    clock.advance(minutes=10)

    assert "sent 0, failed 0" in send(runner)

    assert smtp_server.received == []
    [row] = emails()
    assert row.status == outbox.WITHDRAWN
    assert row.to_addr == "late@example.org"
    assert "EV-LATE" in row.subject


# --- one event, one email --------------------------------------------------------------------


def test_one_event_can_never_queue_two_emails(app, clock, make_consultation, submit):
    consultation = make_consultation()
    submit(reference="EV-ONCE", name="Jo", email="jo@example.org")
    assert len(emails()) == 2

    notify_submission(
        make_submission(consultation, "EV-ONCE", clock.now, email="jo@example.org"), clock.now
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert [key for key, _ in committed(app)] == [
        "alert:evidence:EV-ONCE",
        "receipt:evidence:EV-ONCE",
    ]


# --- reminders and closing summaries ---------------------------------------------------------

CLOSES = datetime(2027, 6, 30, 16, 0, tzinfo=UTC)  # 5pm UK time (BST)


def kinds(server) -> list[str]:
    return [str(m.message["Subject"]).split(":")[0] for m in server.received]


def test_one_reminder_a_day_before_the_deadline_and_one_summary_after_it(
    app, clock, make_consultation, smtp_server, runner
):
    app.config["SITE_URL"] = SITE_URL
    make_consultation(closes_at=CLOSES)

    clock.set(CLOSES - timedelta(hours=25))
    send(runner)
    send(runner)
    assert smtp_server.received == []

    clock.set(CLOSES - timedelta(hours=23))
    send(runner)
    clock.advance(minutes=10)
    send(runner)
    work(runner, rounds=3)
    clock.advance(hours=12)
    send(runner)
    [reminder] = smtp_server.received
    assert reminder.rcpt_tos == [OFFICER]
    assert reminder.message["Subject"] == f"Closes in 24 hours: {TITLE}"
    assert "5pm UK time on 30 June 2027" in reminder.text
    assert f"{SITE_URL}/admin/" in reminder.text
    assert "5pm UK time on 30 June 2027" in " ".join(
        BeautifulSoup(reminder.html, "html.parser").get_text().split()
    )

    clock.set(CLOSES - timedelta(seconds=1))
    send(runner)
    assert len(smtp_server.received) == 1  # no summary while it is still open

    clock.set(CLOSES + timedelta(minutes=1))
    send(runner)
    send(runner)
    clock.advance(days=1)
    work(runner, rounds=3)
    assert kinds(smtp_server) == ["Closes in 24 hours", "Closed"]
    summary = smtp_server.received[1]
    assert summary.message["Subject"] == f"Closed: {TITLE}"
    assert "closed 5pm UK time on 30 June 2027" in summary.text
    assert summary.message_id != reminder.message_id
    assert sorted(row.kind for row in emails()) == ["closing_summary", "reminder"]


def test_a_consultation_closed_early_by_an_admin_gets_no_reminder(
    app, clock, make_consultation, smtp_server, runner
):
    make_consultation(closes_at=CLOSES, override="closed")
    clock.set(CLOSES - timedelta(hours=23))
    send(runner)
    clock.advance(hours=1)
    send(runner)
    assert smtp_server.received == []
    assert emails() == []


def test_moving_the_deadline_later_gives_a_reminder_for_the_new_deadline(
    app, clock, make_consultation, smtp_server, runner
):
    consultation = make_consultation(closes_at=CLOSES)
    clock.set(CLOSES - timedelta(hours=23))
    send(runner)
    assert kinds(smtp_server) == ["Closes in 24 hours"]

    consultation = db.session.get(Consultation, consultation.id)
    consultation.closes_at = CLOSES + timedelta(days=3)
    db.session.commit()

    clock.set(CLOSES + timedelta(minutes=1))  # the old deadline: still open now
    send(runner)
    assert kinds(smtp_server) == ["Closes in 24 hours"]

    clock.set(CLOSES + timedelta(days=3) - timedelta(hours=20))
    send(runner)
    send(runner)
    assert kinds(smtp_server) == ["Closes in 24 hours", "Closes in 24 hours"]
    assert "5pm UK time on 3 July 2027" in smtp_server.received[1].text


# --- the daily digest ------------------------------------------------------------------------


def test_daily_digest_lists_the_submissions_in_one_email_with_a_safe_csv(
    app, clock, make_consultation, submit, smtp_server, runner
):
    clock.set(datetime(2027, 7, 6, 0, 0, tzinfo=UTC))  # 1am UK time (BST)
    slug = make_consultation(alert_mode="daily").slug
    submit(
        reference="EV-DAY1",
        name="Ann Example",
        email="ann@example.org",
        organisation="Parish Council",
    )
    send(runner)
    clock.advance(hours=4)  # 5am UK time
    submit(
        reference="EV-DAY2",
        name='=HYPERLINK("http://evil.example","x")',
        email="bob@example.org",
        organisation="=1+2",
        respondent_type="@SUM(A1)",
    )
    send(runner)

    # Receipts go at once; the officer's alerts wait for the digest.
    assert sorted(r for m in smtp_server.received for r in m.rcpt_tos) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert [row.status for row in emails(kind="alert")] == [outbox.HELD, outbox.HELD]

    clock.set(datetime(2027, 7, 6, 6, 59, tzinfo=UTC))  # 7:59am UK time: not yet
    send(runner)
    assert smtp_server.to(OFFICER) == []

    clock.set(datetime(2027, 7, 6, 7, 30, tzinfo=UTC))  # 8:30am UK time
    send(runner)
    clock.advance(hours=1)
    send(runner)
    clock.advance(hours=10)
    work(runner, rounds=2)

    [digest] = smtp_server.to(OFFICER)
    assert digest.message["Subject"] == f"2 new submissions: {TITLE}"
    for part in (digest.text, digest.html):
        assert "EV-DAY1" in part and "EV-DAY2" in part
    [attachment] = list(digest.message.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == f"{slug}-2027-07-06.csv"
    data = attachment.get_payload(decode=True)
    assert data.startswith("\ufeff".encode())  # the BOM that makes Excel read UTF-8
    text = data.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [row["reference"] for row in table] == ["EV-DAY1", "EV-DAY2"]
    assert table[0]["name"] == "Ann Example"
    assert table[0]["organisation"] == "Parish Council"
    assert table[1]["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert table[1]["organisation"] == "'=1+2"
    assert table[1]["respondent_type"] == "'@SUM(A1)"
    assert [row.status for row in emails(kind="alert")] == [outbox.DIGESTED, outbox.DIGESTED]

    # The next morning, with nothing new, there is no digest at all.
    clock.set(datetime(2027, 7, 7, 7, 30, tzinfo=UTC))
    send(runner)
    assert len(smtp_server.to(OFFICER)) == 1


def test_daily_digest_holds_submissions_made_during_the_day_until_the_next_morning(
    app, clock, make_consultation, submit, smtp_server, runner
):
    clock.set(datetime(2027, 7, 5, 13, 0, tzinfo=UTC))  # 2pm UK time
    make_consultation(alert_mode="daily")
    submit(reference="EV-PM01", name="Ann Example", email="ann@example.org")
    send(runner)
    clock.advance(hours=3)
    submit(reference="EV-PM02", name="Bob Example", email="bob@example.org")
    send(runner)
    assert smtp_server.to(OFFICER) == []  # not before the morning

    clock.set(datetime(2027, 7, 6, 7, 30, tzinfo=UTC))  # 8:30am UK time the next day
    send(runner)
    [digest] = smtp_server.to(OFFICER)
    assert "EV-PM01" in digest.text and "EV-PM02" in digest.text


def test_a_receipt_queued_after_a_mailing_is_sent_before_the_mailing(app, clock, make_consultation):
    """A receipt must not wait behind ten thousand updates."""
    consultation = make_consultation()
    earlier = clock.now
    mailing = Mailing(kind="update", subject="News", created_by=ADMIN_EMAIL)
    db.session.add(mailing)
    db.session.flush()
    outbox.queue_many(
        [
            {
                "event_key": f"mailing:{mailing.id}:{number}",
                "kind": "mailing_update",
                "to_addr": f"reader{number}@example.org",
                "subject": "News",
                "body_text": "News",
                "body_html": "<p>News</p>",
                "mailing_id": mailing.id,
            }
            for number in range(5)
        ],
        earlier,
    )
    db.session.commit()
    clock.advance(minutes=1)
    notify_submission(
        make_submission(consultation, "EV-R1", clock.now, email="r@example.org"), clock.now
    )
    db.session.commit()

    claimed = outbox.claim_due(clock.now, "A", limit=2)

    assert {email.kind for email in claimed} == {"alert", "receipt"}
    assert all(email.mailing_id is None for email in claimed)
