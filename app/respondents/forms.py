"""The forms of the respondent's own pages: the publication choice, withdrawing, and
asking for new links."""

from __future__ import annotations

from wtforms import HiddenField, StringField

from app.intake.change_forms import version_sent
from app.web.forms import PUBLISH_CHOICES, Form, email_field, publish_field


class GuardedForm(Form):
    """A form with the guards against bots: the honeypot and the signed `loaded` stamp."""

    loaded = HiddenField()
    website = StringField("Leave this field empty")


class PublicationForm(GuardedForm):
    """May we publish it: with the name, anonymously, or not at all.

    `token` is this load's, so a double tap makes one change; `version` is the
    response's when the form was loaded, so a change made meanwhile elsewhere is not
    overwritten unseen.
    """

    publish = publish_field()
    token = HiddenField()
    version = HiddenField()
    was = HiddenField()  # the choice when the form was loaded

    def base_version(self, response) -> int:
        """The version the choice is changed from. A change made elsewhere meanwhile to
        anything but the choice is no reason to refuse it: then the current one."""
        if self.was.data in PUBLISH_CHOICES and self.was.data == response.publish:
            return response.version
        return version_sent(self.version.data)


class WithdrawForm(GuardedForm):
    """Withdrawing: nothing to fill in but the guards and the CSRF token."""


class NewLinkForm(GuardedForm):
    """The address the responses were sent from."""

    email = email_field()
