"""Security headers, cookie rules and the admin login hookup."""

from __future__ import annotations

import hmac

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSessionInterface

from app import stylesheet
from app.extensions import db, login_manager
from app.models import AdminUser


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


class SiteRequest(Request):
    """A request whose form data has names only.

    Werkzeug files a multipart part sent without a name under the key None, and code
    that reads the keys (Flask-WTF's CSRF check among it) expects strings; such a part
    carries nothing a form asked for, so it is dropped.
    """

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


def init_app(app: Flask) -> None:
    """Attach the header hook, the session rules and the login view."""
    app.session_interface = SessionInterface()
    app.request_class = SiteRequest
    app.after_request(add_security_headers)
    login_manager.login_view = "admin.login"
    login_manager.login_message = "Sign in to use the admin area."
    login_manager.session_protection = "strong"
