"""Form fields that every form asking who is sending a response shares."""

from __future__ import annotations

from wtforms import BooleanField, Field, StringField
from wtforms.validators import Length, Optional, StopValidation, ValidationError

FOLLOW_LABEL = "Email me news of this consultation"
NEEDS_EMAIL_TO_FOLLOW = "Enter your email address to get news of this consultation"
# The outbox speaks plain SMTP (no SMTPUTF8), so it can send only to an address whose part
# before the @ is ASCII; the part after it is turned into ASCII by IDNA.
LOCAL_PART_MESSAGE = (
    "Enter an email address with only English letters, numbers and symbols before the @"
)


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


def sendable_address(form, field: Field) -> None:
    """An address the outbox can send to, once it is in the right shape (so put it after
    the check of the shape): one it could never send to would promise a confirmation
    email that fails for good."""
    if not field.errors and field.data and not field.data.rpartition("@")[0].isascii():
        raise ValidationError(LOCAL_PART_MESSAGE)


def sendable_to_follow(form, field: Field) -> None:
    """For the email address beside the follow box: one the outbox can send to, when the
    box is ticked (the sign-up sends a confirmation email there)."""
    if "follow" in form and form.follow.data:
        sendable_address(form, field)
