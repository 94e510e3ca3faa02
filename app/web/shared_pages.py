"""Whole pages kept for visitors who send no cookie, for the second they were drawn in.

A visitor who sends no cookie of this site has no session, no sign-in and no preview:
what a page shows them depends only on its address, the database and the time. The
consultation list and a consultation's page are such pages, and the ones a deadline
brings most visitors to. So each worker keeps the finished response of such a page
(compressed, with its headers) and gives it, without running the app, to the next
visitor with no cookie who asks for the same thing in the same second.

What keeps a kept page true:
- It is kept only for the second of the app's clock it was drawn in, so a deadline that
  passes shows within a second.
- A commit in this process that wrote to a table these pages show starts afresh, so a
  change made here shows on the next request. A change made by another worker shows
  when the second ends.
- Only a response that sets no cookie is kept, and only a view marked `shared` may be:
  a page with a CSRF token starts a session, so it is never kept.
- Only a plain GET is answered from it: no cookie, no query, nothing conditional, no
  range and nothing from htmx, which may ask for part of a page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from app.models import Consultation, NewsPost, utcnow

# Set in a request's environ by a view whose page may be shared.
SHARED = "consultations.shared_page"
# Tables whose rows the shared pages show.
SHOWN = (Consultation.__table__.name, NewsPost.__table__.name)
_WRITES = tuple(
    f"{verb} {table}" for table in SHOWN for verb in ("INSERT INTO", "UPDATE", "DELETE FROM")
)
# Request headers that make the answer depend on more than the address.
_PERSONAL = ("HTTP_COOKIE", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE")
# More pages than this in one second means Host headers are being made up: keep no more.
MOST_KEPT = 64

# Renewed after each commit in this process that changed what the pages show.
_changes = 0


def shared(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark `view`'s page as one that visitors with no cookie may share."""

    @wraps(view)
    def marked(*args: Any, **kwargs: Any) -> Any:
        request.environ[SHARED] = True
        return view(*args, **kwargs)

    return marked


class SharedPages:
    """WSGI middleware around the app that keeps and gives out shared pages."""

    def __init__(self, app: Flask, wsgi_app: Callable) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._moment: tuple[int, int] | None = None
        self._kept: dict[tuple, tuple[str, list, bytes]] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = _key(environ)
        if key is None or self.app.jinja_env.auto_reload:
            return self.wsgi_app(environ, start_response)
        moment = (int(self.app.config.get("CLOCK", utcnow)().timestamp()), _changes)
        if moment != self._moment:
            self._moment, self._kept = moment, {}
        kept = self._kept
        found = kept.get(key)
        if found is not None:
            status, headers, body = found
            start_response(status, list(headers))
            return [body]
        started: list = []

        def start(status: str, headers: list, exc_info: Any = None) -> Callable:
            started[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, start)
        if not environ.get(SHARED) or len(kept) >= MOST_KEPT:
            return body
        status, headers = started
        if not status.startswith("200 ") or any(
            name.lower() == "set-cookie" for name, _ in headers
        ):
            return body
        try:
            whole = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        kept[key] = (status, list(headers), whole)
        return [whole]


def _key(environ: dict) -> tuple | None:
    """What a shared page's answer depends on besides the time, or None if it may not be
    answered from what is kept."""
    if environ["REQUEST_METHOD"] != "GET" or environ.get("QUERY_STRING"):
        return None
    if any(environ.get(name) for name in _PERSONAL):
        return None
    if any(name.startswith("HTTP_HX_") for name in environ):
        return None
    return (
        environ["wsgi.url_scheme"],
        environ.get("HTTP_HOST", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("HTTP_ACCEPT_ENCODING", ""),
    )


def init_app(app: Flask) -> None:
    """Put the keeper in front of the app (inside any proxy fix, so it sees the address
    the visitor asked for)."""
    app.wsgi_app = SharedPages(app, app.wsgi_app)  # type: ignore[method-assign]


# A write to a shown table marks its connection; once the commit is done and the
# connection is back in the pool, the pages start afresh. Not before the commit: a page
# drawn in between would be kept as new while showing what was there before.
@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
    if statement.startswith(_WRITES):
        conn.info["wrote_shown"] = True


@event.listens_for(Engine, "commit")
def _note_commit(conn) -> None:  # noqa: ANN001
    if conn.info.pop("wrote_shown", False):
        conn.info["committed_shown"] = True


@event.listens_for(Engine, "rollback")
def _forget_write(conn) -> None:  # noqa: ANN001
    conn.info.pop("wrote_shown", None)


@event.listens_for(Pool, "checkin")
def _start_afresh(dbapi_connection, connection_record) -> None:  # noqa: ANN001
    global _changes
    if connection_record is not None and connection_record.info.pop("committed_shown", False):
        _changes += 1
