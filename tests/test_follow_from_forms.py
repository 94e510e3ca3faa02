"""Following a consultation from the form that sends a response: the tick box by the email
address on the survey's details page, the written evidence form and the message form.

Ada sends a response through the real form with the box ticked; the outbox worker
delivers her receipt and, apart from it, the email asking her to confirm; she follows its
link, and then follows the consultation, with where she asked and the wording's version
kept. Unticked, nothing of hers is kept for news. The forms that change a sent response
do not offer the box.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select, text

from app.extensions import db
from app.intake.fields import NEEDS_EMAIL_TO_FOLLOW
from app.models import CONFIRMED, Consultation, Follow, OutboxEmail, Response, Subscriber
from app.updates import subscriptions
from app.updates.rules import NOTICE_EVERY
from tests.support import contact
from tests.support import evidence as ev
from tests.support import survey as sv
from tests.support.actors import Admin
from tests.support.clients import new_browser
from tests.support.factories import SLUG, TITLE
from tests.support.outbox import outbox
from tests.support.pages import (
    error_messages,
    h1_text,
    page,
    redirect_path,
    stamped_form,
    summary_links,
    text_of,
    where,
)
from tests.support.respondents import (
    ADA,
    deliver_due,
    issued_link,
    link_named,
    send_shown,
)

ASKED_NEWS = "We have also sent you an email to confirm you want news of this consultation."
CONFIRM_SUBJECT = "Confirm you want email updates"
# What the receipt of a response sent with the box ticked adds, true whether the address
# is then asked to confirm or, already confirmed, only told what it now gets.
RECEIPT_SAYS = (
    "You asked for news of this consultation. We only send news to an email address that"
    " has been confirmed. If yours needs confirming, look for a separate email from us and"
    " follow its link to start getting news."
)
CONFIRM_LINK = re.compile(r"https?://\S+/updates/confirm/\S+")
CHANNELS = ["survey", "evidence", "contact"]

MESSAGE = {
    "name": "Ada Jones",
    "email": ADA,
    "phone": "",
    "organisation": "",
    "subject": "Bus routes in the north of the borough",
    "message": "The 42 no longer runs after 7pm.",
}


# --- Ada sends a response through each form ------------------------------------------------


def opens_form(client, channel: str):
    """The form that asks for the email address, with the survey's pages before it done."""
    if channel == "survey":
        for number, data in sv.OFFICER_ROUTE.items():
            sv.answer(client, number, data)
        return sv.open_step(client, sv.DETAILS_URL)
    return client.get(ev.URL if channel == "evidence" else contact.MESSAGE_URL)


def fields_of(channel: str, follow: bool) -> dict:
    fields = {"survey": sv.DETAILS, "evidence": ev.VALID, "contact": MESSAGE}[channel]
    return {**fields, "follow": "y" if follow else None}


def sends_shown(client, clock, channel: str, shown, follow: bool):
    """Send the form on the page `shown` as Ada, after a few seconds: where it leads. The
    survey's details lead to the check page, from which she sends her response."""
    clock.advance(seconds=5)
    if channel == "evidence":
        return ev.send_form(client, shown, fields_of(channel, follow))
    fields = {k: v for k, v in fields_of(channel, follow).items() if v is not None}
    sent = send_shown(client, shown, fields)
    if channel != "survey":
        return sent
    assert where(sent) == sv.CHECK, error_messages(sent)
    return sv.send(client, clock)


def sends(client, clock, channel: str, follow: bool = True):
    """Ada sends a response through the channel's form; it must be accepted. The
    confirmation page it leads to."""
    sent = sends_shown(client, clock, channel, opens_form(client, channel), follow)
    assert sent.status_code == 303, (sent.status_code, error_messages(sent))
    assert redirect_path(sent).endswith("/confirmation"), where(sent)
    confirmation = client.get(where(sent))
    assert confirmation.status_code == 200
    return confirmation


def said(response) -> str:
    return text_of(page(response).find("main"))


# --- what is kept, and what arrives -----------------------------------------------------------


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def subscriber() -> Subscriber:
    db.session.rollback()
    [found] = db.session.scalars(select(Subscriber)).all()
    return found


def follows() -> list[Follow]:
    db.session.rollback()
    return list(db.session.scalars(select(Follow).order_by(Follow.id)))


def responses() -> list[Response]:
    db.session.rollback()
    return list(db.session.scalars(select(Response).order_by(Response.id)))


def receipt_of(smtp_server, response: Response):
    """The receipt of the response, as the SMTP server received it: its text and its HTML
    read as text, each with its lines joined as a reader's client would wrap them."""
    [receipt] = [m for m in smtp_server.to(ADA) if response.reference in m.message["Subject"]]
    return (
        receipt,
        " ".join(receipt.text.split()),
        text_of(BeautifulSoup(receipt.html, "html.parser")),
    )


