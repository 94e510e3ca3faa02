"""The written evidence form, built for one consultation's respondent types and themes,
and the same form for changing evidence already sent."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import MultipleFileField
from wtforms import (
    Field,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from app.evidence.files import CheckedFile, detect_type, problem_with, too_large
from app.intake.change_forms import ChangeFormMixin
from app.intake.fields import follow_field, organisation_field, sendable_to_follow
from app.models import Attachment
from app.web.forms import (
    Form,
    choices,
    clean_text,
    consent_field,
    email_field,
    in_choices,
    name_field,
    publish_field,
)

MB = 1024 * 1024


class EvidenceForm(Form):
    """Who you are (and whether you want news of the consultation), which themes, your
    evidence and documents, publication and consent."""

    name = name_field()
    email = email_field()
    follow = follow_field()
    respondent_type = RadioField(
        "Which best describes you?",
        validators=[DataRequired("Select which best describes you"), in_choices],
        validate_choice=False,
    )
    organisation = organisation_field()
    topics = SelectMultipleField(
        "Which themes does your evidence address?",
        validators=[DataRequired("Select at least one theme"), in_choices],
        validate_choice=False,
    )
    evidence = TextAreaField("Your evidence")
    documents = MultipleFileField("Attach documents (optional)")
    publish = publish_field()
    consent = consent_field()
    token = HiddenField()
    loaded = HiddenField()
    website = StringField("Leave this field empty")

    def __init__(self, settings: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        self.respondent_type.choices = choices([(t, t) for t in settings["respondent_types"]])
        self.topics.choices = choices([(t, t) for t in settings["topics"]])
        limit = self.max_length
        self.evidence.validators = [
            DataRequired("Enter your evidence"),
            Length(max=limit, message=f"Your evidence must be {limit:,} characters or fewer"),
        ]
        self.checked_files: list[CheckedFile] = []

    def validate_email(self, field: Field) -> None:
        """With the follow box ticked, an address the outbox can send news to."""
        sendable_to_follow(self, field)

    def written(self) -> list[tuple[str, str]]:
        """What the respondent typed, for the closed page to show back."""
        return [
            ("Full name", self.name.data or ""),
            ("Themes", "; ".join(self.topics.data or [])),
            ("Your evidence", self.evidence.data or ""),
        ]

    @property
    def max_length(self) -> int:
        return int(self.settings["max_length"])

    @property
    def rules(self) -> dict[str, Any]:
        return self.settings["attachments"]

    @property
    def kept_documents(self) -> int:
        """Documents sent before and kept, which count towards the limit: none here."""
        return 0

    def validate_documents(self, field: MultipleFileField) -> None:
        """Each file checked by its content, size and name; all problems listed together."""
        uploads = [f for f in field.data or [] if getattr(f, "filename", "")]
        self.checked_files = []
        if uploads and len(uploads) + self.kept_documents > self.rules["max_files"]:
            field.errors.append(self.too_many_message)
            return
        max_bytes = self.rules["max_mb"] * MB
        for upload in uploads:
            name = clean_text(upload.filename)  # shown back on the page
            if _size(upload) > max_bytes:  # judged before reading it into memory
                field.errors.append(too_large(name, max_bytes))
                continue
            data = upload.read()
            problem = problem_with(name, data, self.rules["types"], max_bytes)
            if problem:
                field.errors.append(problem)
            else:
                self.checked_files.append(CheckedFile(name, detect_type(data) or "", data))

    @property
    def too_many_message(self) -> str:
        most = self.rules["max_files"]
        return f"Attach up to {most} {'file' if most == 1 else 'files'}"


class EvidenceChangeForm(ChangeFormMixin, EvidenceForm):
    """The evidence form filled in with what was sent, to change it: each document sent
    has a box to remove it, new ones count with those kept, and the form carries the
    version of the response it was loaded with and what it said then."""

    remove = SelectMultipleField("Remove", validate_choice=False)  # attachment ids
    follow = None  # news of the consultation is offered with new evidence only
    merged_fields = (
        "name",
        "email",
        "organisation",
        "respondent_type",
        "topics",
        "evidence",
        "publish",
    )

    def __init__(
        self, settings: dict[str, Any], sent: list[Attachment], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(settings, *args, **kwargs)
        self.list_documents(sent)

    def list_documents(self, sent: list[Attachment]) -> None:
        """Offer to remove each of these documents (again, after a change elsewhere)."""
        self.remove.choices = choices([(str(a.id), a.original_name) for a in sent])

    @property
    def kept_documents(self) -> int:
        ticked = set(self.remove.data or [])
        return sum(1 for choice in self.remove.choices if choice.value not in ticked)

    @property
    def too_many_message(self) -> str:
        most, kept = self.rules["max_files"], self.kept_documents
        if not kept or not most:
            return super().too_many_message
        if kept >= most:
            return (
                f"You can send up to {most} {'file' if most == 1 else 'files'}, counting the"
                " documents you keep: remove some of them before you attach more"
            )
        more = most - kept
        return (
            f"Attach up to {more} more {'file' if more == 1 else 'files'}, or remove one"
            " of the documents you sent"
        )

    @property
    def removed_ids(self) -> set[int]:
        """The documents ticked for removal, by attachment id (only ones listed count)."""
        listed = {choice.value for choice in self.remove.choices}
        return {int(value) for value in self.remove.data or [] if value in listed}


def _size(upload) -> int:
    """An uploaded file's size in bytes, from its spooled stream."""
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size
