"""The survey: pages of questions routed by earlier answers, saved as people go."""

from flask import Blueprint

from app.intake import channels
from app.intake.submissions import count_sent

bp = Blueprint("survey", __name__, url_prefix="/consultations/<slug>/survey")


@bp.record_once
def _register_channel(state) -> None:
    channels.register(
        state.app,
        channels.Channel(
            name="survey",
            endpoint="survey.start",
            title="Answer the survey",
            description="Questions with set answers, and space to say more. It takes about 10"
            " minutes, and you can save your answers and come back later.",
            count=lambda consultation: {"Survey responses": count_sent(consultation, "survey")},
        ),
    )


from app.survey import routes  # noqa: E402,F401
