"""The base every form of the site builds on."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from email_validator import EmailNotValidError, validate_email
from flask import g, has_app_context
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, Field, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError
from wtforms.widgets import HiddenInput

# Characters HTML does not allow in a document: control characters other than tab, line
# feed, form feed and carriage return, and the Unicode noncharacters. Nobody types them;
# echoed back into a form they would make the page invalid, so they are dropped on input.
_NONCHARACTERS = (
    "".join(f"\\U{plane:04X}FFFE\\U{plane:04X}FFFF" for plane in range(0x11))
    .encode()
    .decode("unicode_escape")
)
NOT_IN_HTML = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef" + re.escape(_NONCHARACTERS) + "]"
)


def clean_text(value: str) -> str:
    """`value` without the characters an HTML page may not contain.

    Line breaks become a single line feed: browsers send CRLF, and a limit counted on
    the page, where a line break is one character, must hold on the server too.
    """
    return NOT_IN_HTML.sub("", value.replace("\r\n", "\n"))


# The `g` attribute holding the message every form is refused with while app.errors shows
# a form again because the database could not store it (busy, read-only, unreachable).
NOT_SENT = "form_not_sent"


def not_sent_message() -> str | None:
    """The message forms are refused with in this request, if the database let it down."""
    return g.get(NOT_SENT) if has_app_context() else None


# As WTForms draws a hidden field: its attributes in alphabetical order.
HIDDEN_INPUT = Markup('<input id="%s" name="%s" type="hidden" value="%s">')


def _refusing_when_not_sent(validate: Callable[..., bool]) -> Callable[..., bool]:
    """`validate`, which also refuses the form while the database cannot store it."""

    @wraps(validate)
    def checked(self, extra_validators=None) -> bool:
        return self.refuse_if_not_sent(validate(self, extra_validators))

    return checked


class Form(FlaskForm):
    """A FlaskForm (CSRF included) that drops characters HTML cannot carry from every value.

    When the database could not store what a form sent, app.errors runs the view again,
    in which every form is refused with a form-level error saying so (`form_errors`,
    shown first in the error summary). The view then shows the page with everything
    typed kept, as for any other error, and stores nothing.
    """

    class Meta(FlaskForm.Meta):
        def render_field(self, field: Field, render_kw: dict) -> Markup:
            """A hidden field (the CSRF token, a form's stamp) as WTForms would draw it,
            without the look through every flag that makes WTForms take ten times as long:
            a page carries several, and a hidden field has no flag to show."""
            if (
                not render_kw
                and field.render_kw is None
                and type(field.widget) is HiddenInput
                and not field.flags.disabled
            ):
                return HIDDEN_INPUT % (field.id, field.name, field._value())
            return super().render_field(field, render_kw)

        def wrap_formdata(self, form, formdata):
            data = super().wrap_formdata(form, formdata)
            if data is None:
                return None
            # A file sent where text is expected (a crafted multipart post) counts as not
            # sent: a text field given a file would fail on it with a 500.
            takes_files = {
                name
                for name, field in form._fields.items()
                if field.type in ("FileField", "MultipleFileField")
            }
            return MultiDict(
                (key, clean_text(value) if isinstance(value, str) else value)
                for key, value in data.items(multi=True)
                if isinstance(value, str) or key in takes_files
            )

    def __init_subclass__(cls, **kwargs) -> None:
        # A form that checks itself its own way (the survey's pages decide from their
        # questions) is refused all the same.
        super().__init_subclass__(**kwargs)
        if "validate" in cls.__dict__:
            cls.validate = _refusing_when_not_sent(cls.__dict__["validate"])

    def validate(self, extra_validators=None) -> bool:
        """Check every field (and refuse the form while the database cannot store it)."""
        return self.refuse_if_not_sent(super().validate(extra_validators))

    def refuse_if_not_sent(self, valid: bool) -> bool:
        """`valid`, unless the database could not store this form: then False, with the
        message in the form's errors."""
        message = not_sent_message()
        if not message:
            return valid
        if message not in self.form_errors:
            self.form_errors.append(message)
        return False


EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
PUBLISH_CHOICES = {
    "named": "Yes, with my name",
    "anonymous": "Yes, anonymously",
    "no": "No, do not publish",
}


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """Choices for a radio or checkbox field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def in_choices(form: Form, field: Field) -> None:
    """Refuse a value the page never offered (a crafted post)."""
    allowed = {choice.value for choice in field.choices}
    given = field.data if isinstance(field.data, list) else [field.data]
    if any(value not in allowed for value in given):
        raise StopValidation("Select one of the options shown")


def valid_email(form: Form, field: Field) -> None:
    """An email address in the right shape (no lookup), stored in its normal form."""
    try:
        field.data = validate_email(field.data.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError(EMAIL_FORMAT) from None


def limited_text(
    label: str,
    most: int,
    required: str = "",
    field_class: type[Field] = StringField,
    one_line: bool = False,
) -> Field:
    """A text field of up to `most` characters, trimmed (and its spaces run together when
    `one_line`), required with the message `required` if one is given."""
    validators = [DataRequired(required)] if required else []
    validators.append(Length(max=most, message=f"Enter {most:,} characters or fewer"))

    def tidy(text: str | None) -> str:
        return (" ".join(text.split()) if one_line else text.strip()) if text else ""

    return field_class(label, validators=validators, filters=[tidy])


def name_field() -> StringField:
    """A person's full name, required."""
    return StringField(
        "Full name",
        validators=[
            DataRequired("Enter your full name"),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )


def email_field() -> StringField:
    """An email address, required, stored in its normal form."""
    return StringField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Length(max=254, message=EMAIL_FORMAT),
            valid_email,
        ],
    )


def publish_field() -> RadioField:
    """May we publish it: with the name, anonymously, or not at all (asked of everyone)."""
    return RadioField(
        "May we publish your response?",
        choices=choices(list(PUBLISH_CHOICES.items())),
        validators=[DataRequired("Select whether we may publish your response"), in_choices],
        validate_choice=False,
    )


def consent_field() -> BooleanField:
    """Consent to keeping the response, asked separately from publishing and required."""
    return BooleanField(
        "I agree to you keeping my response to analyse it for this consultation",
        validators=[DataRequired("Confirm that you agree to us keeping your response")],
    )
