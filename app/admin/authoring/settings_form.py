"""The form that creates a consultation and changes its settings.

It checks only what a form must (a title, real dates and whole numbers); the rest is
the consultation file's own checks (app.consultations.files), run on what the form
builds with file_data(), whose problems show_file_errors() puts by their fields in the
site's words: each says which field, what was typed and what would be right. After an
edit conflict, typed_differently() says what was typed that the saved settings lack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, get_args
from zoneinfo import ZoneInfo

from flask import current_app
from pydantic import BaseModel
from wtforms import (
    Field,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation, ValidationError

from app.admin.consultation_settings import ALERT_MODE_LABELS
from app.admin.forms import (
    ContactSettingsForm,
    DatesForm,
    LocalDateTimeField,
    deadline_message,
    quoted,
)
from app.consultations.checklist import Outline
from app.consultations.files import (
    ATTACHMENT_TYPES,
    DEFAULT_RESPONDENT_TYPES,
    AttachmentRules,
    ConsultationSpec,
    ContactSpec,
    EvidenceSpec,
)
from app.consultations.survey_schema import OptionText
from app.evidence.services import settings as evidence_settings
from app.formatting import phones, timefmt
from app.intake import channels
from app.models import Consultation
from app.web.forms import choices, in_choices, valid_email


def _limits(model: type[BaseModel], name: str) -> tuple[int, int]:
    """The smallest and largest whole number the file allows for a field (Optional or not)."""
    info = model.model_fields[name]
    found = list(info.metadata)
    for member in get_args(info.annotation):  # int | None hides its limits one level down
        for extra in get_args(member)[1:]:
            found.extend(getattr(extra, "metadata", []))
    low = high = 0
    for limit in found:
        if hasattr(limit, "ge"):
            low = limit.ge
        elif hasattr(limit, "gt"):
            low = limit.gt + 1
        elif hasattr(limit, "le"):
            high = limit.le
    return low, high


GRACE = _limits(ConsultationSpec, "grace_minutes")
MAX_FILES = _limits(AttachmentRules, "max_files")
MAX_MB = _limits(AttachmentRules, "max_mb")
EVIDENCE_LENGTH = _limits(EvidenceSpec, "max_length")
TITLE_LENGTH = ConsultationSpec.model_fields["title"].metadata[-1].max_length
SLUG_LENGTH = ConsultationSpec.model_fields["slug"].metadata[-1].max_length
OPTION_LENGTH = next(
    limit.max_length
    for extra in get_args(OptionText)[1:]
    for limit in getattr(extra, "metadata", [])
    if hasattr(limit, "max_length")
)
# What the page's hints say each number may be.
LIMITS = {
    "grace_minutes": GRACE,
    "max_files": MAX_FILES,
    "max_mb": MAX_MB,
    "evidence_max_length": EVIDENCE_LENGTH,
}
NAME_LENGTH = 200  # the officer's name column holds no more
CONTROL_CODE = re.compile(r"control character \((U\+[0-9A-F]{4,})\)")  # the file's words
SLUG_SHAPE = "lower-case letters, digits and single hyphens, like local-services-2027"
OFFICER_EMAIL_FORMAT = (
    "Enter the policy officer's email address in the correct format, like name@example.org"
)
PHONE_FORMAT = "Enter the policy officer's telephone number, like 020 7946 0000 or +44 808 157 0192"
TYPE_LABELS = {
    "pdf": "PDF",
    "docx": "Word (DOCX)",
    "odt": "OpenDocument (ODT)",
    "txt": "Plain text (TXT)",
}


def _trimmed(text: str | None) -> str:
    return text.strip() if text else ""


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


class WholeNumberField(IntegerField):
    """A whole number typed as text ("20,000" too), or None when left empty."""

    def __init__(self, label: str, invalid: str = "", **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.invalid = invalid

    def process_formdata(self, valuelist: list[str]) -> None:
        typed = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not typed:
            return
        try:
            self.data = int(typed.replace(",", ""))
        except ValueError:
            raise ValueError(f"{self.invalid}. You entered {quoted(typed)}") from None


def _offered(what: str):
    """in_choices, saying what to select and which value sent was never offered: only
    a crafted post sends one, but its message must still say which field it is about."""

    def check(form: SettingsForm, field: Field) -> None:
        try:
            in_choices(form, field)
        except StopValidation:
            allowed = {choice.value for choice in field.choices}
            sent = field.data if isinstance(field.data, list) else [field.data]
            wrong = next(value for value in sent if value not in allowed)
            raise StopValidation(
                f"Select only the {what} shown. {quoted(wrong)} is not one of them"
            ) from None

    return check


# Said the same way as the rest of the form ("each response"); the keys are the modes.
ALERT_CHOICES = {
    "instant": "An email for each response",
    "daily": "A daily digest: one email at 8am listing the day's responses",
}


# The field each item of the publishing checklist is put right in.
FIELDS_OF_ITEMS = {
    "officer.email": "officer_email",
    "channels": "channels",
    "survey": "channels",
    "evidence.topics": "topics",
    "closes_at": "closes_at",
}


class SettingsForm(ContactSettingsForm):
    """Every setting of a consultation but its survey's questions, on one page (the
    get-in-touch settings are those of the Calls page's form)."""

    version = HiddenField()  # the version the form was loaded with (edit conflicts)
    confirm = HiddenField()  # the dates an admin agreed to move an open consultation to
    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter a title"),
            Length(
                max=TITLE_LENGTH,
                message=f"Enter a title of {TITLE_LENGTH} characters or fewer."
                " You entered %(length)d characters",
            ),
        ],
        filters=[_one_line],
    )
    slug = StringField("Web address (optional)", filters=[_trimmed])
    summary = TextAreaField(
        "Summary", validators=[DataRequired("Enter a summary")], filters=[_trimmed]
    )
    body = TextAreaField("Page text (optional)", filters=[_trimmed])
    opens_at = LocalDateTimeField(
        "Opening time",
        called="the opening time",
        validators=[InputRequired("Enter the opening date and time")],
    )
    closes_at = LocalDateTimeField(
        "Deadline",
        called="the deadline",
        validators=[InputRequired("Enter the deadline date and time")],
    )
    grace_minutes = WholeNumberField(
        "Grace period in minutes (optional)",
        invalid="Enter the grace period as a whole number of minutes, like 30",
    )
    officer_name = StringField(
        "Name",
        validators=[
            DataRequired("Enter the policy officer's name"),
            Length(
                max=NAME_LENGTH,
                message=f"Enter the policy officer's name in {NAME_LENGTH} characters or fewer."
                " You entered %(length)d characters",
            ),
        ],
        filters=[_one_line],
    )
    officer_email = StringField("Email address", filters=[_trimmed])
    officer_phone = StringField("Telephone number (optional)", filters=[_trimmed])
    channels = SelectMultipleField(
        "Ways of taking part",
        validators=[_offered("ways of taking part")],
        validate_choice=False,
    )
    respondent_types = TextAreaField("Who can send written evidence (optional)")
    topics = TextAreaField("Themes")
    evidence_max_length = WholeNumberField(
        "Longest written evidence, in characters (optional)",
        invalid="Enter the longest written evidence as a whole number of characters, like 20000",
    )
    max_files = WholeNumberField(
        "Most documents with each response (optional)",
        invalid="Enter the most documents with each response as a whole number, like 3",
    )
    max_mb = WholeNumberField(
        "Largest document, in MB (optional)",
        invalid="Enter the largest document size as a whole number of MB, like 10",
    )
    attachment_types = SelectMultipleField(
        "Types of document accepted",
        choices=choices([(kind, TYPE_LABELS[kind]) for kind in ATTACHMENT_TYPES]),
        validators=[_offered("types of document")],
        validate_choice=False,
    )
    alert_mode = RadioField(
        "How should the policy officer hear about new responses?",
        choices=choices([(mode, ALERT_CHOICES[mode]) for mode in ALERT_MODE_LABELS]),
        validators=[
            DataRequired("Select how the policy officer hears about new responses"),
            _offered("email alert options"),
        ],
        validate_choice=False,
    )

    def checklist_anchors(self, page: str) -> dict[str, str]:
        """For each checklist item, the link to the field on `page` that puts it right."""
        anchors = {}
        for key, name in FIELDS_OF_ITEMS.items():
            field = self[name]
            # A list of boxes is reached by its first box; they share no id of their own.
            anchor = f"{field.id}-1" if field.type == "SelectMultipleField" else field.id
            anchors[key] = f"{page}#{anchor}"
        return anchors

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channels.choices = choices(
            [(channel.name, channel.title) for channel in channels.all_channels()]
        )
        self.phone_shown = ""  # the officer's number as people write it, once valid

    # Checks a form makes; everything else is the file's

    validate_closes_at = DatesForm.validate_closes_at  # the same rule, in the same words

    def validate_officer_email(self, field: StringField) -> None:
        if not field.data:
            return
        try:
            valid_email(self, field)
        except ValidationError:
            raise ValidationError(
                f"{OFFICER_EMAIL_FORMAT}. You entered {quoted(field.data)}"
            ) from None

    def validate_officer_phone(self, field: StringField) -> None:
        if not field.data:
            return
        region = current_app.config["PHONE_REGION"]
        number = phones.parse(field.data, region)
        if number is None:
            raise ValidationError(f"{PHONE_FORMAT}. You entered {quoted(field.data)}")
        self.phone_shown = phones.display(number, region)

    # What the form holds, as the consultation file and the checklist read it

    def lines(self, field: TextAreaField) -> list[tuple[int, str]]:
        """(line number, text) of each line with something on it, each text once."""
        seen: dict[str, int] = {}
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            text = " ".join(line.split())
            if text and text not in seen:
                seen[text] = number
        return [(number, text) for text, number in seen.items()]

    @property
    def chosen_channels(self) -> list[str]:
        """The ways of taking part ticked, in the site's order, each once."""
        ticked = set(self.channels.data or [])
        return [choice.value for choice in self.channels.choices if choice.value in ticked]

    def file_data(
        self, slug: str, survey: dict | None, saved: Consultation | None = None
    ) -> dict[str, Any]:
        """The consultation file's mapping for what was typed; a field the form refused is
        left out, so the file does not report it a second time. A time left as the form
        showed it keeps the `saved` instant: in the autumn hour that happens twice, the
        wall time shown cannot say which of the two it was."""

        def valid(field):
            return not field.errors

        evidence: dict[str, Any] = {
            "topics": [text for _, text in self.lines(self.topics)],
            "attachments": {"types": list(dict.fromkeys(self.attachment_types.data or []))},
        }
        respondent_types = [text for _, text in self.lines(self.respondent_types)]
        if respondent_types:
            evidence["respondent_types"] = respondent_types
        for field, where, key in (
            (self.evidence_max_length, evidence, "max_length"),
            (self.max_files, evidence["attachments"], "max_files"),
            (self.max_mb, evidence["attachments"], "max_mb"),
        ):
            if valid(field) and field.data is not None:
                where[key] = field.data
        data: dict[str, Any] = {
            "slug": slug,
            "title": self.title.data or "",
            "summary": self.summary.data or "",
            "body": self.body.data or "",
            "officer": {
                "name": self.officer_name.data or "",
                "email": self.officer_email.data if valid(self.officer_email) else "",
                "phone": self.phone_shown,
            },
            "channels": self.chosen_channels,
            "evidence": evidence,
            "alert_mode": self.alert_mode.data if valid(self.alert_mode) else "instant",
        }
        zone = current_app.config["SITE_ZONE"]
        for field in (self.opens_at, self.closes_at):
            if valid(field) and field.instant is not None:
                data[field.name] = field.instant
                kept = getattr(saved, field.name, None)
                if kept is not None and field.data == timefmt.to_local(kept, zone):
                    data[field.name] = kept
        if valid(self.grace_minutes) and self.grace_minutes.data is not None:
            data["grace_minutes"] = self.grace_minutes.data
        if valid(self.messages_after_close) and valid(self.bookings_after_close):
            data["contact"] = {
                "messages_after_close": self.messages_after_close.data == "yes",
                "bookings_after_close": self.bookings_after_close.data == "yes",
            }
        if survey:
            data["survey"] = survey
        return data

    def outline(self, question_count: int) -> Outline:
        """What the publishing checklist looks at, from what was typed (saved or not)."""
        return Outline(
            officer_email=_trimmed(self.officer_email.data),
            channels=tuple(self.chosen_channels),
            topics=tuple(text for _, text in self.lines(self.topics)),
            question_count=question_count,
            closes_at=self.closes_at.instant if not self.closes_at.process_errors else None,
        )

    # The file's problems, by their fields

    def show_file_errors(self, by_key: list[tuple[str, str]]) -> None:
        """Put each of the file's problems by its field, in the site's words; a field that
        already has a problem keeps that one; what no field holds goes above the form."""
        for key, what in by_key:
            name, message = self._site_wording(key, what)
            if name is None:
                self.form_errors.append(message)
            elif not self[name].errors:
                self[name].errors = [message]

    def _site_wording(self, key: str, what: str) -> tuple[str | None, str]:
        """(field name, message) for one of the file's problems (key path, what is wrong);
        a list item's problem is its list's field's. No field: (None, the file's words)."""
        parts = key.split(".")
        index = int(parts.pop()) if len(parts) > 1 and parts[-1].isdigit() else None
        required = what.startswith("required")
        hidden = CONTROL_CODE.search(what)
        match ".".join(parts):
            case "slug" if len(self.slug.data or "") > SLUG_LENGTH:
                return "slug", (
                    f"Enter a web address of {SLUG_LENGTH} characters or fewer."
                    f" You entered {len(self.slug.data):,} characters"
                )
            case "slug":
                return (
                    "slug",
                    f"Enter a web address of {SLUG_SHAPE}. You entered {quoted(self.slug.data)}",
                )
            case "title":
                return "title", "Enter a title"
            case "summary" | "body" if hidden:
                return parts[0], self._without_hidden(parts[0], hidden.group(1))
            case "summary":
                return "summary", "Enter a summary"
            case "opens_at":
                return "opens_at", "Enter the opening date and time"
            case "closes_at":
                if required:
                    return "closes_at", "Enter the deadline date and time"
                return "closes_at", deadline_message(self.opens_at.instant, self.closes_at.instant)
            case "grace_minutes":
                return "grace_minutes", self._range(
                    "grace_minutes", "a grace period", GRACE, " minutes"
                )
            case "officer" | "officer.name":
                return "officer_name", "Enter the policy officer's name"
            case "officer.email" if required:
                return "officer_email", (
                    "Enter the policy officer's email address:"
                    " a published consultation must have one"
                )
            case "officer.email":
                return (
                    "officer_email",
                    f"{OFFICER_EMAIL_FORMAT}. You entered {quoted(self.officer_email.data)}",
                )
            case "officer.phone":
                return (
                    "officer_phone",
                    f"{PHONE_FORMAT}. You entered {quoted(self.officer_phone.data)}",
                )
            case "channels" if required:
                return "channels", (
                    "Select at least one way of taking part:"
                    " a published consultation must offer one"
                )
            case "channels":
                return "channels", "Select only the ways of taking part shown, each once"
            case "survey":
                return "channels", (
                    "The survey has no questions yet. Stop offering it until it has some:"
                    " a published consultation cannot offer an empty survey"
                )
            case "evidence.respondent_types":
                return "respondent_types", self._line_problem(
                    self.respondent_types, "respondent type", index
                )
            case "evidence.topics" if required:
                return "topics", (
                    "Enter at least one theme: a published consultation that takes written"
                    " evidence must have themes"
                )
            case "evidence.topics":
                return "topics", self._line_problem(self.topics, "theme", index)
            case "evidence.max_length":
                return "evidence_max_length", self._range(
                    "evidence_max_length",
                    "a length for written evidence",
                    EVIDENCE_LENGTH,
                    " characters",
                )
            case "evidence.attachments.max_files":
                return "max_files", self._range(
                    "max_files", "a number of documents with each response", MAX_FILES, ""
                )
            case "evidence.attachments.max_mb":
                return "max_mb", self._range("max_mb", "a largest document size", MAX_MB, " MB")
            case "evidence.attachments.types" if not self.attachment_types.data:
                return "attachment_types", (
                    "Select at least one type of document, or enter 0 as the most documents"
                    " with each response to accept none"
                )
            case "evidence.attachments.types":
                return "attachment_types", "Select only the types of document shown"
            case "contact.messages_after_close" | "contact.bookings_after_close":
                return parts[-1], self[parts[-1]].validators[0].message
            case "alert_mode":
                return "alert_mode", "Select how the policy officer hears about new responses"
        return None, f"{key}: {what}"

    def _range(self, name: str, what: str, limits: tuple[int, int], unit: str) -> str:
        low, high = limits
        typed = self[name]._value()
        return f"Enter {what} from {low:,} to {high:,}{unit}. You entered {quoted(typed)}"

    def _without_hidden(self, name: str, code: str) -> str:
        """For a text holding a control character: nobody sees it, so say which it is."""
        called = {"summary": "the summary", "body": "the page text"}[name]
        return (
            f"Enter {called} without the hidden character {code}, which may have come with"
            f" pasted text. You entered {quoted(self[name].data)}"
        )

    def _line_problem(self, field: TextAreaField, what: str, index: int | None) -> str:
        lines = self.lines(field)
        if index is None or index >= len(lines):
            return f"Enter each {what} on a line of its own, in {OPTION_LENGTH} characters or fewer"
        number, text = lines[index]
        return (
            f"Enter each {what} in {OPTION_LENGTH} characters or fewer."
            f" Line {number} has {len(text):,} characters"
        )


