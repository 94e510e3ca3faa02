"""The extension objects, created unbound and bound to the app in create_app()."""

from collections.abc import Callable
from functools import wraps
from typing import Any
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
from flask_wtf.csrf import CSRFError
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
            _sent_from_this_site_over_https()

    def origin_only(self, view: Callable[..., Any]) -> Callable[..., Any]:
        """Check only that a form sent to `view` came from this site, with no token.

        For forms that act for no one signed in, such as signing up for emails (the
        address's owner confirms it): a forged one could do nothing its sender could not
        do from their own browser. A token would tie every page showing such a form to a
        session of its own, so none could be shared between visitors (web.shared_pages).
        What a browser says of where the form came from is checked instead, over plain
        HTTP too.
        """

        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if request.method in current_app.config["WTF_CSRF_METHODS"]:
                _sent_from_this_site()
            return view(*args, **kwargs)

        self.exempt(checked)
        return checked


def _sent_from_this_site_over_https() -> None:
    sent_from = request.headers.get("Origin") or request.referrer
    if not sent_from:
        raise CSRFError(NO_ORIGIN)
    if not same_site(sent_from):
        raise CSRFError(OTHER_ORIGIN)


def _sent_from_this_site() -> None:
    """Refuse a form a browser says came from elsewhere: by Sec-Fetch-Site, which every
    current browser sends, or by its Origin. A request that says neither comes from no
    browser, so it forges nothing."""
    if request.is_secure:
        _sent_from_this_site_over_https()
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise CSRFError(OTHER_ORIGIN)
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
        raise CSRFError(OTHER_ORIGIN)


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
