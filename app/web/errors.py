"""Friendly error pages; a failed request rolls the session back."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, make_response, render_template, request, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, InternalServerError
from wtforms import PasswordField
from wtforms.fields.core import UnboundField

from app.extensions import NO_ORIGIN, OTHER_ORIGIN, db, limiter
from app.web.forms import NOT_SENT, clean_text, not_sent_message
from app.web.rendering import whole_page_for_htmx

MESSAGES = {
    400: ("There is a problem with your request", "Go back, reload the page and try again."),
    403: ("You cannot see this page", "Your account does not give you access to this page."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Page not found", "If you typed the web address, check it is correct."),
    410: ("This page has gone", "The page you are looking for is no longer available."),
    413: (
        "What you sent is too large",
        "What you sent is larger than this site accepts. If you attached files, send smaller ones.",
    ),
    429: (
        "Too many attempts",
        "You have tried too many times in a short time. Wait a few minutes, then try again.",
    ),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. What you sent was not saved.",
    ),
}


# What a person is told when a form fails its forgery checks, by the reason. A missing,
# forged or stale token means the page is older than the session it was sent in.
SESSION_EXPIRED = (
    "Your session has expired",
    "For your security the page timed out. Go back, reload the page and send it again.",
)
CSRF_MESSAGES = {
    NO_ORIGIN: (
        "Your browser did not say which site the form came from",
        "For your security we only accept forms that your browser says come from this site."
        " A browser setting or add-on may have stopped it saying so. Reload the page and send"
        " it again, or try another browser.",
    ),
    OTHER_ORIGIN: (
        "This form was sent from another website",
        "For your security we only accept forms sent from the pages of this site. Go to the"
        " page on this site and send the form again.",
    ),
}


def render_error(status: int, title: str | None = None, message: str | None = None):
    """The error page for `status`, with an optional more specific message."""
    default_title, default_message = MESSAGES.get(status, MESSAGES[500])
    page = render_template(
        "errors/error.html",
        status=status,
        title=title or default_title,
        message=message or default_message,
    )
    return whole_page_for_htmx(make_response(page, status))


def init_app(app: Flask) -> None:
    """Register the handlers."""

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError):
        """The form failed a check against forgery: say which, never blaming the wrong thing."""
        return render_error(400, *CSRF_MESSAGES.get(error.description, SESSION_EXPIRED))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        """Any 4xx with our own page."""
        status = error.code or 500
        if status >= 500:
            return server_error(error)
        return render_error(status)

    @app.errorhandler(InternalServerError)
    def server_error(error: Exception):
        """Roll back whatever the failed request had started, then apologise."""
        db.session.rollback()
        return render_error(500)

    app.register_error_handler(DBAPIError, database_unavailable)
    app.register_error_handler(PoolTimeout, database_unavailable)


# --- The database cannot store anything for a moment -------------------------------------
#
# Decision: written once, here, not in each view. A write that fails because the database
# is busy (locked), read-only or unreachable is rolled back and the request is run again
# with every form refused (app.forms: the message goes in `g`), so each view shows its own
# page with everything typed kept, exactly as for a validation error; the answer is then
# 503 with Retry-After. A view that would write even so (a send button with no fields,
# such as checking survey answers or cancelling a call) is stopped before it writes, and
# gets a page that sends what was posted again (passwords typed again, never written into
# the page; with documents, a link back to the form instead, since a page cannot hold a
# chosen file). Any other database error is a fault in the site and stays a 500.

BUSY, READ_ONLY, UNREACHABLE = "busy", "read-only", "unreachable"
RETRY_AFTER_SECONDS = 5
BUSY_TITLE = "Sorry, the service is busy"
SUBMIT_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Where "your answers were not sent" or "your changes were not saved" would be wrong.
NOT_DONE = {
    "admin.login": "You could not be signed in because the service is busy.",
    "admin.logout": "You could not be signed out because the service is busy.",
}
# Never written back into a page, whatever form they come from, besides every field a
# form of the site declares as a PasswordField.
PASSWORD_NAMES = ("password", "confirm")

# SQLite's primary result codes (sqlite3.Error.sqlite_errorcode, low byte): BUSY, LOCKED,
# PROTOCOL (a WAL lock race), READONLY and CANTOPEN.
_SQLITE_TROUBLE = {5: BUSY, 6: BUSY, 15: BUSY, 8: READ_ONLY, 14: UNREACHABLE}
# PostgreSQL's SQLSTATEs; besides these, class 08 is a lost or refused connection.
_POSTGRES_TROUBLE = {
    "55P03": BUSY,  # lock_not_available: lock_timeout ran out
    "40001": BUSY,  # serialization_failure
    "40P01": BUSY,  # deadlock_detected
    "57014": BUSY,  # query_canceled: statement_timeout ran out
    "53300": BUSY,  # too_many_connections
    "25006": READ_ONLY,  # read_only_sql_transaction: a standby, or made read-only
    "57P01": UNREACHABLE,  # admin_shutdown
    "57P02": UNREACHABLE,  # crash_shutdown
    "57P03": UNREACHABLE,  # cannot_connect_now: starting up
}


def database_trouble(error: BaseException) -> str | None:
    """BUSY, READ_ONLY or UNREACHABLE when `error` says the database cannot store anything
    for now, through no fault of the request; None for anything else (a bug, bad data),
    which stays a 500."""
    if isinstance(error, PoolTimeout):
        return BUSY  # every connection of the pool stayed in use
    if not isinstance(error, DBAPIError):
        return None
    if error.connection_invalidated:
        return UNREACHABLE
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code is not None:
        return _SQLITE_TROUBLE.get(code & 0xFF)
    sqlstate = getattr(error.orig, "sqlstate", "")
    if sqlstate is None:  # psycopg: no server answered (refused, closed, timed out)
        return UNREACHABLE if isinstance(error, OperationalError) else None
    if sqlstate.startswith("08"):
        return UNREACHABLE
    return _POSTGRES_TROUBLE.get(sqlstate)


class WriteRefused(Exception):
    """A view run again only to show its page tried to write."""


def _showing_again() -> bool:
    """Whether this request is being run again, only to show its page with the message."""
    return not_sent_message() is not None


@event.listens_for(Session, "before_flush")
def _no_flush_when_showing_again(session: Session, _context, _instances) -> None:
    """A request run again to show its form stores nothing (and waits for no lock)."""
    if _showing_again() and (session.new or session.dirty or session.deleted):
        raise WriteRefused("flush while showing a form again")


@event.listens_for(Session, "do_orm_execute")
def _no_statement_when_showing_again(state) -> None:
    """As above, for UPDATE, INSERT and DELETE statements run through the session."""
    if _showing_again() and (state.is_insert or state.is_update or state.is_delete):
        raise WriteRefused("write while showing a form again")


# Running the request again is not another attempt: it does not count against the limits.
limiter.request_filter(_showing_again)


def database_unavailable(error: Exception):
    """The database is busy, read-only or unreachable: roll back and answer 503 with
    Retry-After. A form sent is shown again with what was typed; any other request gets
    a page saying to try again in a moment. Other database errors are raised again, for
    Flask to log and answer with the 500 page as before."""
    trouble = database_trouble(error)
    if trouble is None:
        raise error
    _roll_back()
    reason = str(getattr(error, "orig", error)).strip().splitlines()
    current_app.logger.warning(
        "Database %s (%s): answered 503 to %s %s",
        trouble,
        reason[0] if reason else type(error).__name__,
        request.method,
        request.path,
    )
    if request.method in SUBMIT_METHODS and not _showing_again():
        return _form_again(_not_sent_text())
    return _busy(render_error(503, BUSY_TITLE, "Try again in a moment."))


def _roll_back() -> None:
    """Undo the request's writes; a connection already lost is dropped instead."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.invalidate()


