"""The admin area, one module (or package of views and services) per capability.

auth                   signing in and out; every other admin URL needs a signed-in user
dashboard              every consultation at a glance; changing its state, dates, alerts
consultation_settings  the services those changes call
dashboard_counts       responses per channel and per day, for the dashboard
charts                 bar and column charts drawn as SVG on the server
responses              reading responses (list, one response, its documents)
versions               a response its respondent changed: each earlier version, what changed
filters                the filter above the list of responses, and the query it builds
exports                the responses as a CSV or XLSX file, with the list's filters
deletion               deleting a response when its respondent asks
survey_summary         the survey's choice questions counted and charted
coding/                tags and private notes on responses
calls                  times for calls with the policy officer, and bookings
authoring/             making a consultation: create, edit, preview, publish, copy, export
builder/               making and changing a survey: pages, questions and routing
outcome/               publishing what came of a closed consultation
users/                 who may use the admin area, and invitations
updates/               email updates: counts, the addresses as CSV, writing, testing and
                       sending an update
outbox                 emails waiting, sent or failed, and retrying a failure
audit                  the audit log of every change
forms                  every admin form that posts
"""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import (  # noqa: E402,F401
    audit,
    auth,
    calls,
    dashboard,
    deletion,
    exports,
    outbox,
    responses,
    survey_summary,
)
from app.admin.authoring import drafts, editing, previews  # noqa: E402,F401
from app.admin.builder import views as builder_views  # noqa: E402,F401
from app.admin.coding import views as coding_views  # noqa: E402,F401
from app.admin.moderation import views as moderation_views  # noqa: E402,F401
from app.admin.news import views as news_views  # noqa: E402,F401
from app.admin.outcome import views as outcome_views  # noqa: E402,F401
from app.admin.updates import views as updates_views  # noqa: E402,F401
from app.admin.users import views as users_views  # noqa: E402,F401
