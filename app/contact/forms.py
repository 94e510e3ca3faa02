"""The message form, the same form for changing a message sent, and the form for
choosing the time of a call."""

from __future__ import annotations

from typing import Any

from flask import current_app
from wtforms import Field, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.formatting import phones
from app.intake.change_forms import ChangeFormMixin
from app.intake.fields import follow_field, organisation_field, sendable_to_follow
from app.web.forms import Form, choices, email_field, in_choices, name_field

MESSAGE_LENGTH = 5000
PHONE_FORMAT = "Enter a telephone number, like 020 7946 0000 or +44 808 157 0192"


class MessageForm(Form):
    """Who you are (and whether you want news of the consultation), what your message is
    about, the message, and whether you want a call."""

    name = name_field()
    email = email_field()
    follow = follow_field()
    phone = StringField("Telephone number (optional)")
    organisation = organisation_field()
    subject = StringField(
        "What is your message about?",
        validators=[
            DataRequired("Enter what your message is about"),
            Length(max=150, message="What your message is about must be 150 characters or fewer"),
        ],
    )
    message = TextAreaField(
        "Your message",
        validators=[
            DataRequired("Enter your message"),
            Length(
                max=MESSAGE_LENGTH,
                message=f"Your message must be {MESSAGE_LENGTH:,} characters or fewer",
            ),
        ],
    )
    wants_call = RadioField(
        "Would you like to book a call?",
        choices=choices([("yes", "Yes, I would like to book a call"), ("no", "No, thank you")]),
        validators=[DataRequired("Select whether you would like to book a call"), in_choices],
        validate_choice=False,
    )
    token = HiddenField()
    loaded = HiddenField()
    website = StringField("Leave this field empty")

    def __init__(self, calls_offered: bool, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not calls_offered:  # no free times: the question is not asked
            del self.wants_call
        self.phone_number = ""  # the number in E.164 form, once valid

    def validate_email(self, field: Field) -> None:
        """With the follow box ticked, an address the outbox can send news to."""
        sendable_to_follow(self, field)

    def written(self) -> list[tuple[str, str]]:
        """What the respondent typed, for the closed page to show back."""
        return [
            ("What is your message about?", self.subject.data or ""),
            ("Your message", self.message.data or ""),
        ]

    @property
    def wants_a_call(self) -> bool:
        return "wants_call" in self and self.wants_call.data == "yes"

    def validate_phone(self, field: StringField) -> None:
        """Optional, unless a call is wanted; any number must be a real one."""
        typed = (field.data or "").strip()
        if not typed:
            if self.wants_a_call:
                raise ValidationError("Enter a telephone number, so that we can call you")
            return
        number = phones.parse(typed, current_app.config["PHONE_REGION"])
        if number is None:
            raise ValidationError(PHONE_FORMAT)
        self.phone_number = number


class MessageChangeForm(ChangeFormMixin, MessageForm):
    """The message form filled in with what was sent, to change it, carrying the version
    of the message it was loaded with and what it said then. A call is booked, moved or
    cancelled on its own page, so the form does not ask for one; while the message asks
    for one, the telephone number stays needed."""

    merged_fields = ("name", "email", "phone", "organisation", "subject", "message")
    follow = None  # news of the consultation is offered with a new message only

    def __init__(self, asks_for_call: bool, *args: Any, **kwargs: Any) -> None:
        super().__init__(False, *args, **kwargs)
        self.asks_for_call = asks_for_call

    @property
    def wants_a_call(self) -> bool:
        return self.asks_for_call


class CallForm(Form):
    """One of the free times, chosen by its slot's id (checked against the database)."""

    slot = StringField("Choose a time", validators=[DataRequired("Select a time for your call")])
    loaded = HiddenField()


class CancelForm(Form):
    """Cancelling a call: nothing to fill in but the CSRF token."""
