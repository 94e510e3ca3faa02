"""Every admin form that posts, by capability; the response filter, which only reads,
is in filters.py beside the query it builds.

Forms parse and check what was typed; the services they feed take plain values.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from wtforms import (
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from app.admin.consultation_settings import OVERRIDE_LABELS
from app.admin.users.services import ROLE_DESCRIPTIONS, ROLE_NAMES
from app.calls import rules as calls
from app.formatting import timefmt
from app.models import ROLES
from app.web.forms import EMAIL_FORMAT, Form, choices, in_choices, limited_text, valid_email

# Shared: one-button actions, and dates and times typed in the site's zone


class ActionForm(Form):
    """A form with no fields: carries the CSRF token for one-button actions."""


GIVEN_LENGTH = 20  # so that a message never makes a phone's page scroll sideways


def quoted(text: str | None) -> str:
    """What was typed, quoted and cut short, for a message: 'local services' or nothing."""
    if not text:
        return "nothing"
    if len(text) <= GIVEN_LENGTH:
        return f"'{text}'"
    return f"'{text[: GIVEN_LENGTH - 1]}…'"


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in the site's zone; `instant` is it in UTC.

    `called` is what its messages call it ("the opening time"): one page may have
    several such fields, and a message must say which it is about.
    """

    def __init__(self, label: str, called: str, **kwargs) -> None:
        super().__init__(label, format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs)
        self.called = called
        self.instant: datetime | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(
                f"Enter {self.called} as a real date and time, like 2027-03-01 17:00."
                f" You entered {quoted(valuelist[0] if valuelist else '')}"
            ) from error
        if self.data is None:
            return
        zone = current_app.config["SITE_ZONE"]
        self.instant = timefmt.from_local(self.data, zone)
        if not timefmt.exists_locally(self.data, zone):
            later = timefmt.to_local(self.instant, zone)  # as far past the gap as it was in it
            raise ValueError(
                f"{self.called.capitalize()} you entered, {self.data:%H:%M} on"
                f" {timefmt.long_date(self.data)}, does not exist in {timefmt.zone_label(zone)}"
                f" because the clocks go forward. Enter another time, like {later:%H:%M}"
            )


class DayField(DateField):
    """A date typed as 2027-03-01 (the browser's date picker sends that form)."""

    EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a real date, like 2027-03-01") from error
        if self.data is not None and not self.EARLIEST <= self.data <= self.LATEST:
            raise ValueError("Enter a date in this century, like 2027-03-01")


class ClockField(TimeField):
    """A time of day typed as 14:30."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter a real time, like 14:30") from error


# Signing in and choosing a password (auth.py, users/views.py)


class LoginForm(Form):
    """Email and password."""

    email = EmailField("Email address", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])


SHORTEST_PASSWORD = 12


class SetPasswordForm(Form):
    """A new password, typed twice."""

    password = PasswordField(
        "New password",
        validators=[
            DataRequired("Enter a password"),
            Length(
                min=SHORTEST_PASSWORD,
                message=f"Enter a password of {SHORTEST_PASSWORD} characters or more",
            ),
        ],
    )
    confirm = PasswordField("Type the password again")

    def validate_confirm(self, field: PasswordField) -> None:
        """Only compare once the password itself is acceptable, so one problem shows at a time."""
        if self.password.errors or not self.password.data:
            return
        if not field.data:
            raise ValidationError("Enter the password again")
        if field.data != self.password.data:
            raise ValidationError("Passwords do not match")


# Consultation settings: state, dates, alerts (dashboard.py)


class OverrideForm(Form):
    """Follow the dates, or force the consultation open or closed."""

    override = RadioField(
        "State",
        choices=[SelectChoice(value, label) for value, label in OVERRIDE_LABELS.items()],
        validators=[InputRequired("Select one option")],
    )


class DatesForm(Form):
    """When the consultation opens and closes, in the site's time zone."""

    opens_at = LocalDateTimeField(
        "Opens",
        called="the opening time",
        validators=[InputRequired("Enter the opening date and time")],
    )
    closes_at = LocalDateTimeField(
        "Deadline",
        called="the deadline",
        validators=[InputRequired("Enter the deadline date and time")],
    )

    def validate_closes_at(self, field: LocalDateTimeField) -> None:
        """The deadline must come after the opening time, as instants, not wall-clock times."""
        if self.opens_at.instant and field.instant and field.instant <= self.opens_at.instant:
            raise ValidationError(deadline_message(self.opens_at.instant, field.instant))


def deadline_message(opens_at: datetime | None, closes_at: datetime | None) -> str:
    """What to say of a deadline (`closes_at`) that is not after the opening time."""
    if opens_at is None:
        return "Enter a deadline after the opening time"
    zone = current_app.config["SITE_ZONE"]
    message = f"Enter a deadline after the opening time, {timefmt.local_time(opens_at, zone)}"
    if closes_at is None:
        return message
    return f"{message}. You entered {timefmt.local_time(closes_at, zone)}"


class AlertModeForm(Form):
    """How the policy officer hears about submissions."""

    alert_mode = RadioField(
        "How should the policy officer hear about new submissions?",
        choices=[
            SelectChoice("instant", "An email for each response"),
            SelectChoice(
                "daily", "One email a day, at 8am, listing the day's submissions with a CSV file"
            ),
        ],
        validators=[InputRequired("Select how the policy officer hears about submissions")],
    )


# Calls: publishing times, and messages and bookings after the close (calls.py)


