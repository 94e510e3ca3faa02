"""The form a news post is written and changed with."""

from __future__ import annotations

import re

from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from app.models import NewsPost
from app.web.forms import Form, limited_text

TITLE_LENGTH = NewsPost.title.type.length
SUMMARY_LENGTH = NewsPost.summary.type.length
AUTHOR_LENGTH = NewsPost.author_name.type.length
SLUG_LENGTH = NewsPost.slug.type.length
BODY_LENGTH = 50_000
SLUG_SHAPE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def _trimmed(text: str | None) -> str:
    return text.strip() if text else ""


class NewsPostForm(Form):
    """A post's words, who wrote it, what it is about and whether readers may comment.

    `consultations` are the (id, title) pairs the page offers; the web address, when
    one is typed, must be in the shape of one (whether it is free is the service's to say).
    """

    title = limited_text("Title", TITLE_LENGTH, "Enter a title", one_line=True)
    slug = StringField("Web address (optional)", filters=[_trimmed])
    summary = limited_text(
        "Summary", SUMMARY_LENGTH, "Enter a summary", TextAreaField, one_line=True
    )
    body = limited_text("Body", BODY_LENGTH, field_class=TextAreaField)
    author_name = limited_text(
        "Author's name", AUTHOR_LENGTH, "Enter the author's name", one_line=True
    )
    consultation = SelectField("Consultation (optional)", validate_choice=False)
    comments_on = BooleanField("Allow comments", default=True)
    close_with_consultation = BooleanField(
        "Close comments when the consultation closes", default=True
    )

    def __init__(self, consultations: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.consultation.choices = [("", "None")] + [
            (str(key), title) for key, title in consultations
        ]

    def validate_slug(self, field: StringField) -> None:
        if not field.data:
            return
        if len(field.data) > SLUG_LENGTH:
            raise ValidationError(f"Web address must be {SLUG_LENGTH} characters or fewer")
        if not SLUG_SHAPE.fullmatch(field.data):
            raise ValidationError(
                "Web address must be lower-case letters, digits and single hyphens,"
                " like new-plans-for-parks"
            )

    def validate_consultation(self, field: SelectField) -> None:
        if (field.data or "") not in {value for value, _label in field.choices}:
            raise ValidationError("Select one of the consultations shown")

    @property
    def consultation_id(self) -> int | None:
        """The chosen consultation's id, or None for none (valid forms only)."""
        return int(self.consultation.data) if self.consultation.data else None