# What the form shows before anything is typed


def new_values() -> dict[str, Any]:
    """A new consultation's form: the defaults of everything optional, filled in."""
    attachments = AttachmentRules()
    contact = ContactSpec()
    return {
        "grace_minutes": current_app.config["GRACE_MINUTES"],
        "channels": [],
        "respondent_types": "\n".join(DEFAULT_RESPONDENT_TYPES),
        "topics": "",
        "evidence_max_length": EvidenceSpec().max_length,
        "max_files": attachments.max_files,
        "max_mb": attachments.max_mb,
        "attachment_types": list(attachments.types),
        "messages_after_close": "yes" if contact.messages_after_close else "no",
        "bookings_after_close": "yes" if contact.bookings_after_close else "no",
        "alert_mode": ConsultationSpec.model_fields["alert_mode"].default,
    }


def saved_values(consultation: Consultation, zone: ZoneInfo) -> dict[str, Any]:
    """The form for a consultation as it is saved now."""
    evidence = evidence_settings(consultation)
    attachments = evidence["attachments"]
    return {
        "version": str(consultation.version),
        "title": consultation.title,
        "slug": consultation.slug,
        "summary": consultation.summary,
        "body": consultation.body,
        "opens_at": timefmt.to_local(consultation.opens_at, zone),
        "closes_at": timefmt.to_local(consultation.closes_at, zone),
        "grace_minutes": consultation.grace_minutes,
        "officer_name": consultation.officer_name,
        "officer_email": consultation.officer_email,
        "officer_phone": consultation.officer_phone,
        "channels": list(consultation.channels or []),
        "respondent_types": "\n".join(evidence["respondent_types"]),
        "topics": "\n".join(evidence["topics"]),
        "evidence_max_length": evidence["max_length"],
        "max_files": attachments["max_files"],
        "max_mb": attachments["max_mb"],
        "attachment_types": list(attachments["types"]),
        "messages_after_close": "yes" if consultation.messages_after_close else "no",
        "bookings_after_close": "yes" if consultation.bookings_after_close else "no",
        "alert_mode": consultation.alert_mode,
    }


