"""The survey's forms: one built for each page's questions, then details and submit."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from app.intake.fields import email_to_follow, follow_field, sendable_to_follow
from app.models import Question
from app.survey import routing
from app.web.forms import (
    EMAIL_FORMAT,
    Form,
    choices,
    consent_field,
    email_field,
    in_choices,
    publish_field,
    valid_email,
)

TEXT_LIMIT = 500
LONGTEXT_LIMIT = 5000
OTHER_LIMIT = 200
OTHER = "__other__"
# Answered by choosing among set answers, so counted for the charts (a consultation
# file lists the options of only some of them: consultations.survey_schema.CHOICE_TYPES).
SET_ANSWER_TYPES = ("single", "multi", "yesno", "scale")
OTHER_PREFIX = "Other: "
# On the question and details pages of a change to a sent response, the change draft's
# token: a page sent after the change ended says so rather than begin a new response.
CHANGE_DRAFT = "change_draft"

REQUIRED_MESSAGES = {
    "single": "Select one option",
    "multi": "Select at least one option",
    "yesno": "Select yes or no",
    "scale": "Select a number from 1 to 5",
    "text": "Enter your answer",
    "longtext": "Enter your answer",
    "number": "Enter a number",
    "email": "Enter an email address",
}


def field_name(question: Question) -> str:
    """The form field for a question: prefixed so that no key can clash with ours."""
    return f"q_{question.key}"


def other_name(question: Question) -> str:
    return f"other_{question.key}"


def text_limit(question: Question) -> int:
    default = LONGTEXT_LIMIT if question.type == "longtext" else TEXT_LIMIT
    return int(question.settings.get("max_length") or default)


def choice_pairs(question: Question) -> list[tuple[str, str]]:
    """(value, label) for each answer a choice question offers."""
    if question.type == "yesno":
        return [("yes", "Yes"), ("no", "No")]
    if question.type == "scale":
        labels = question.settings.get("scale") or {}
        low = labels.get("min", "Strongly disagree")
        high = labels.get("max", "Strongly agree")
        return [("1", f"1 – {low}"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", f"5 – {high}")]
    pairs = [(option, option) for option in question.options]
    if question.type == "multi" and question.settings.get("allow_other"):
        pairs.append((OTHER, "Other"))
    return pairs


def follow_up_note(question: Question, on_page: list[Question]) -> str:
    """For a question that depends on an answer on its own page: when to answer it."""
    by_key = {q.key: q for q in on_page}
    conditions = routing.follow_up_of(question, set(by_key))
    parts = []
    for key, values in conditions.items():
        labels = dict(choice_pairs(by_key[key]))
        parts.append(" or ".join(f"‘{labels.get(value, value)}’" for value in values))
    return f"Answer this if you chose {' and '.join(parts)} above." if parts else ""


def follow_up_fields(question: Question, on_page: list[Question]) -> dict[str, list[str]]:
    """The follow-up's conditions by form field name, for the script that reveals it."""
    conditions = routing.follow_up_of(question, {q.key for q in on_page})
    return {f"q_{key}": values for key, values in conditions.items()}


def _no_choice_made(form: Form, field: Field) -> None:
    """Stop checking an optional multiple choice only when nothing at all was chosen."""
    if not any(str(value).strip() for value in field.raw_data or []):
        field.errors[:] = []
        raise StopValidation()


def _number(bounds: tuple[float | None, float | None]):
    low, high = bounds

    def check(form: Form, field: Field) -> None:
        text = (field.data or "").strip().replace(",", "")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise StopValidation("Enter a number, like 12 or 3.5") from None
        if not value.is_finite() or not math.isfinite(float(value)):
            raise StopValidation("Enter a number, like 12 or 3.5")
        if low is not None and high is not None and not low <= value <= high:
            raise ValidationError(f"Enter a number from {_plain(low)} to {_plain(high)}")
        if low is not None and value < low:
            raise ValidationError(f"Enter a number of {_plain(low)} or more")
        if high is not None and value > high:
            raise ValidationError(f"Enter a number of {_plain(high)} or less")

    return check


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=f"Answer must be {limit} characters or fewer")


