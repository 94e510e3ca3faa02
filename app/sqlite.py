"""SQLite settings chosen on purpose (see the README on durability)."""

from sqlalchemy import event
from sqlalchemy.engine import Engine


def tune_sqlite(engine: Engine) -> None:
    """Turn on WAL, a busy timeout and foreign keys for every new connection."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        # WAL lets readers go on while one writer commits.
        cursor.execute("PRAGMA journal_mode=WAL")
        # Writers queue for up to 5 s instead of failing at once with "database is locked".
        cursor.execute("PRAGMA busy_timeout=5000")
        # FULL syncs every commit to disk: a response we thanked someone for survives
        # a power cut. NORMAL would be faster but may lose the last commits.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
