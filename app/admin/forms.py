"""Forms for the admin area."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from wtforms import DateTimeLocalField, EmailField, PasswordField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, ValidationError

from app import timefmt
from app.forms import Form
from app.lifecycle import Override

OVERRIDE_LABELS = {
    Override.AUTO.value: "Follow dates",
    Override.OPEN.value: "Open",
    Override.CLOSED.value: "Closed",
}


class LoginForm(Form):
    """Email and password."""

    email = EmailField("Email address", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


class ActionForm(Form):
    """A form with no fields: carries the CSRF token for one-button actions."""


class OverrideForm(Form):
    """Follow the dates, or force the consultation open or closed."""

    override = RadioField(
        "State",
        choices=[SelectChoice(value, label) for value, label in OVERRIDE_LABELS.items()],
        validators=[InputRequired("Select one option")],
    )


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in the site's zone; `instant` is it in UTC."""

    def __init__(self, label: str, **kwargs) -> None:
        super().__init__(label, format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs)
        self.instant: datetime | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a real date and time, like 2027-03-01 17:00") from error
        if self.data is None:
            return
        zone = current_app.config["SITE_ZONE"]
        self.instant = timefmt.from_local(self.data, zone)
        if self.instant.astimezone(zone).replace(tzinfo=None) != self.data:
            raise ValueError(
                f"{self.data:%H:%M} on {timefmt.long_date(self.data)} does not exist in "
                f"{timefmt.zone_label(zone)} because the clocks go forward. Enter another time"
            )


class DatesForm(Form):
    """When the consultation opens and closes, in the site's time zone."""

    opens_at = LocalDateTimeField(
        "Opens",
        validators=[InputRequired("Enter the opening date and time")],
    )
    closes_at = LocalDateTimeField(
        "Deadline",
        validators=[InputRequired("Enter the deadline date and time")],
    )

    def validate_closes_at(self, field: LocalDateTimeField) -> None:
        """The deadline must come after the opening time, as instants, not wall-clock times."""
        if self.opens_at.instant and field.instant and field.instant <= self.opens_at.instant:
            raise ValidationError("The deadline must be after the opening time")


class AlertModeForm(Form):
    """How the policy officer hears about submissions."""

    alert_mode = RadioField(
        "How should the policy officer hear about new submissions?",
        choices=[
            SelectChoice("instant", "An email for each submission"),
            SelectChoice(
                "daily", "One email a day, at 8am, listing the day's submissions with a CSV file"
            ),
        ],
        validators=[InputRequired("Select how the policy officer hears about submissions")],
    )
