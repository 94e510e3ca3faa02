"""The forms of readers' comments: a comment (new or fixed), a report, and the one button
that deletes a comment."""

from __future__ import annotations

import re

from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.comments.rules import MOST_CHARACTERS, NOTE_CHARACTERS, REPORT_REASONS
from app.updates.forms import GuardedForm, TextForm
from app.web.forms import choices, in_choices

_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")


def tidy(text: str | None) -> str:
    """The text without spaces at its ends, and runs of blank lines as one."""
    return _BLANK_LINES.sub("\n\n", text.strip()) if text else ""


class CommentForm(GuardedForm):
    """A comment: plain text, with the bot guards. A new comment's form carries a token
    of its own, so that sending it twice posts one comment."""

    body = TextAreaField(
        "Comment",
        validators=[
            DataRequired("Enter a comment"),
            Length(
                max=MOST_CHARACTERS,
                message=f"Comment must be {MOST_CHARACTERS:,} characters or fewer",
            ),
        ],
        filters=[tidy],
    )
    token = HiddenField()


class ReportForm(GuardedForm):
    """ "Unsuitable or offensive?": why, and an optional note."""

    reason = RadioField(
        "Why are you reporting this comment?",
        choices=choices(list(REPORT_REASONS.items())),
        validators=[DataRequired("Select a reason"), in_choices],
        validate_choice=False,
    )
    note = TextAreaField(
        "Tell us more (optional)",
        validators=[
            Length(
                max=NOTE_CHARACTERS,
                message=f"Your note must be {NOTE_CHARACTERS:,} characters or fewer",
            )
        ],
        filters=[tidy],
    )


class DeleteForm(TextForm):
    """The button that deletes a comment: a form only for its CSRF token."""
