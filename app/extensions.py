"""The extension objects, created unbound and bound to the app in create_app()."""

from urllib.parse import urlsplit

from flask import current_app, request
from flask_compress import Compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import csrf as flask_wtf_csrf
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


class CSRFProtect(flask_wtf_csrf.CSRFProtect):
    """Flask-WTF's CSRF token check; over HTTPS, also that the form came from this site.

    Flask-WTF's own HTTPS check (WTF_CSRF_SSL_STRICT, turned off in config) asks for a
    Referer, which some browsers and privacy settings never send, and then refuses every
    form. Browsers send an Origin header with every POST, so it is the first witness; the
    Referer is the second.
    """

    def protect(self, apply_exemptions: bool = False) -> None:
        super().protect(apply_exemptions)
        exempt = apply_exemptions and (not request.endpoint or self._is_exempt())
        unsafe = request.method in current_app.config["WTF_CSRF_METHODS"]
        if request.is_secure and unsafe and not exempt:
            sent_from = request.headers.get("Origin") or request.referrer
            if not sent_from:
                self._error_response(NO_ORIGIN)
            if not same_site(sent_from):
                self._error_response(OTHER_ORIGIN)


# The reasons a form from another origin, or of no stated origin, is refused (errors.py).
NO_ORIGIN = "The request said neither its Origin nor its Referer."
OTHER_ORIGIN = "The request came from another site."


def same_site(url: str) -> bool:
    """Whether `url` (an Origin or a Referer) is this site, over HTTPS."""
    parts = urlsplit(url)
    return parts.scheme == "https" and parts.netloc.lower() == request.host.lower()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
htmx = HTMX()
compress = Compress()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)