# What the settings admins type, in the order the page shows them.
SETTINGS = (
    "title",
    "slug",
    "summary",
    "body",
    "opens_at",
    "closes_at",
    "grace_minutes",
    "officer_name",
    "officer_email",
    "officer_phone",
    "channels",
    "respondent_types",
    "topics",
    "evidence_max_length",
    "max_files",
    "max_mb",
    "attachment_types",
    "messages_after_close",
    "bookings_after_close",
    "alert_mode",
)
# Labels that lean on their fieldset's legend, said in full in a list of their own.
LISTED_AS = {
    "officer_name": "Policy officer's name",
    "officer_email": "Policy officer's email address",
    "officer_phone": "Policy officer's telephone number",
}


@dataclass(frozen=True)
class Unsaved:
    """A setting typed otherwise than it is saved: its field, its label and what was
    typed; `long` text goes where it can be copied back whole."""

    name: str
    label: str
    typed: str
    long: bool


def typed_differently(
    saved: SettingsForm, typed: SettingsForm, names: Iterable[str]
) -> list[Unsaved]:
    """Each of the settings `names` that `typed` holds otherwise than `saved`, in order."""
    return [
        Unsaved(
            name,
            LISTED_AS.get(name, typed[name].label.text.removesuffix(" (optional)")),
            _as_typed(typed[name]),
            typed[name].type == "TextAreaField",
        )
        for name in names
        if _as_stored(typed, name) != _as_stored(saved, name)
    ]


def _as_stored(form: SettingsForm, name: str) -> Any:
    """A setting as saving it would read it, so that "1,440" and 1440 count as the same."""
    field = form[name]
    if name in ("respondent_types", "topics"):
        return [text for _, text in form.lines(field)]
    if name == "officer_phone":
        return phones.parse(field.data, current_app.config["PHONE_REGION"]) or field.data
    if field.type == "SelectMultipleField":
        return sorted(set(field.data or []))
    if field.data is None:
        return field._value()  # what was typed, which the field could not read
    return field.data


def _as_typed(field: Field) -> str:
    """What was typed in a field, as its page shows it."""
    if field.type in ("SelectMultipleField", "RadioField"):
        labels = {choice.value: choice.label for choice in field.choices}
        values = field.data if isinstance(field.data, list) else [field.data] if field.data else []
        return ", ".join(labels.get(value, value) for value in values) or "None selected"
    return (field.data if field.type == "TextAreaField" else field._value()) or "Left empty"
