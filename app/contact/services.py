"""Storing messages to the policy officer, changing them from the respondent's link, and
whether get in touch stays open after the close. Calls are booked through app.calls."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

from app.contact.channel import CONTACT
from app.extensions import db
from app.intake.changes import ChangeSending, Outcome, apply_change
from app.intake.channel import Sender, Sending
from app.intake.submissions import store_once
from app.models import Consultation, Response, record_audit


@dataclass(frozen=True)
class Message:
    """What the message form asks besides who is sending it, as plain values."""

    subject: str
    text: str
    phone: str = ""  # in E.164 form
    wants_call: bool = False


def send_message(
    consultation: Consultation, sender: Sender, message: Message, sending: Sending
) -> Response:
    """Store the message and queue the officer's alert and the receipt, in one commit.

    A second send of the same form returns the first.
    """
    stored, _new = store_once(
        lambda token: unsaved(consultation, sender, message, replace(sending, token=token)),
        sending.token,
        lambda token: CONTACT.find_by_token(consultation, token),
        lambda response: CONTACT.notify_sent(response, sending.now, sending.follows),
    )
    return stored


def unsaved(
    consultation: Consultation, sender: Sender, message: Message, sending: Sending
) -> Response:
    """The response `send_message` stores, stored nowhere: what a preview lists."""
    return CONTACT.new_response(
        consultation,
        sending,
        sender,
        phone=message.phone,
        subject=message.subject,
        message=message.text,
        wants_call=message.wants_call,
    )


def change_message(
    response: Response, sender: Sender, message: Message, sending: ChangeSending
) -> Outcome:
    """Change a message sent as its respondent asked, once (app.intake.changes). Commits.

    Whether it asks for a call is not changed here: the call has its own page.
    """
    return apply_change(response, sending, partial(_edit, sender, message))


def _edit(sender: Sender, message: Message, response: Response) -> None:
    """Set the changed values on the message."""
    response.name, response.email = sender.name, sender.email
    response.organisation = sender.organisation
    response.phone = message.phone
    response.subject = message.subject
    response.message = message.text


def save_settings(
    consultation: Consultation, messages_after_close: bool, bookings_after_close: bool, actor: str
) -> bool:
    """Whether get in touch stays available after the close. Returns whether it changed."""
    new = (messages_after_close, bookings_after_close)
    if (consultation.messages_after_close, consultation.bookings_after_close) == new:
        return False
    consultation.messages_after_close, consultation.bookings_after_close = new
    consultation.settings_changed()
    words = {True: "yes", False: "no"}
    record_audit(
        actor,
        "contact_settings",
        consultation,
        f"After the close: messages {words[new[0]]}, bookings {words[new[1]]}",
    )
    db.session.commit()
    return True
