"""The admin area: sign in, consultations and their state, the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import auth, calls, outbox_views, responses, routes  # noqa: E402,F401
