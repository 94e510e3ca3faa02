"""The readers' forms: the address to send a sign-in link to, the name shown beside their
comments, and what to do with their comments when they delete their account."""

from __future__ import annotations

import unicodedata

from wtforms import Field, HiddenField, RadioField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from app.updates.forms import FollowForm, GuardedForm, TextForm
from app.web.forms import choices, email_field, in_choices

# Reader.name holds this many characters.
NAME_LENGTH = 50
NAME_REQUIRED = "Enter the name to show beside your comments"
NAME_TOO_LONG = f"Name must be {NAME_LENGTH} characters or fewer"
NAME_INVISIBLE = "Name must not include invisible formatting characters"
# Joiners hold emoji and some scripts' letters together: they are part of a name.
JOINERS = {"\u200c", "\u200d"}

DELETE_COMMENTS, KEEP_COMMENTS = "delete", "keep"
COMMENT_CHOICES = {
    DELETE_COMMENTS: "Delete my comments",
    KEEP_COMMENTS: "Keep my comments, shown as from \u2018a former reader\u2019",
}


class SignInForm(GuardedForm):
    """The address a sign-in link goes to, and where to go once signed in (app.readers.links
    checks it: it is never used as sent)."""

    email = email_field()
    next = HiddenField()

    # The outbox can send only to an address that is ASCII before the @, as for updates.
    validate_email = FollowForm.validate_email


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _shown_name(form: TextForm, field: Field) -> None:
    """A name that reads as itself: no characters that change how text around it is shown
    (right-to-left overrides) or that show nothing (zero-width spaces)."""
    if any(unicodedata.category(char) == "Cf" and char not in JOINERS for char in field.data):
        raise ValidationError(NAME_INVISIBLE)


class NameForm(TextForm):
    """The name shown beside a reader's comments: one line, trimmed, 1 to 50 characters.

    Characters HTML cannot carry (control characters) are dropped on input, as by every
    form; line breaks and runs of spaces become one space.
    """

    name = StringField(
        "Your name",
        validators=[
            DataRequired(NAME_REQUIRED),
            Length(max=NAME_LENGTH, message=NAME_TOO_LONG),
            _shown_name,
        ],
        filters=[_one_line],
    )
    next = HiddenField()


class SignOutForm(TextForm):
    """The "Sign out" button: a form only for its CSRF token."""


class UseLinkForm(TextForm):
    """The "Sign in" button on the page a sign-in link opens: link scanners open links, so
    only pressing it uses the link."""


class DeleteAccountForm(TextForm):
    """Deleting a reader's account, and what becomes of their comments."""

    comments = RadioField(
        "What should happen to your comments?",
        choices=choices(list(COMMENT_CHOICES.items())),
        validators=[DataRequired("Select what should happen to your comments"), in_choices],
        validate_choice=False,
    )

    def keep_comments(self) -> bool:
        return self.comments.data == KEEP_COMMENTS
