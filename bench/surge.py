"""The deadline surge: survey journeys arriving at a steady rate (an open loop) while the
outbox worker delivers to a mail server that answers normally; then the checks that every
response was stored and every email delivered once."""

from __future__ import annotations

import time
from collections import Counter

import sqlalchemy

from app.mail import outbox
from app.models import OutboxEmail, Response
from bench import database, load, servers

# What the worker may still do to a row. Held alerts wait for the officer's daily digest
# (digested once in it), and withdrawn emails are never sent: none is owed to the mail
# server now.
UNFINISHED = (outbox.PENDING, outbox.SENDING)
NOT_OWED = (outbox.HELD, outbox.DIGESTED, outbox.WITHDRAWN)
# The worker delivers slower than a surge queues (two emails a journey): allow it time.
DRAIN_LIMIT_S = 1800


def _stored(database_url: str) -> int:
    """Survey responses sent so far."""
    table = Response.__table__
    return database.scalar(
        database_url,
        sqlalchemy.select(sqlalchemy.func.count())
        .select_from(table)
        .where(table.c.channel == "survey", table.c.submitted_at.is_not(None)),
    )


def _last_id(database_url: str, table: sqlalchemy.Table) -> int:
    highest = sqlalchemy.func.coalesce(sqlalchemy.func.max(table.c.id), 0)
    return database.scalar(database_url, sqlalchemy.select(highest))


def _unfinished(database_url: str, after_id: int) -> int:
    table = OutboxEmail.__table__
    return database.scalar(
        database_url,
        sqlalchemy.select(sqlalchemy.func.count())
        .select_from(table)
        .where(table.c.id > after_id, table.c.status.in_(UNFINISHED)),
    )


def _wait(until, limit: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + limit
    while not until():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def _rows(database_url: str, response_after: int, email_after: int):
    """The references of the surge's stored responses, and the outbox rows made since."""
    responses, emails = Response.__table__, OutboxEmail.__table__
    with database.connected(database_url) as connection:
        references = connection.execute(
            sqlalchemy.select(responses.c.reference).where(
                responses.c.id > response_after,
                responses.c.channel == "survey",
                responses.c.submitted_at.is_not(None),
            )
        ).scalars()
        rows = connection.execute(
            sqlalchemy.select(
                emails.c.event_key, emails.c.kind, emails.c.status, emails.c.message_id
            ).where(emails.c.id > email_after)
        ).all()
        return list(references), rows


def emails_check(references: list[str], rows, received: Counter[str]) -> dict:
    """Whether the mail server received each email the outbox holds as sent exactly once,
    and nothing else; and whether each stored response's receipt and alert were among them.
    """
    owed = [row for row in rows if row.status not in NOT_OWED]
    sent = {row.message_id for row in owed if row.status == outbox.SENT}
    by_key = {row.event_key: row for row in rows}
    once = {message_id for message_id, times in received.items() if times == 1}
    # Each response's two emails: the respondent's receipt and the officer's alert.
    missing_for_responses = sum(
        1
        for reference in references
        for key in (f"receipt:survey:{reference}", f"alert:survey:{reference}")
        if key not in by_key or by_key[key].message_id not in once
    )
    return {
        "outbox_rows": len(rows),
        "statuses": dict(Counter(row.status for row in rows)),
        "kinds": dict(Counter(row.kind for row in rows)),
        "owed": len(owed),
        "sent": len(sent),
        "received": received.total(),
        "not_sent": len(owed) - len(sent),
        "sent_not_received": len(sent - set(received)),
        "received_more_than_once": sum(times - 1 for times in received.values() if times > 1),
        "received_not_sent": sum(
            times for message_id, times in received.items() if message_id not in sent
        ),
        "responses_missing_an_email": missing_for_responses,
    }


def measure(base_url: str, env: dict, database_url: str, options, survey: tuple[str, str]):
    """Survey journeys arriving at options.arrivals_per_s for options.surge_seconds while
    the worker delivers; then wait for it to deliver everything, and check."""
    withdrawn = database.withdraw_unsent(database_url)
    stored_before = _stored(database_url)
    response_after = _last_id(database_url, Response.__table__)
    email_after = _last_id(database_url, OutboxEmail.__table__)
    with (
        servers.mail_server("normal") as mail,
        servers.outbox_worker(servers.mail_settings(env, mail), wait_until_started=True),
    ):
        figures = load.arrivals(base_url, *survey, options.arrivals_per_s, options.surge_seconds)
        delivered_during = mail.received
        started = time.monotonic()
        drained = _wait(lambda: _unfinished(database_url, email_after) == 0, DRAIN_LIMIT_S)
        figures["drain_s"] = time.monotonic() - started
        received = Counter(mail.message_ids)
    references, rows = _rows(database_url, response_after, email_after)
    figures["stored"] = _stored(database_url) - stored_before
    figures["stored_equals_completed"] = figures["stored"] == figures["journeys_completed"]
    figures["earlier_emails_withdrawn"] = withdrawn
    figures["emails_delivered_during_surge"] = delivered_during
    figures["emails_drained"] = drained
    figures["emails"] = emails_check(references, rows, received)
    emails = figures["emails"]
    figures["emails_once"] = drained and not any(
        emails[key]
        for key in (
            "not_sent",
            "sent_not_received",
            "received_more_than_once",
            "received_not_sent",
            "responses_missing_an_email",
        )
    )
    return figures