def _question_field(question: Question) -> Field:
    """A form field of the question's type, with its rules."""
    kwargs: dict[str, Any] = {"label": question.prompt, "description": question.hint}
    if question.required:
        presence = DataRequired(REQUIRED_MESSAGES[question.type])
    elif question.type == "multi":
        presence = _no_choice_made  # Optional() looks only at the first value posted
    else:
        presence = Optional()
    if question.type in ("single", "yesno", "scale"):
        return RadioField(
            choices=choices(choice_pairs(question)),
            validators=[presence, in_choices],
            validate_choice=False,
            **kwargs,
        )
    if question.type == "multi":
        return SelectMultipleField(
            choices=choices(choice_pairs(question)),
            validators=[presence, in_choices],
            validate_choice=False,
            **kwargs,
        )
    if question.type == "number":
        bounds = (question.settings.get("min"), question.settings.get("max"))
        return StringField(validators=[presence, _number(bounds)], **kwargs)
    if question.type == "email":
        return StringField(
            validators=[presence, Length(max=254, message=EMAIL_FORMAT), valid_email], **kwargs
        )
    field_class = TextAreaField if question.type == "longtext" else StringField
    return field_class(validators=[presence, _too_long(text_limit(question))], **kwargs)


class PageForm(Form):
    """Answers to one survey page; fields are added for the page's questions."""

    website = StringField("Leave this field empty")  # the honeypot
    loaded = HiddenField()
    change_draft = HiddenField()

    def __init__(
        self, questions: list[Question], earlier: dict[str, Any], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.earlier = earlier
        self._kept: dict[str, Any] = {}

    def validate(self, extra_validators=None) -> bool:
        """Check each question that applies, in order, given the answers before it.

        A follow-up that the page's own answers rule out is not checked, and its
        answer is not kept, even when one was posted.
        """
        super().validate(extra_validators)
        valid = not (self.meta.csrf and self.csrf_token.errors)
        known = dict(self.earlier)
        self._kept = {}
        for question in self.questions:
            self._check_other(question)
            if not routing.applies(question, known):
                for name in (field_name(question), other_name(question)):
                    if name in self:
                        self[name].errors = []
                continue
            if self._has_errors(question):
                valid = False
                continue
            value = self.answer_to(question)
            if value not in (None, "", []):
                known[question.key] = self._kept[question.key] = value
        return valid

    def _check_other(self, question: Question) -> None:
        if question.type == "multi" and question.settings.get("allow_other"):
            chosen = self[field_name(question)].data or []
            other = self[other_name(question)]
            if OTHER in chosen and not (other.data or "").strip() and not other.errors:
                other.errors = [*other.errors, "Enter your other answer"]

    def answers(self) -> dict[str, Any]:
        """After validate(): the answers to keep. Questions that do not apply, fields with
        errors and empty answers are left out, so saving to finish later keeps what was valid."""
        return dict(self._kept)

    def has_input_errors(self) -> bool:
        """Whether a value that was typed or chosen breaks a rule (a missing answer does not)."""
        return any(
            field.errors and any(str(value).strip() for value in field.raw_data or [])
            for field in self
            if field.name.startswith(("q_", "other_"))
        )

    def _has_errors(self, question: Question) -> bool:
        names = [field_name(question), other_name(question)]
        return any(name in self and self[name].errors for name in names)

    def answer_to(self, question: Question) -> Any:
        data = self[field_name(question)].data
        if question.type == "multi":
            chosen = list(dict.fromkeys(v for v in data or [] if v.strip() and v != OTHER))
            if question.settings.get("allow_other"):
                # Text typed for "Other" counts as choosing it, ticked or not.
                other = (self[other_name(question)].data or "").strip()
                if other:
                    chosen.append(OTHER_PREFIX + other)
            return chosen
        if question.type == "number":
            text = (data or "").strip().replace(",", "")
            if not text:
                return None
            value = Decimal(text)
            return int(value) if value == value.to_integral_value() else float(value)
        return (data or "").strip() if isinstance(data, str) else data


def page_form(questions: list[Question], answers: dict[str, Any]) -> PageForm:
    """A form for these questions, filled with the answers already saved."""
    form_class = _form_class(tuple(questions))
    page_keys = {q.key for q in questions}
    earlier = {key: value for key, value in answers.items() if key not in page_keys}
    # Flask-WTF reads a posted form itself. Saved answers only fill a page being shown:
    # mixed into a post, they would stand in for a choice the post left out.
    saved = None if request.method == "POST" else _saved(questions, answers)
    return form_class(questions, earlier, data=saved)


# Form classes by the question objects they ask, oldest first; past this the oldest go.
KEPT_FORM_CLASSES = 256
_form_classes: dict[tuple[int, ...], tuple[tuple[Question, ...], type[PageForm]]] = {}


def _form_class(questions: tuple[Question, ...]) -> type[PageForm]:
    """The form class for these questions, made once for the same question objects and
    kept: making a class costs more than filling in a form of it, and survey requests
    share the questions' read-only copies (app/survey/questions.py). Each entry holds its
    questions, so no other object can take their ids while it is kept."""
    kept_as = tuple(map(id, questions))
    kept = _form_classes.get(kept_as)
    if kept is not None:
        return kept[1]
    fields = {}
    for question in questions:
        fields[field_name(question)] = _question_field(question)
        if question.type == "multi" and question.settings.get("allow_other"):
            fields[other_name(question)] = StringField(
                "Your other answer",
                validators=[Optional(), _too_long(OTHER_LIMIT)],
            )
    form_class = type("SurveyPageForm", (PageForm,), fields)
    if len(_form_classes) >= KEPT_FORM_CLASSES:
        del _form_classes[next(iter(_form_classes))]
    _form_classes[kept_as] = (questions, form_class)
    return form_class


def _saved(questions: list[Question], answers: dict[str, Any]) -> dict[str, Any]:
    """Saved answers in the shape the fields take."""
    data: dict[str, Any] = {}
    for question in questions:
        answer = answers.get(question.key)
        if answer is None:
            continue
        if question.type == "multi":
            data[field_name(question)] = [a if a in question.options else OTHER for a in answer]
            others = [a for a in answer if a not in question.options]
            if others:
                data[other_name(question)] = others[0].removeprefix(OTHER_PREFIX)
        elif question.type == "number":
            data[field_name(question)] = str(answer)
        else:
            data[field_name(question)] = answer
    return data


def _required_if(other: str, value: str, message: str):
    """Required when another field has `value`; otherwise optional."""

    def check(form: Form, field: Field) -> None:
        if form[other].data == value and not (field.data or "").strip():
            raise StopValidation(message)

    return check


class DetailsForm(Form):
    """Who is responding, whether they want news of the consultation, and what they agree to."""

    respond_as = RadioField(
        "Are you responding as an individual or for an organisation?",
        choices=choices(
            [("individual", "As an individual"), ("organisation", "For an organisation")]
        ),
        validators=[
            DataRequired(
                "Select whether you are responding as an individual or for an organisation"
            ),
            in_choices,
        ],
        validate_choice=False,
    )
    organisation = StringField(
        "Name of your organisation",
        validators=[
            _required_if("respond_as", "organisation", "Enter the name of your organisation"),
            Length(max=200, message="Organisation name must be 200 characters or fewer"),
        ],
    )
    name = StringField(
        "Your name",
        validators=[
            _required_if(
                "publish",
                "named",
                "Enter your name, or choose to publish your response anonymously",
            ),
            Length(max=200, message="Name must be 200 characters or fewer"),
        ],
    )
    email = StringField(
        "Email address (optional)",
        validators=[
            email_to_follow,
            Optional(),
            Length(max=254, message=EMAIL_FORMAT),
            valid_email,
            sendable_to_follow,
        ],
    )
    follow = follow_field()
    publish = publish_field()
    consent = consent_field()
    website = StringField("Leave this field empty")
    loaded = HiddenField()
    change_draft = HiddenField()


class DetailsChangeForm(DetailsForm):
    """The details of a change to a sent response: news of the consultation is offered
    with a new response only."""

    follow = None


class SubmitForm(Form):
    """Check your answers, then send: the draft's token makes a second send land on the first.

    A change to a sent response also carries the response's id and the version the change
    began from, to say what became of it when its draft has gone (changes.py)."""

    token = HiddenField()
    loaded = HiddenField()
    changing = HiddenField()
    version = HiddenField()
    website = StringField("Leave this field empty")


class SaveForm(Form):
    """Email a link to carry on with the survey later."""

    email = email_field()
    website = StringField("Leave this field empty")
    loaded = HiddenField()


class ResumeForm(Form):
    """Carry on with a saved survey here: a button, so that a mail scanner following the
    emailed link (a GET) does not spend it."""
