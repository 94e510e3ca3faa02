"""The admin area: sign in, consultations and their state, the audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import (  # noqa: E402,F401
    auth,
    calls,
    deletion,
    exports,
    outbox_views,
    outcome,
    responses,
    routes,
    summary,
    tagging,
    users,
)
