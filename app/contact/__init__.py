"""Get in touch: a message to the policy officer, and a call booked in a published slot."""

from flask import Blueprint

from app.intake import channels

bp = Blueprint("contact", __name__, url_prefix="/consultations/<slug>/contact")


@bp.record_once
def _register_channel(state) -> None:
    from app.contact.services import counts

    channels.register(
        state.app,
        channels.Channel(
            name="contact",
            endpoint="contact.message",
            title="Get in touch",
            description="Send the policy officer a message, and book a call at a time"
            " that suits you.",
            count=counts,
        ),
    )


from app.contact import routes  # noqa: E402,F401
