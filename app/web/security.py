"""Security headers, cookie rules and the admin login hookup."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from typing import IO

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.exceptions import BadRequest, ClientDisconnected, HTTPException
from werkzeug.utils import cached_property

from app.extensions import db, login_manager
from app.models import AdminUser
from app.web import stylesheet


def content_security_policy() -> str:
    """Only this site's scripts; styles from this site or our own inline stylesheet."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' {stylesheet.policy_source()}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


class RequestBody:
    """A request's body as the server hands it over, where a body that cannot be read
    whole is the sender's fault: 400, never 500.

    The server decodes the body only as it is read, so a malformed one (to gunicorn, a
    chunk size that is not hex, or a chunk without its CRLF) raises the server's own
    error from inside whatever reads it, the form parser among them. Whatever the server
    raises, the body cannot be had and only the sender can put that right. A body that
    ends before its Content-Length is refused too: gunicorn hands over what arrived as if
    it were all, and a form cut short must not be taken for the whole one.
    """

    def __init__(self, stream: IO[bytes], length: int | None) -> None:
        self._stream = stream
        self._length = length
        self._received = 0

    def read(self, size: int | None = -1) -> bytes:
        data = self._from_server(self._stream.read, size)
        # Asked for all of it, or for more and given none: that was the end of the body.
        self._count(data, ended=size is None or size < 0 or (size > 0 and not data))
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = self._from_server(self._stream.readline, size)
        self._count(data, ended=size != 0 and not data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    @staticmethod
    def _from_server(read: Callable[[int | None], bytes], size: int | None) -> bytes:
        try:
            return read(size)
        except HTTPException:
            raise  # Werkzeug's own answer: too large (413), or the sender went away (400)
        except Exception as error:
            raise BadRequest("The request body could not be read.") from error

    def _count(self, data: bytes, ended: bool) -> None:
        self._received += len(data)
        if ended and self._length is not None and self._received < self._length:
            raise ClientDisconnected("The request body ended before its Content-Length.")


class SiteRequest(Request):
    """A request whose form data has names only, and whose body is read whole or not at all.

    Werkzeug files a multipart part sent without a name under the key None, and code
    that reads the keys (Flask-WTF's CSRF check among it) expects strings; such a part
    carries nothing a form asked for, so it is dropped.
    """

    @cached_property
    def stream(self) -> RequestBody:
        """Werkzeug's stream (which the form parser reads too), through RequestBody."""
        return RequestBody(super().stream, self.content_length)

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for name in ("form", "files"):
            data = self.__dict__.get(name)
            if data is not None and None in data:
                self.__dict__[name] = type(data)(
                    (key, value) for key, value in data.items(multi=True) if key is not None
                )


def add_security_headers(response: Response) -> Response:
    """Headers every response carries."""
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint == "static" and "v" in request.args and response.status_code == 200:
        # The URL names the file's content (templating.static_url): it never changes.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    elif request.endpoint != "static":
        # Pages carry people's answers and the admin's data: never keep a copy anywhere.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@login_manager.user_loader
def load_user(session_id: str) -> AdminUser | None:
    """Flask-Login's loader: the admin whose id and current session token are in the session."""
    user_id, _, token = session_id.partition(":")
    user = db.session.get(AdminUser, int(user_id)) if user_id.isdigit() else None
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def _user_only_when_asked(app: Flask) -> None:
    """Templates find `current_user` when they ask for it, not on every page.

    Flask-Login's context processor (left out by create_app) loads the user for every
    template, and its strong session protection then marks a visitor's session (holding
    only a CSRF token) as changed, so every page sent a re-signed session cookie and
    deleted a remember-me cookie nobody has. Staff are still checked on every page that
    asks who they are: the admin area, drafts, the preview banner.
    """
    app.jinja_env.globals["current_user"] = current_user


def init_app(app: Flask) -> None:
    """Attach the header hook, the session rules and the login view."""
    app.session_interface = SessionInterface()
    app.request_class = SiteRequest
    app.after_request(add_security_headers)
    login_manager.login_view = "admin.login"
    login_manager.login_message = "Sign in to use the admin area."
    login_manager.session_protection = "strong"
    _user_only_when_asked(app)