def confirmation_emails(smtp_server):
    return [m for m in smtp_server.to(ADA) if m.message["Subject"] == CONFIRM_SUBJECT]


def confirms_by_the_link(client, smtp_server) -> None:
    """Ada follows the link in her confirmation email, and presses its page's button."""
    [email] = confirmation_emails(smtp_server)
    opened = client.get(urlsplit(CONFIRM_LINK.search(email.text).group(0)).path)
    assert h1_text(opened) == "Confirm your email address"
    assert f"News of {TITLE}" in said(opened)
    button = page(opened).find("button", string="Confirm your email address")
    form = button.find_parent("form")
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    confirmed = client.post(form["action"], data={"csrf_token": token})
    assert h1_text(confirmed) == "Your email address is confirmed"
    assert f"News of {TITLE}" in said(confirmed)
    assert subscriber().status == CONFIRMED


# --- each form ------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
def test_the_form_offers_news_of_the_consultation_by_the_email_address_unticked(
    client, survey, channel
):
    shown = opens_form(client, channel)

    form = stamped_form(page(shown))
    box = form.find("input", attrs={"name": "follow"})
    assert box is not None, "no tick box for news"
    assert box["type"] == "checkbox"
    assert not box.has_attr("checked")
    assert text_of(form.find("label", attrs={"for": box["id"]})) == (
        "Email me news of this consultation"
    )
    # It comes straight after the email address it is about.
    names = [field["name"] for field in form.find_all(["input", "textarea"]) if field.get("name")]
    assert names[names.index("email") + 1] == "follow"
    hint = text_of(form.find(id="follow-hint"))
    assert hint.startswith(
        "We will email you a week before it closes, when it closes and when we publish what"
        " came of it. We will not email you about anything else."
        " We will first send you an email to check it is your address."
    )
    promise = text_of(box.find_next("p"))
    assert "we will never give your email address or name to another organisation" in promise


@pytest.mark.parametrize("channel", CHANNELS)
def test_ticked_the_address_follows_the_consultation_once_it_confirms_from_its_email(
    client, clock, survey, smtp_server, channel
):
    confirmation = sends(client, clock, channel)

    assert ASKED_NEWS in said(confirmation)
    [response] = responses()
    assert response.email == ADA
    pending = subscriber()
    assert pending.status != CONFIRMED
    assert pending.name == "Ada Jones"
    assert not pending.site_updates  # following one consultation is not the site's updates

    deliver_due(clock)
    receipt, text, html = receipt_of(smtp_server, response)
    assert "List-Unsubscribe" not in receipt.message  # a receipt is not marketing
    assert RECEIPT_SAYS in text
    assert RECEIPT_SAYS in html
    [asking] = confirmation_emails(smtp_server)
    assert asking.message["To"] == f"Ada Jones <{ADA}>"
    confirms_by_the_link(client, smtp_server)

    [follow] = follows()
    assert follow.consultation_id == survey.id
    assert follow.consent_source == f"{channel} form"
    assert follow.consent_wording == subscriptions.CONSENT_WORDING
    assert follow.created_at == response.submitted_at


@pytest.mark.parametrize("channel", CHANNELS)
def test_unticked_nothing_is_kept_for_news_and_only_the_receipt_arrives(
    client, clock, survey, smtp_server, channel
):
    confirmation = sends(client, clock, channel, follow=False)

    assert "news of this consultation" not in said(confirmation)
    assert count(Subscriber) == count(Follow) == 0
    deliver_due(clock)
    [only] = smtp_server.to(ADA)
    receipt, text, html = receipt_of(smtp_server, responses()[0])
    assert receipt is only
    assert "news of this consultation" not in text
    assert "news of this consultation" not in html
    assert text.startswith("Dear Ada Jones, Thank you for taking part")  # it is her receipt


@pytest.mark.parametrize("channel", ["evidence", "contact"])
def test_a_second_tap_makes_one_response_and_one_follow(client, clock, survey, channel):
    shown = opens_form(client, channel)
    first = sends_shown(client, clock, channel, shown, follow=True)
    # Long enough that a second sign-up would send a second email, were one made.
    clock.advance(seconds=NOTICE_EVERY.total_seconds() + 60)
    again = sends_shown(client, clock, channel, shown, follow=True)

    assert first.status_code == again.status_code == 303
    assert where(again) == where(first)
    assert len(responses()) == 1
    assert len(follows()) == 1
    assert len(outbox("updates_confirm")) == 1


