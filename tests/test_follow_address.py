"""The address beside the box for news of a consultation, on the survey's details page,
the written evidence form and the message form: ticked, the box sends a confirmation email
there, so an address the outbox cannot send to (not plain ASCII before the @: it speaks
SMTP without SMTPUTF8) is refused by its field, as the sign-up and follow forms refuse it,
with everything else typed and chosen kept. Unticked, the box asks nothing of it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.intake.fields import LOCAL_PART_MESSAGE
from app.models import SUBMITTED, Response, Subscriber
from tests.support import contact
from tests.support import evidence as ev
from tests.support import survey as sv
from tests.support.pages import (
    error_messages,
    field_error,
    page,
    stamped_form,
    summary_links,
    text_of,
    where,
)
from tests.support.respondents import send_shown

JORG = "jörg@example.org"
CHANNELS = ["survey", "evidence", "contact"]
MESSAGE = {
    "name": "Jörg Weber",
    "email": JORG,
    "phone": "",
    "organisation": "Riverside Tenants",
    "subject": "Bus routes in the north of the borough",
    "message": "The 42 no longer runs after 7pm.",
}
FIELDS = {
    "survey": {**sv.DETAILS, "name": "Jörg Weber", "email": JORG},
    "evidence": {**ev.VALID, "name": "Jörg Weber", "email": JORG},
    "contact": MESSAGE,
}


def opens_form(client, channel: str):
    """The form that asks for the email address, with the survey's pages before it done."""
    if channel == "survey":
        for number, data in sv.OFFICER_ROUTE.items():
            sv.answer(client, number, data)
        return sv.open_step(client, sv.DETAILS_URL)
    return client.get(ev.URL if channel == "evidence" else contact.MESSAGE_URL)


def sends(client, clock, channel: str, follow: bool):
    """Jörg fills in the form, after a few seconds, with the box ticked or not."""
    shown = opens_form(client, channel)
    clock.advance(seconds=5)
    fields = {**FIELDS[channel], **({"follow": "y"} if follow else {})}
    if channel == "evidence":
        return ev.send_form(client, shown, fields)
    return send_shown(client, shown, fields)


def shown_back(form, name: str) -> str | list[str]:
    """What the form shows for the field `name`: the text typed, or the boxes ticked."""
    fields = form.find_all(attrs={"name": name})
    assert fields, f"no field {name}"
    if fields[0].name == "textarea":
        return fields[0].get_text()
    if fields[0].get("type") in ("checkbox", "radio"):
        return [field["value"] for field in fields if field.has_attr("checked")]
    return fields[0].get("value", "")


def count(model, *conditions) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


@pytest.mark.parametrize("channel", CHANNELS)
def test_ticked_an_address_the_outbox_cannot_send_to_is_refused_by_the_field(
    client, clock, survey, channel
):
    refused = sends(client, clock, channel, follow=True)

    assert refused.status_code == 422, (refused.status_code, error_messages(refused))
    assert page(refused).title.get_text().startswith("Error: ")
    assert summary_links(refused) == {LOCAL_PART_MESSAGE: "email"}
    assert field_error(refused, "email") == LOCAL_PART_MESSAGE
    form = stamped_form(page(refused))
    for name, value in {**FIELDS[channel], "follow": "y"}.items():
        kept = shown_back(form, name)
        assert kept == (value if isinstance(kept, str) or isinstance(value, list) else [value]), (
            name
        )
    assert count(Response, Response.status == SUBMITTED) == count(Subscriber) == 0


@pytest.mark.parametrize("channel", CHANNELS)
def test_unticked_the_box_asks_nothing_of_the_address(client, clock, survey, channel):
    sent = sends(client, clock, channel, follow=False)

    assert sent.status_code == 303, (sent.status_code, error_messages(sent))
    if channel == "survey":
        assert where(sent) == sv.CHECK
    else:
        assert where(sent).endswith("/confirmation")
    assert count(Subscriber) == 0


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_box_comes_close_after_the_address_with_the_longer_promise_after_it(
    client, survey, channel
):
    form = stamped_form(page(opens_form(client, channel)))

    hint = text_of(form.find(id="follow-hint"))
    assert hint == (
        "We will email you a week before it closes, when it closes and when we publish what"
        " came of it. We will not email you about anything else."
        " We will first send you an email to check it is your address."
    )
    box = form.find("input", attrs={"name": "follow"})
    assert text_of(box.find_next("p")).startswith("We will never send you spam")
    assert "We will never send you spam" not in hint
