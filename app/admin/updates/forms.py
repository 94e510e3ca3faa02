"""The forms of email updates: writing one, and choosing whom to send it to."""

from __future__ import annotations

from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from app.updates.mailings import FOLLOWERS, SUBSCRIBERS
from app.web.forms import Form, choices, in_choices, limited_text

SUBJECT_LENGTH = 150
BODY_LENGTH = 20_000


def people(count: int) -> str:
    """'1 person', '12 people'."""
    return f"{count:,} {'person' if count == 1 else 'people'}"


class UpdateForm(Form):
    """An update's subject, on one line, and its text in Markdown."""

    subject = limited_text("Subject", SUBJECT_LENGTH, "Enter a subject", one_line=True)
    body = limited_text("Update", BODY_LENGTH, "Enter the update", TextAreaField)


class SendForm(Form):
    """Whom to send an update to: everyone subscribed, or one consultation's followers.

    Sent twice: first to choose, then, with `confirmed`, from the page that says how many
    people will get it. An audience nobody is in is refused, so that an update is never
    used up on nobody.
    """

    audience = RadioField(
        "Who should get this update?",
        validators=[DataRequired("Select who should get this update"), in_choices],
        validate_choice=False,
    )
    consultation = SelectField("Consultation", validate_choice=False)
    confirmed = HiddenField()

    def __init__(self, subscribers: int, followed: list[tuple[int, str, int]], **kwargs) -> None:
        """`followed`: (id, title, followers) of each consultation that may be chosen."""
        super().__init__(**kwargs)
        self.subscribers = subscribers
        self.followers = {str(key): count for key, _title, count in followed}
        self.audience.choices = choices(
            [
                (SUBSCRIBERS, f"Everyone subscribed to updates ({people(subscribers)})"),
                (FOLLOWERS, "The followers of one consultation"),
            ]
        )
        self.consultation.choices = choices(
            [("", "Choose a consultation")]
            + [(str(key), f"{title} ({people(count)})") for key, title, count in followed]
        )

    def validate_audience(self, field: RadioField) -> None:
        if field.data == SUBSCRIBERS and not self.subscribers:
            raise ValidationError("Nobody is subscribed to updates yet")

    def validate_consultation(self, field: SelectField) -> None:
        if self.audience.data != FOLLOWERS:
            return
        if not field.data:
            raise ValidationError("Select a consultation")
        if field.data not in self.followers:
            raise ValidationError("Select one of the consultations shown")
        if not self.followers[field.data]:
            raise ValidationError("Nobody follows that consultation yet")

    @property
    def consultation_id(self) -> int | None:
        """The chosen consultation's id, when the followers of one were chosen."""
        return int(self.consultation.data) if self.audience.data == FOLLOWERS else None

    @property
    def count(self) -> int:
        """How many people the chosen audience is."""
        if self.audience.data == FOLLOWERS:
            return self.followers[self.consultation.data]
        return self.subscribers