def test_the_survey_sent_twice_from_its_check_page_follows_once(client, clock, survey):
    sv.take_route(client, sv.OFFICER_ROUTE, fields_of("survey", follow=True))
    check = sv.open_step(client, sv.CHECK)
    clock.advance(seconds=5)
    first = sv.send_form(client, check, {})
    clock.advance(seconds=NOTICE_EVERY.total_seconds() + 60)
    again = sv.send_form(client, check, {})

    assert where(first) == where(again) == sv.CONFIRMATION
    assert len(responses()) == 1
    assert len(follows()) == 1
    assert len(outbox("updates_confirm")) == 1


def test_the_survey_asks_for_an_email_address_when_the_box_is_ticked_without_one(
    client, clock, survey
):
    shown = opens_form(client, "survey")
    details = {**fields_of("survey", follow=True), "email": "", "name": "Ada Jones"}
    refused = send_shown(client, shown, details)

    # An invalid form answers 422 on this site (and htmx swaps only 422): see the report.
    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: ")
    assert summary_links(refused) == {NEEDS_EMAIL_TO_FOLLOW: "email"}
    error = text_of(page(refused).find(id="email-error")).removeprefix("Error:").strip()
    assert error == NEEDS_EMAIL_TO_FOLLOW
    form = stamped_form(page(refused))
    assert form.find("input", attrs={"name": "follow"}).has_attr("checked")
    assert form.find("input", attrs={"name": "name"})["value"] == "Ada Jones"
    assert form.find("input", attrs={"name": "consent"}).has_attr("checked")
    for name, value in (("respond_as", "individual"), ("publish", "anonymous")):
        chosen = form.find("input", attrs={"name": name, "checked": True})
        assert chosen is not None and chosen["value"] == value, name
    assert count(Subscriber) == 0

    # With the address given, it goes on to the check page, which lists the choice.
    assert where(send_shown(client, refused, {**details, "email": ADA})) == sv.CHECK
    check = sv.open_step(client, sv.CHECK)
    rows = {
        text_of(row.find("dt")): text_of(row.find("dd"))
        for row in page(check).find("h2", string="About you").find_next_sibling("dl")("div")
    }
    assert rows["Email me news of this consultation"] == "Yes"
    assert "We will also send you an email to confirm you want news" in said(check)


def test_the_survey_without_an_email_address_and_the_box_unticked_follows_nothing(
    client, clock, survey
):
    sv.take_route(client, sv.OFFICER_ROUTE, {**sv.DETAILS, "email": ""})
    sent = sv.send(client, clock)

    assert where(sent) == sv.CONFIRMATION
    assert count(Subscriber) == 0


def test_unticking_on_the_details_page_before_sending_follows_nothing(client, clock, survey):
    sv.take_route(client, sv.OFFICER_ROUTE, fields_of("survey", follow=True))
    shown = sv.open_step(client, sv.DETAILS_URL)
    assert stamped_form(page(shown)).find("input", attrs={"name": "follow"}).has_attr("checked")

    sv.send_form(client, shown, {**sv.DETAILS})  # the box left unticked
    assert where(sv.send(client, clock)) == sv.CONFIRMATION

    assert count(Subscriber) == 0


def test_the_evidence_form_keeps_the_box_ticked_when_it_comes_back_with_a_problem(
    client, clock, survey
):
    refused = ev.send(client, clock, {**fields_of("evidence", follow=True), "evidence": ""})

    ev.assert_refused_with(refused, "evidence", "Enter your evidence")
    assert stamped_form(page(refused)).find("input", attrs={"name": "follow"}).has_attr("checked")
    assert count(Subscriber) == 0


def test_an_address_already_confirmed_is_told_so_by_email_and_the_page_says_the_same(
    client, clock, survey, smtp_server
):
    sends(client, clock, "evidence")
    deliver_due(clock)
    confirms_by_the_link(client, smtp_server)

    clock.advance(seconds=NOTICE_EVERY.total_seconds() + 60)
    confirmation = sends(client, clock, "contact")

    assert ASKED_NEWS in said(confirmation)
    assert len(outbox("updates_confirm")) == 1  # not asked to confirm again
    assert len(outbox("updates_subscribed")) == 1
    assert [f.consent_source for f in follows()] == ["evidence form"]
    # Her receipt says the same as any other: its words hold for a confirmed address too.
    deliver_due(clock)
    _receipt, text, html = receipt_of(smtp_server, responses()[-1])
    assert RECEIPT_SAYS in text
    assert RECEIPT_SAYS in html


def test_a_message_asking_for_a_call_says_so_on_the_page_for_choosing_a_time(client, clock, survey):
    contact.publish(survey, clock.now + timedelta(days=3))
    shown = client.get(contact.MESSAGE_URL)
    clock.advance(seconds=5)
    sent = send_shown(
        client, shown, {**MESSAGE, "phone": "020 7946 0123", "wants_call": "yes", "follow": "y"}
    )

    call_page = client.get(contact.call_url(sent))
    assert h1_text(call_page) == "Choose a time for your call"
    assert ASKED_NEWS in said(call_page)
    assert len(follows()) == 1


