"""SQLite settings chosen on purpose (see the README on durability)."""

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
