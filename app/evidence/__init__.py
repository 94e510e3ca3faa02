"""Written evidence: who you are, which themes, your evidence and documents."""

from flask import Blueprint

from app.intake import channels
from app.intake.submissions import count_sent

bp = Blueprint("evidence", __name__, url_prefix="/consultations/<slug>/evidence")


@bp.record_once
def _register_channel(state) -> None:
    channels.register(
        state.app,
        channels.Channel(
            name="evidence",
            endpoint="evidence.submit",
            title="Send written evidence",
            description="Tell us what you know in your own words, and attach documents"
            " such as reports or case studies.",
            count=lambda consultation: {"Written evidence": count_sent(consultation, "evidence")},
        ),
    )


from app.evidence import routes  # noqa: E402,F401