def _not_sent_text() -> str:
    """What the error summary says: nothing was stored, try again (attach files again)."""
    if request.endpoint in NOT_DONE:
        text = NOT_DONE[request.endpoint]
    elif request.blueprint == "admin":
        text = "Your changes were not saved because the service is busy."
    else:
        text = "Your answers were not sent because the service is busy."
    text += " Try again in a moment."
    if _files_sent():
        text += " You need to attach your documents again."
    return text


def _form_again(message: str) -> Response:
    """Run the request again with every form refused with `message`, and answer with the
    page the view shows then; or, if it does not show the message (it went on to write,
    or redirected), with a page that sends what was posted again."""
    flashes = session.get("_flashes")
    setattr(g, NOT_SENT, message)
    try:
        rv = current_app.preprocess_request()
        if rv is None:
            rv = current_app.dispatch_request()
        page = current_app.make_response(rv)
    except HTTPException as refused:  # e.g. closed meanwhile: that page, as it is
        return current_app.make_response(current_app.handle_http_exception(refused))
    except (WriteRefused, DBAPIError, PoolTimeout) as again:
        if not isinstance(again, WriteRefused) and database_trouble(again) is None:
            raise
        _roll_back()
        page = None
    if page is None or not _tells(page, message):
        # A refusal's flash ("Enter a tag name") from the run again would mislead.
        if flashes is None:
            session.pop("_flashes", None)
        elif session.get("_flashes") != flashes:
            session["_flashes"] = flashes
        page = _send_again_page(message)
    return _busy(page)


def _tells(page: Response, message: str) -> bool:
    """Whether `page` is one to show that says `message` (as the page's HTML writes it)."""
    if 300 <= page.status_code < 400 or page.is_streamed or page.direct_passthrough:
        return False
    return str(escape(message)) in page.get_data(as_text=True)


def _send_again_page(message: str) -> Response:
    """`message`, and a button that posts every field sent again to the same address, with
    any password to type again; or, if documents were sent, a link back to the form."""
    passwords = _password_fields()
    fields = [
        (name, clean_text(value))
        for name, value in request.form.items(multi=True)
        if name not in passwords
    ]
    ask_again = [(name, passwords[name]) for name in request.form if name in passwords]
    action = request.script_root + (request.full_path if request.query_string else request.path)
    page = render_template(
        "errors/send_again.html",
        title=BUSY_TITLE,
        message=message,
        fields=fields,
        passwords=ask_again,
        files_sent=_files_sent(),
        action=action,
    )
    return whole_page_for_htmx(make_response(page))


def _files_sent() -> bool:
    """Whether the request carried a chosen file."""
    return any(getattr(upload, "filename", "") for _name, upload in request.files.items(multi=True))


def _password_fields() -> dict[str, str]:
    """The name of every field a form of the site declares as a PasswordField, and those
    of PASSWORD_NAMES, each with its label ("Password" where forms label it differently)."""
    labels: dict[str, set[str]] = {name: set() for name in PASSWORD_NAMES}
    forms: list[type] = [FlaskForm]
    while forms:
        form = forms.pop()
        forms.extend(form.__subclasses__())
        for name, field in vars(form).items():
            if isinstance(field, UnboundField) and issubclass(field.field_class, PasswordField):
                label = field.args[0] if field.args else field.kwargs.get("label")
                labels.setdefault(name, set()).add(str(label or "Password"))
    return {name: found.pop() if len(found) == 1 else "Password" for name, found in labels.items()}


def _busy(page: Response) -> Response:
    """`page` as the answer to a request the database could not serve: 503, Retry-After."""
    page.status_code = 503
    page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return page