@pytest.fixture
def follow_table_gone(app):
    """A fault in signing up, whatever it be: the table of follows is not there. It is put
    back afterwards, since a PostgreSQL test's database is emptied for the next test."""
    db.session.execute(text("ALTER TABLE follow RENAME TO follow_gone"))
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(text("ALTER TABLE follow_gone RENAME TO follow"))
    db.session.commit()


def test_a_sign_up_that_fails_leaves_the_response_sent_and_its_page_shown(
    client, clock, survey, caplog, follow_table_gone
):
    with caplog.at_level(logging.ERROR, logger="app.intake.following"):
        confirmation = sends(client, clock, "evidence")

    [response] = responses()
    assert h1_text(confirmation) == "Evidence sent"
    assert response.reference in said(confirmation)
    assert ASKED_NEWS not in said(confirmation)
    assert [email.kind for email in outbox()] == ["alert", "receipt"]
    assert count(Subscriber) == 0
    assert f"Could not sign up the sender of {response.reference}" in caplog.text


# --- a preview signs no one up ----------------------------------------------------------------


@pytest.fixture
def colleague(app, admin_user, survey: Consultation, clock):
    """Someone with no account, following the admin's preview link to a draft."""
    survey.published_at = None
    survey.opens_at = clock.now + timedelta(days=10)
    db.session.commit()
    admin = Admin.signs_in(app)
    page_path = f"/admin/consultations/{SLUG}"
    made = admin.sends_form(f"{page_path}/preview-link", {}, page=page_path)
    assert made.status_code == 303
    link = page(admin.reads(page_path)).find("input", id="preview-link-url")["value"]
    browser = new_browser(app)
    assert browser.get(urlsplit(link).path).status_code == 303
    return browser


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_preview_says_the_box_would_have_asked_to_follow_and_signs_no_one_up(
    clock, colleague, channel
):
    sent = sends_shown(colleague, clock, channel, opens_form(colleague, channel), follow=True)

    assert sent.status_code == 200, error_messages(sent)
    assert h1_text(sent) == "This is a preview: your response was not sent"
    assert "You asked for news of this consultation" in said(sent)
    assert count(Subscriber) == count(Response) == count(OutboxEmail) == 0


# --- the forms that change a sent response ----------------------------------------------------


def offers_news(shown) -> bool:
    return stamped_form(page(shown)).find("input", attrs={"name": "follow"}) is not None


@pytest.mark.parametrize("channel", ["evidence", "contact"])
def test_the_form_changing_evidence_or_a_message_offers_no_box(client, clock, survey, channel):
    sends(client, clock, channel, follow=False)
    link = issued_link(responses()[0])

    change = client.get(link_named(client.get(link), "Change your response"))

    assert change.status_code == 200
    assert not offers_news(change)
    assert "News of this consultation" not in said(change)


def test_the_survey_change_offers_no_box_and_a_ticked_one_posted_does_nothing(
    client, clock, survey
):
    sends(client, clock, "survey", follow=False)
    link = issued_link(responses()[0])
    started = client.get(link_named(client.get(link), "Change your response"))
    assert where(started) == sv.CHECK

    details = sv.open_step(client, sv.DETAILS_URL)
    assert not offers_news(details)
    check = sv.open_step(client, sv.CHECK)
    assert "Email me news" not in said(check)

    changed = {**sv.DETAILS, "name": "Ada M. Jones", "follow": "y"}
    assert where(sv.send_form(client, details, changed)) == sv.CHECK
    clock.advance(seconds=5)
    sent = sv.send_form(client, sv.open_step(client, sv.CHECK), {})
    assert sent.status_code == 303, error_messages(sent)

    assert responses()[0].name == "Ada M. Jones"
    assert count(Subscriber) == 0


def test_a_message_after_the_close_offers_only_the_outcome_and_none_once_it_is_out(
    client, clock, survey
):
    survey.closes_at = clock.now - timedelta(days=1)
    survey.messages_after_close = True
    db.session.commit()
    shown = client.get(contact.MESSAGE_URL)
    hint = text_of(page(shown).find(id="follow-hint"))
    assert hint.startswith("We will email you when we publish what came of it.")

    survey.outcome_published_at = clock.now
    db.session.commit()
    shown = client.get(contact.MESSAGE_URL)
    assert not offers_news(shown)
    clock.advance(seconds=5)
    sent = send_shown(client, shown, {**MESSAGE, "follow": "y"})  # posted all the same

    assert sent.status_code == 303, error_messages(sent)
    assert len(responses()) == 1
    assert count(Subscriber) == 0
