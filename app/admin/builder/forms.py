"""The survey builder's forms: a question, a page's title, and one-button actions.

The forms check what one field can say alone (a question is needed, a number is a
number); whether the survey can take the change is `app.survey.edits`'s to say, and its
refusals are shown by the field they are about.
"""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, ValidationError

from app.survey.survey_parts import TYPE_NAMES
from app.web.forms import Form, choices, in_choices, limited_text

PROMPT_LENGTH = 1_000
HINT_LENGTH = 1_000
OPTIONS_LENGTH = 20_000
TITLE_LENGTH = 200
NEW_PAGE = "new"
TYPE_CHOICES = [(kind, name[:1].upper() + name[1:]) for kind, name in TYPE_NAMES.items()]
# The form's own names for the settings, where the survey's would read badly as a field.
SETTING_FIELDS = {"min": "lowest", "max": "highest", "scale": "scale_min"}


def _number(form: Form, field: StringField) -> None:
    """Empty, or a number (a comma between thousands allowed)."""
    text = (field.data or "").replace(",", "").strip()
    if not text:
        field.data = ""
        return
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(
            f"Enter the {field.label.text.lower()} as a number, like 10"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):  # nan and infinity
        raise ValidationError(f"Enter the {field.label.text.lower()} as a number, like 10")
    field.data = int(value) if value.is_integer() and "." not in text else value


def _whole_number(form: Form, field: StringField) -> None:
    """Empty, or a whole number of characters."""
    text = (field.data or "").replace(",", "").strip()
    if not text:
        field.data = ""
        return
    if not text.isdecimal() or len(text) > 20:  # int() refuses "²" and 4,301 digits
        raise ValidationError("Enter the longest answer as a whole number of characters, like 500")
    field.data = int(text)


def _number_field(label: str) -> StringField:
    return StringField(label, validators=[_number], filters=[lambda value: value or ""])


class QuestionForm(Form):
    """A question: its words, its type and what the type needs, and where it goes."""

    prompt = limited_text("Question", PROMPT_LENGTH, required="Enter the question", one_line=True)
    hint = limited_text("Hint text (optional)", HINT_LENGTH)
    type = RadioField(
        "Type of answer",
        choices=choices(TYPE_CHOICES),
        validators=[DataRequired("Select the type of answer"), in_choices],
        validate_choice=False,
    )
    required = BooleanField("People must answer this question")
    options = limited_text("Options", OPTIONS_LENGTH, field_class=TextAreaField)
    allow_other = BooleanField("Add 'Other, please specify' (multiple choice only)")
    scale_min = limited_text("Label for 1", TITLE_LENGTH, one_line=True)
    scale_max = limited_text("Label for 5", TITLE_LENGTH, one_line=True)
    lowest = _number_field("Lowest number")
    highest = _number_field("Highest number")
    max_length = StringField(
        "Longest answer, in characters", validators=[_whole_number], filters=[lambda v: v or ""]
    )
    key = limited_text("Column name in the export", 80, one_line=True)
    page = SelectField("Page", validators=[in_choices], validate_choice=False)
    new_page_title = limited_text("Title of the new page", TITLE_LENGTH, one_line=True)
    # Never drawn: it carries the errors of the conditions, which are checkboxes drawn
    # from the survey (app.admin.builder.views reads them).
    show_if = HiddenField()
    # The survey as the page was drawn from it, so that a change worked out on an older
    # survey is refused rather than applied to a newer one.
    loaded = HiddenField()
    # Set once the admin has seen what a structural change does and confirmed it.
    confirmed = HiddenField()

    def __init__(self, pages: list[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page.choices = choices([*pages, (NEW_PAGE, "A new page at the end")])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.page.data == NEW_PAGE and not self.new_page_title.data:
            self.new_page_title.errors = [
                *self.new_page_title.errors,
                "Enter a title for the new page",
            ]
            valid = False
        return valid

    def fields(self) -> dict[str, Any]:
        """The question's fields as app.survey.edits takes them."""
        fields: dict[str, Any] = {
            "type": self.type.data,
            "prompt": self.prompt.data,
            "hint": self.hint.data,
            "required": self.required.data,
            "options": self.options.data,
            "allow_other": self.allow_other.data,
            "min": self.lowest.data,
            "max": self.highest.data,
            "max_length": self.max_length.data,
            "scale": {"min": self.scale_min.data, "max": self.scale_max.data},
        }
        if self.key.data:
            fields["key"] = self.key.data
        return fields

    def refused(self, field: str | None, message: str) -> None:
        """Show a refusal by the field it is about, or above the form."""
        name = SETTING_FIELDS.get(field, field) if field else None
        target = getattr(self, name, None) if name else None
        if target is None or name in ("loaded", "confirmed", "csrf_token"):
            self.form_errors.append(message)
        else:
            target.errors = [*target.errors, message]


def question_values(question: dict[str, Any], page: int) -> dict[str, Any]:
    """The form's fields as a question in the file's shape has them."""
    scale = question.get("scale") or {}
    return {
        "prompt": question["prompt"],
        "hint": question.get("hint", ""),
        "type": question["type"],
        "required": question.get("required", False),
        "options": "\n".join(question.get("options", [])),
        "allow_other": question.get("allow_other", False),
        "scale_min": scale.get("min", ""),
        "scale_max": scale.get("max", ""),
        "lowest": _shown(question.get("min")),
        "highest": _shown(question.get("max")),
        "max_length": _shown(question.get("max_length")),
        "key": question["key"],
        "page": str(page),
    }


def _shown(number: Any) -> str:
    if number is None:
        return ""
    return f"{number:g}" if isinstance(number, float) else str(number)


class PageForm(Form):
    """A page's title."""

    title = limited_text(
        "Page title", TITLE_LENGTH, required="Enter a title for the page", one_line=True
    )
    loaded = HiddenField()
    confirmed = HiddenField()


class SurveyActionForm(Form):
    """A one-button change (move, delete): the survey it was worked out on."""

    loaded = HiddenField()
    confirmed = HiddenField()
