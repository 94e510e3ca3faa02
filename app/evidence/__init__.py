"""Written evidence: who you are, which themes, your evidence and documents."""

from flask import Blueprint

from app.evidence.channel import EVIDENCE
from app.intake import channels

bp = Blueprint("evidence", __name__, url_prefix="/consultations/<slug>/evidence")
bp.record_once(lambda state: channels.register(state.app, EVIDENCE))

from app.evidence import routes  # noqa: E402,F401
