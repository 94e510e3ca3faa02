"""Messages to the policy officer as a channel: how they are named, counted, described,
and taken after the close when the consultation allows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, current_app, url_for

from app.calls import booking as calls
from app.formatting import phones
from app.intake.channel import Channel, Rows
from app.mail.compose import site_url
from app.models import Booking, Consultation, Response


class ContactChannel(Channel):
    name = "contact"
    label = "Message"
    count_label = "Messages"
    email_kind = "message"
    reference_prefix = "CT"
    endpoint = "contact.message"
    change_endpoint = "contact.change"
    title = "Get in touch"
    description = "Send the policy officer a message, and book a call at a time that suits you."
    # A message is correspondence with the officer, not an answer to the consultation.
    correspondence = ("subject", "message")

    def count(self, consultation: Consultation) -> dict[str, int]:
        """Messages received and calls booked, for summaries."""
        return super().count(consultation) | {"Calls booked": calls.booked_count(consultation)}

    def after_close(self, consultation: Consultation) -> bool:
        return consultation.messages_after_close

    def sent_url(self, response: Response) -> str:
        """A message that asks for a call goes on to choosing its time."""
        slug = response.consultation.slug
        if response.wants_call:
            return url_for("contact.call", slug=slug, token=response.token)
        return url_for("contact.confirmation", slug=slug)

    def detail_rows(self, response: Response) -> Rows:
        """The message as the emails and the admin area list it."""
        region = current_app.config["PHONE_REGION"]
        rows = [("Name", response.name), ("Email address", response.email)]
        if response.phone:
            rows.append(("Telephone number", phones.display(response.phone, region)))
        if response.organisation:
            rows.append(("Organisation", response.organisation))
        return rows + [
            ("What is your message about?", response.subject),
            ("Your message", response.message),
            ("Would you like to book a call?", "Yes" if response.wants_call else "No"),
        ]

    def submission_extras(self, response: Response) -> dict[str, Any]:
        consultation = response.consultation
        extras: dict[str, Any] = {
            "next_steps": f"{consultation.officer_name} will reply to you by email, usually"
            " within 5 working days."
        }
        if response.wants_call:
            extras["action_label"] = "Choose a time for your call, or change it"
            extras["action_url"] = site_url(
                "contact.call", slug=consultation.slug, token=response.token
            )
        return extras

    def upcoming_call(self, response: Response, now: datetime) -> Booking | None:
        booking = calls.current_booking(response)
        return booking if booking is not None and booking.starts_at > now else None


CONTACT = ContactChannel()


def admit_booking(consultation: Consultation, now: datetime, loaded_at: datetime | None) -> None:
    """Let a request to book, move or cancel a call through: as a message is, but after
    the close only if the consultation goes on taking bookings."""
    if not consultation.offers(CONTACT.name):
        abort(404)
    CONTACT.admit(consultation, now, loaded_at, after_close=consultation.bookings_after_close)
