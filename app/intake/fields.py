"""Form fields that every form asking who is sending a response shares."""

from __future__ import annotations

from wtforms import BooleanField, Field, StringField
from wtforms.validators import Length, Optional, StopValidation

FOLLOW_LABEL = "Email me news of this consultation"
NEEDS_EMAIL_TO_FOLLOW = "Enter your email address to get news of this consultation"


def organisation_field() -> StringField:
    """The organisation someone responds for, if any (stored stripped: intake.sending)."""
    return StringField(
        "Organisation (optional)",
        validators=[
            Optional(),
            Length(max=200, message="Organisation name must be 200 characters or fewer"),
        ],
    )


def follow_field() -> BooleanField:
    """The tick box, by the email address, that asks for news of the consultation once the
    response is sent (app.intake.following). Unticked unless the respondent ticks it.

    Offered on new responses only: a form that changes a sent response sets the field to
    None in its class, which removes it."""
    return BooleanField(FOLLOW_LABEL)


def email_to_follow(form, field: Field) -> None:
    """For an optional email address: needed after all when the follow box is ticked.

    Put before Optional(), which would stop the check on an empty address."""
    if "follow" in form and form.follow.data and not (field.data or "").strip():
        raise StopValidation(NEEDS_EMAIL_TO_FOLLOW)
