"""Friendly error pages; a failed request rolls the session back."""

from __future__ import annotations

from flask import Flask, make_response, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import NO_ORIGIN, OTHER_ORIGIN, db
from app.rendering import whole_page_for_htmx

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
