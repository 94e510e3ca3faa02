"""The forms of email updates: signing up, following a consultation, and the choices on
the page an unsubscribe link opens."""

from __future__ import annotations

import re
from typing import Any

from flask import request
from wtforms import Field, HiddenField, StringField

from app.intake.fields import sendable_address
from app.updates.subscriptions import NAME_MOST
from app.web.forms import Form, email_field, limited_text

# What the unsubscribe page's buttons send: everything, or one consultation by its id.
EVERYTHING = "all"
CONSULTATION_ID = re.compile(r"[1-9][0-9]{0,8}")


class TextForm(Form):
    """A form that reads only the text fields of a POST.

    FlaskForm would also hand a text field a file (a multipart body that sends the field
    as one) or a number, list or mapping from a JSON body: none is a way to fill in these
    forms, so such a field reads as not sent.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if not args and "formdata" not in kwargs:
            kwargs["formdata"] = request.form if request.method == "POST" else None
        super().__init__(*args, **kwargs)


class GuardedForm(TextForm):
    """A form with the guards against bots: the honeypot and the signed `loaded` stamp."""

    loaded = HiddenField()
    website = StringField("Leave this field empty")

    def show_as(self, prefix: str) -> GuardedForm:
        """Give every field an id of its own, so that two forms can share a page (a
        consultation's follow and sign-up boxes); the names sent stay the same."""
        for field in self:
            field.id = field.label.field_id = f"{prefix}-{field.name}"
        return self


class FollowForm(GuardedForm):
    """The address to send a consultation's news to, and a name to greet them by.

    It carries no CSRF token, nor does the sign-up form below: what they ask acts for no
    one signed in, and their views check that they came from this site instead
    (CSRFProtect.origin_only in app.extensions).
    """

    class Meta(GuardedForm.Meta):
        csrf = False

    email = email_field()
    name = limited_text("Your name (optional)", NAME_MOST, one_line=True)

    def validate_email(self, field: Field) -> None:
        """An address the outbox can send to, once it is in the right shape."""
        sendable_address(self, field)


class SignUpForm(FollowForm):
    """The same, for the site's updates, and the page the form was on (app.updates.routes
    reads it against the pages that have one: it is never stored as sent)."""

    page = HiddenField()


class ConfirmForm(TextForm):
    """The one button that confirms an address: a form only for its CSRF token. The link
    in the email opens a page with it, since link scanners open links too."""


class UnsubscribeForm(TextForm):
    """The button pressed on the page an unsubscribe link opens.

    No CSRF token: the page's address holds a signed token that only the email it came in
    carries, which is the secret a CSRF token would be. Whoever has the link may use it,
    by design (RFC 8058's one-click POST needs nothing else), and a browser without the
    session cookie, or with one that has expired, can still unsubscribe.
    """

    class Meta(TextForm.Meta):
        csrf = False

    stop = StringField("What do you want to stop?")

    def stopping_everything(self) -> bool:
        return self.stop.data == EVERYTHING

    def consultation_id(self) -> int | None:
        """The consultation a "Stop following" button named, if it was one."""
        value = self.stop.data or ""
        return int(value) if CONSULTATION_ID.fullmatch(value) else None
