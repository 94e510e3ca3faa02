"""The respondent's own pages, opened by the private link in their receipt: view what
they sent, change it while the consultation takes responses, change whether it may be
published, withdraw it, and get a new link when the old one is lost."""

from flask import Blueprint

bp = Blueprint("respondents", __name__, url_prefix="/your-response")

from app.respondents import routes  # noqa: E402,F401
