"""Email updates: addresses that signed up or follow a consultation (double opt-in), the
mailings sent to them, and one-click unsubscribing."""

from flask import Blueprint

bp = Blueprint("updates", __name__, url_prefix="/updates")

from app.updates import routes  # noqa: E402, F401  (registers the views)
