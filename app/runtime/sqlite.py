"""Database settings chosen on purpose: SQLite's (see the README on durability), and
PostgreSQL's lock timeout."""

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine


def tune_sqlite(engine: Engine) -> None:
    """Turn on WAL, a busy timeout and foreign keys for every new connection.

    Called while the app is being made: the busy timeout is its DATABASE_BUSY_SECONDS.
    """
    busy_ms = round(current_app.config["DATABASE_BUSY_SECONDS"] * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        # WAL lets readers go on while one writer commits.
        cursor.execute("PRAGMA journal_mode=WAL")
        # Writers queue (5 s by default) instead of failing at once with "database is
        # locked"; after that the person is asked to send again (app.errors).
        cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
        # FULL syncs every commit to disk: a response we thanked someone for survives
        # a power cut. NORMAL would be faster but may lose the last commits.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def tune_postgresql(engine: Engine) -> None:
    """Give up waiting for a lock after DATABASE_BUSY_SECONDS on every new connection.

    Called while the app is being made. Set with SET rather than as a startup `options`
    parameter: that would replace any `options` in DATABASE_URL, and PgBouncer refuses
    it unless told to ignore it.
    """
    wait_ms = round(current_app.config["DATABASE_BUSY_SECONDS"] * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {wait_ms:d}")
        # Committed, or the pool's rollback on the connection's first return would undo it.
        dbapi_connection.commit()
