"""The admin area, by capability: sign-in, the dashboard and consultation settings,
responses (reading, coding, exporting, deleting), calls, the outcome, users, the outbox."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import (  # noqa: E402,F401
    auth,
    calls,
    dashboard,
    deletion,
    exports,
    outbox,
    responses,
    summary,
)
from app.admin.coding import views as coding_views  # noqa: E402,F401
from app.admin.outcome import views as outcome_views  # noqa: E402,F401
from app.admin.users import views as users_views  # noqa: E402,F401
