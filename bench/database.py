"""The bench's own reads and writes of the site's database, each on a connection of its
own that is closed at once (no pool), so that nothing of the bench's holds a lock or a
connection while the site is under load."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy
import sqlalchemy.pool

from app.mail import outbox
from app.models import OutboxEmail


@contextmanager
def connected(database_url: str, *, write: bool = False) -> Iterator[sqlalchemy.Connection]:
    """A connection to the database, in a transaction committed at the end if `write`."""
    engine = sqlalchemy.create_engine(database_url, poolclass=sqlalchemy.pool.NullPool)
    try:
        with engine.begin() if write else engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def scalar(database_url: str, statement):
    """The one value `statement` selects."""
    with connected(database_url) as connection:
        return connection.execute(statement).scalar_one()


def withdraw_unsent(database_url: str) -> int:
    """Withdraw every email the worker would still send or retry; how many were withdrawn.

    The bench's loads with a slow or dead mail server leave emails behind; a load that
    counts what the worker delivers withdraws them first, so it counts its own alone.
    """
    table = OutboxEmail.__table__
    with connected(database_url, write=True) as connection:
        return connection.execute(
            sqlalchemy.update(table)
            .where(table.c.status.in_([outbox.PENDING, outbox.SENDING, outbox.FAILED]))
            .values(status=outbox.WITHDRAWN, lease_until=None)
        ).rowcount