class MinutesField(IntegerField):
    """How long each call lasts, in whole minutes."""

    def __init__(self, label: str, **kwargs) -> None:
        limits = f"between {calls.SHORTEST_CALL} and {calls.LONGEST_CALL}"
        super().__init__(
            label,
            default=30,
            validators=[
                InputRequired("Enter how long each call lasts, in minutes"),
                NumberRange(
                    calls.SHORTEST_CALL,
                    calls.LONGEST_CALL,
                    message=f"Enter a number of minutes {limits}",
                ),
            ],
            **kwargs,
        )

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError("Enter the length in minutes as a whole number, like 30") from error


class SlotForm(Form):
    """One time for a call."""

    day = DayField("Date", validators=[InputRequired("Enter the date of the call")])
    start = ClockField("Start time", validators=[InputRequired("Enter the start time")])
    minutes = MinutesField("Length in minutes")

    def validate_start(self, field: ClockField) -> None:
        if self.day.data and field.data:
            moment = datetime.combine(self.day.data, field.data)
            zone = current_app.config["SITE_ZONE"]
            if not timefmt.exists_locally(moment, zone):
                raise ValidationError(
                    f"{field.data:%H:%M} does not exist on that day because the clocks go"
                    " forward. Enter another time"
                )


class SeriesForm(Form):
    """Back-to-back calls on chosen weekdays, between two dates and two times of day."""

    first_day = DayField("First date", validators=[InputRequired("Enter the first date")])
    last_day = DayField("Last date", validators=[InputRequired("Enter the last date")])
    weekdays = SelectMultipleField(
        "Days of the week",
        choices=choices([(str(number), name) for number, name in enumerate(calls.WEEKDAYS)]),
        default=["0", "1", "2", "3", "4"],
        validators=[DataRequired("Select at least one day of the week"), in_choices],
        validate_choice=False,
    )
    day_start = ClockField("From", validators=[InputRequired("Enter the time of the first call")])
    day_end = ClockField("Until", validators=[InputRequired("Enter the time the last call ends")])
    minutes = MinutesField("Length of each call in minutes")

    def validate_last_day(self, field: DayField) -> None:
        first, last = self.first_day.data, field.data
        if not (first and last):
            return
        if last < first:
            raise ValidationError("The last date must be the same as or after the first date")
        if last - first > timedelta(days=calls.LONGEST_SERIES - 1):
            raise ValidationError(
                f"Publish up to {calls.LONGEST_SERIES} days at a time, counting both dates"
            )

    def validate_day_end(self, field: ClockField) -> None:
        start, end, minutes = self.day_start.data, field.data, self.minutes.data
        # The length is checked after this field: only judge a length that is allowed.
        if not (start and end and isinstance(minutes, int)):
            return
        if not calls.SHORTEST_CALL <= minutes <= calls.LONGEST_CALL:
            return
        length = timedelta(minutes=minutes)
        if datetime.combine(date.min, start) + length > datetime.combine(date.min, end):
            raise ValidationError("The end time must leave room for at least one call")

    @property
    def weekday_numbers(self) -> list[int]:
        return [int(value) for value in self.weekdays.data]


YES_NO = [("yes", "Yes"), ("no", "No")]


class ContactSettingsForm(Form):
    """Whether "get in touch" stays available after the consultation closes."""

    messages_after_close = RadioField(
        "Can people send messages after the consultation closes?",
        choices=choices(YES_NO),
        validators=[
            DataRequired("Select yes if people can send messages after it closes, or no"),
            in_choices,
        ],
        validate_choice=False,
    )
    bookings_after_close = RadioField(
        "Can people book calls after the consultation closes?",
        choices=choices(YES_NO),
        validators=[
            DataRequired("Select yes if people can book calls after it closes, or no"),
            in_choices,
        ],
        validate_choice=False,
    )


# Coding responses: tags and notes (coding/)


TAG_NAME_LENGTH, TAG_DESCRIPTION_LENGTH, NOTE_LENGTH = 60, 300, 2000


class TagForm(Form):
    """A code to sort responses by."""

    name = limited_text("Tag", TAG_NAME_LENGTH, "Enter a name for the tag", one_line=True)
    description = limited_text("What it covers (optional)", TAG_DESCRIPTION_LENGTH)


class ResponseTagsForm(Form):
    """Which of the consultation's tags a response carries."""

    tags = SelectMultipleField("Tags", validators=[in_choices], validate_choice=False)

    def __init__(self, offered: list, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tags.choices = choices([(str(tag.id), tag.name) for tag in offered])


class NoteForm(Form):
    """A private note on a response."""

    text = limited_text("Add a note", NOTE_LENGTH, "Enter the note", TextAreaField)


# The outcome (outcome/)


OUTCOME_LENGTH = 20_000


class OutcomeForm(Form):
    """The outcome, in Markdown like the consultation's own text."""

    outcome = limited_text(
        "What you heard and what you did", OUTCOME_LENGTH, "Enter the outcome", TextAreaField
    )


# Users (users/)


def role_field() -> RadioField:
    """Admin or officer, each with what it allows."""
    return RadioField(
        "Role",
        choices=choices(
            [(role, f"{ROLE_NAMES[role]} – {ROLE_DESCRIPTIONS[role]}") for role in ROLES]
        ),
        validators=[DataRequired("Select a role"), in_choices],
        validate_choice=False,
    )


class AddUserForm(Form):
    """Who to invite, and in which role."""

    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter an email address"),
            Length(max=254, message=EMAIL_FORMAT),
            valid_email,
        ],
    )
    role = role_field()


class RoleForm(Form):
    """The role to give someone: sent by one button."""

    role = role_field()
