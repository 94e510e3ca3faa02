"""The test's database made unable to store anything, for real: locked by another
connection, or read-only, as a busy server or a standby makes it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy import event

from app.extensions import db


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class Trouble:
    """Makes the test's database locked or read-only, for real, inside a `with`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")

    @contextmanager
    def locked(self) -> Iterator[Callable[[], None]]:
        """Another connection holds the database's write lock (SQLite), or an EXCLUSIVE
        lock on every table (PostgreSQL): reading goes on, writing waits, then fails.
        Gives a function that lets go of the lock before the end (nothing is committed)."""
        if self.sqlite:
            holder = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
        else:
            holder = psycopg.connect(_libpq(self.url))
            tables = holder.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            names = ", ".join(f'"{table}"' for (table,) in tables)
            holder.execute(f"LOCK TABLE {names} IN EXCLUSIVE MODE")
        try:
            yield holder.close  # closed without a commit: the lock goes, nothing changes
        finally:
            holder.close()

    @contextmanager
    def read_only(self) -> Iterator[None]:
        """The app's connections are query-only (SQLite: the suite runs as root, so a
        read-only file would not stop it), or the database is read-only (PostgreSQL), as
        on a standby. The pool is emptied so that every connection is a new one."""

        def query_only(dbapi_connection, _record) -> None:
            dbapi_connection.execute("PRAGMA query_only = ON")

        if self.sqlite:
            event.listen(db.engine, "connect", query_only)
        else:
            self._postgres_setting("SET default_transaction_read_only = on")
        self._new_connections()
        try:
            yield
        finally:
            if self.sqlite:
                event.remove(db.engine, "connect", query_only)
            else:
                self._postgres_setting("RESET default_transaction_read_only")
            self._new_connections()

    def _postgres_setting(self, setting: str) -> None:
        name = self.url.rsplit("/", 1)[1]
        with psycopg.connect(_libpq(self.url), autocommit=True) as connection:
            # Connections made while it is read-only start read-only, this one too.
            connection.execute("SET default_transaction_read_only = off")
            connection.execute(f'ALTER DATABASE "{name}" {setting}')

    @staticmethod
    def _new_connections() -> None:
        db.session.rollback()
        db.engine.dispose()
