"""The column types and defaults every table shares."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, TypeDecorator

# The largest value an INTEGER id holds (PostgreSQL's limit; SQLite's is larger).
LARGEST_ID = 2_147_483_647


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as naive UTC and gives them back aware.

    SQLite keeps no zone, so without this a time read back would lose it.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("refusing to store a time without a zone")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def new_stamp() -> int:
    """A random number that marks one state of something, such as a survey's questions."""
    return secrets.randbits(62)
