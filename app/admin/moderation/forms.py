"""The forms of moderation: removing a comment with a reason, and blocking a reader.
Restoring, dismissing and unblocking are one-button forms (admin.forms.ActionForm)."""

from __future__ import annotations

from wtforms import RadioField
from wtforms.validators import DataRequired

from app.admin.moderation.services import REASON_LENGTH
from app.web.forms import Form, choices, in_choices, limited_text

KEEP, DELETE = "keep", "delete"


class HideForm(Form):
    """Why the comment is removed: readers see only that a moderator removed it."""

    reason = limited_text(
        "Reason for removing it",
        REASON_LENGTH,
        "Enter the reason for removing the comment",
        one_line=True,
    )


class BlockForm(Form):
    """Why a reader is blocked (optional), and what becomes of their comments."""

    reason = limited_text("Reason for blocking them (optional)", REASON_LENGTH, one_line=True)
    comments = RadioField(
        "What should happen to their comments?",
        choices=choices([(KEEP, "Keep their comments"), (DELETE, "Delete their comments")]),
        validators=[DataRequired("Select what should happen to their comments"), in_choices],
        validate_choice=False,
    )
