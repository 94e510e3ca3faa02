"""Get in touch: a message to the policy officer, and a call booked in a published slot."""

from flask import Blueprint

from app.contact.channel import CONTACT
from app.intake import channels

bp = Blueprint("contact", __name__, url_prefix="/consultations/<slug>/contact")
bp.record_once(lambda state: channels.register(state.app, CONTACT))

from app.contact import routes  # noqa: E402,F401
