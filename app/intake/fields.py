"""Form fields that every form asking who is sending a response shares."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import Length, Optional


def organisation_field() -> StringField:
    """The organisation someone responds for, if any (stored stripped: intake.sending)."""
    return StringField(
        "Organisation (optional)",
        validators=[
            Optional(),
            Length(max=200, message="Organisation name must be 200 characters or fewer"),
        ],
    )
