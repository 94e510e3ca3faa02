"""The survey: pages of questions routed by earlier answers, saved as people go."""

from flask import Blueprint

from app.intake import channels
from app.survey.channel import SURVEY

bp = Blueprint("survey", __name__, url_prefix="/consultations/<slug>/survey")
bp.record_once(lambda state: channels.register(state.app, SURVEY))

from app.survey import change_views, routes  # noqa: E402,F401
