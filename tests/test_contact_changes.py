"""A message to the policy officer changed by its sender, from the link in their receipt
(issue 20).

The respondent sends a message, reads the receipt that the real SMTP server received,
opens its link and follows the message page's link to the message form filled in with
what they sent, without the question about a call: a call is booked, moved or cancelled
on its own page, which the form links to. The form is sent as a browser sends it (every
field as the page holds it, tests/support/pages.sent_by), with the changes made over it.
Time moves only when a test moves it: the clock starts on Monday 1 February 2027 at
midday, UK time being UTC in February.

What is checked: the message keeps its reference and becomes version 2, the version it
replaces is kept, one change alert and one change receipt list what changed, the audit
log; a double tap, two tabs (a change overtaken by another comes back merged with it,
so that sent again it undoes nothing), and a form sent unchanged; the grace rule and an
admin's close, unless the consultation takes messages after its close, when changes are
taken too. Junk sent to the change form never gives a 500 nor leaves an invalid message
(hypothesis, at the end).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from hypothesis import event, example, given, settings

from app.extensions import db
from app.models import Consultation, Response
from tests.support.change_forms import (
    AS_SERVED,
    CHANGED,
    UNCHANGED,
    Link,
    assert_each_change_kept,
    changed_in_both,
    closed_by_an_admin,
    flashes,
    hidden_as_sent,
    hidden_entries,
    link_from_receipt,
    open_change,
)
from tests.support.change_forms import overtaken as overtaken_by
from tests.support.clients import new_browser, utc
from tests.support.contact import (
    MESSAGE_URL,
    VALID_MESSAGE,
    call_url,
    deliver,
    messages,
    publish,
    send_message,
)
from tests.support.contact_fuzz import (
    FUZZ,
    MESSAGE_FIELDS,
    assert_message_valid,
    entries_of,
    firsts,
    message_verdict,
    post,
    stored_as_sent,
)
from tests.support.factories import SLUG
from tests.support.fuzz import extra_fields
from tests.support.outbox import outbox
from tests.support.pages import (
    field_error,
    h1_text,
    hidden_fields,
    kept_on_closed_page,
    page,
    sent_by,
    stamped_form,
    summary_links,
    text_of,
    value_of,
    where,
    with_changes,
)
from tests.support.respondents import OFFICER, audited, link_in, token_of

RESPONDENT = VALID_MESSAGE["email"]
NEW_SUBJECT = "Bus routes in the whole borough"
NEW_MESSAGE = "The 42 and the 17 no longer run after 7pm.\nPeople cannot get home."
CONFLICT = "Your message was changed on another device or in another tab"
FAR_AHEAD = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)  # a time for calls, well ahead
NEW_ORGANISATION = "Hillside Tenants"


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def consultation(make_consultation) -> Consultation:
    """Open for three weeks more, taking messages after its close (the default)."""
    return make_consultation()


@pytest.fixture
def closing_soon(make_consultation, clock) -> Consultation:
    """Closing in an hour, with 30 minutes' grace, and no messages after the close."""
    return make_consultation(closes_at=clock.now + timedelta(hours=1), messages_after_close=False)


def the_message() -> Response:
    db.session.rollback()
    (message,) = messages()
    return message


def sent_with_link(client, clock, smtp_server, **changes) -> Link:
    """Send the message, receive the receipt, open its link and find where to change it."""
    sent = send_message(client, clock, {**VALID_MESSAGE, "wants_call": "no", **changes})
    assert sent.status_code == 303, sent.status_code
    deliver(clock.now)
    return link_from_receipt(client, smtp_server, RESPONDENT, "/contact/change/")


def send_change(client, clock, shown, link: Link, changes: dict, seconds: float = 5):
    """Take `seconds` over the form on the page `shown`, then send it with `changes`."""
    clock.advance(seconds=seconds)
    sent = with_changes(sent_by(stamped_form(page(shown))), changes)
    return client.post(link.change, data=sent)


def overtaken(client, clock, link: Link):
    """Tab A opens the change form; then tab B opens it and changes the organisation."""
    return overtaken_by(client, clock, link, send_change, {"organisation": NEW_ORGANISATION})


def change_alert(smtp_server):
    """The officer's one alert that the message was changed (a summary may come too, once
    the consultation has closed)."""
    (alert,) = [
        received
        for received in smtp_server.to(OFFICER)
        if "changed by the respondent" in str(received.message["Subject"])
    ]
    return alert


def as_it_was() -> tuple:
    """The stored message, its versions, its emails and its audit: to compare."""
    message = the_message()
    return (
        message.version,
        message.subject,
        message.message,
        message.phone,
        len(message.versions),
        len(outbox()),
        audited("respondent_change"),
    )


# --- the change, from the receipt's link -----------------------------------------------------


def test_the_change_form_is_the_message_form_filled_in_without_the_call_question(
    client, clock, consultation, smtp_server
):
    link = sent_with_link(client, clock, smtp_server)

    shown = open_change(client, link)

    assert h1_text(shown) == "Change your message"
    form = stamped_form(page(shown))
    assert form["action"] == link.change
    for name in ("name", "email", "organisation", "subject", "message"):
        assert value_of(shown, name).removeprefix("\n") == VALID_MESSAGE[name], name
    assert value_of(shown, "phone") == "020 7946 0123"
    assert form.find(attrs={"name": "wants_call"}) is None
    assert set(hidden_fields(shown)) == {"csrf_token", "token", "loaded", "version", "originals"}
    assert hidden_fields(shown)["version"] == "1"
    assert page(shown).find("a", class_="back-link")["href"] == link.view
    assert text_of(form.find("button")) == "Send your changes"
    assert page(shown).find("a", href=re.compile("/contact/call/")) is None


def test_a_respondent_changes_their_message(client, clock, consultation, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    first = the_message()
    reference, sent_at = first.reference, first.submitted_at
    shown = open_change(client, link)
    clock.set(utc(2027, 2, 3, 9, 30))

    changed = send_change(
        client,
        clock,
        shown,
        link,
        {"subject": NEW_SUBJECT, "message": NEW_MESSAGE, "phone": "+44 808 157 0192"},
    )

    assert changed.status_code == 303
    assert where(changed) == link.view
    assert CHANGED in flashes(client.get(link.view))
    message = the_message()
    assert message.reference == reference
    assert (message.version, message.changed_at, message.late) == (2, clock.now, False)
    assert (message.subject, message.message, message.phone) == (
        NEW_SUBJECT,
        NEW_MESSAGE,
        "+448081570192",
    )
    assert message.wants_call is False
    (older,) = message.versions
    assert (older.number, older.made_at, older.documents) == (1, sent_at, [])
    rows = dict(older.rows)
    assert rows["What is your message about?"] == VALID_MESSAGE["subject"]
    assert rows["Telephone number"] == "020 7946 0123"
    assert audited("respondent_change") == [
        f"Response {reference} (Message) changed by the respondent: now version 2"
    ]
    [_first_alert, alert] = outbox("alert")
    assert alert.event_key == f"alert:message:v2:{reference}"

    deliver(clock.now)
    (receipt,) = smtp_server.to(RESPONDENT)
    (officers,) = smtp_server.to(OFFICER)
    assert "What you changed" in receipt.text
    assert f"Before: {VALID_MESSAGE['subject']}" in receipt.text
    assert f"Now: {NEW_SUBJECT}" in receipt.text
    assert "Now: 0808 157 0192" in receipt.text
    assert link_in(receipt.text) == link.view
    assert "changed by the respondent" in str(officers.message["Subject"])
    assert f"Now: {NEW_SUBJECT}" in officers.text


def test_a_form_sent_as_it_was_changes_nothing(client, clock, consultation, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    before = as_it_was()
    shown = open_change(client, link)

    answer = send_change(client, clock, shown, link, {})

    assert answer.status_code == 303
    assert UNCHANGED in flashes(client.get(link.view))
    assert as_it_was() == before


def test_the_same_form_sent_twice_makes_one_change(client, clock, consultation, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    shown = open_change(client, link)

    first = send_change(client, clock, shown, link, {"subject": NEW_SUBJECT})
    again = send_change(client, clock, shown, link, {"subject": NEW_SUBJECT})

    assert [first.status_code, again.status_code] == [303, 303]
    assert where(again) == link.view
    message = the_message()
    assert (message.version, len(message.versions)) == (2, 1)
    assert len(outbox("alert")) == len(outbox("receipt")) == 2
    assert len(audited("respondent_change")) == 1


def test_a_change_from_a_second_tab_after_the_first_is_a_conflict_keeping_what_was_typed(
    client, clock, consultation, smtp_server
):
    link = sent_with_link(client, clock, smtp_server)
    first_tab, second_tab = open_change(client, link), open_change(client, link)
    clock.set(utc(2027, 2, 1, 16, 5))
    sent = send_change(client, clock, first_tab, link, {"subject": "From the first tab"})
    assert sent.status_code == 303
    client.get(link.view)  # where the first tab went

    clash = send_change(client, clock, second_tab, link, {"message": "From the second tab."})

    assert clash.status_code == 409
    notice = text_of(page(clash).find(class_="notice-error"))
    assert f"{CONFLICT} at 4:05pm UK time on 1 February 2027" in notice
    assert value_of(clash, "message").removeprefix("\n") == "From the second tab."
    assert value_of(clash, "subject") == "From the first tab"  # left alone: as it is now
    assert hidden_fields(clash)["version"] == "2"
    assert "From the first tab" in text_of(page(clash).find("dl", class_="summary-list"))
    assert the_message().message == VALID_MESSAGE["message"]

    # Sent again from the page the conflict gave, it is made on top of the other change.
    again = send_change(client, clock, clash, link, {"subject": "From the second tab"})

    assert again.status_code == 303
    message = the_message()
    assert message.version == 3
    assert [v.number for v in message.versions] == [1, 2]
    assert (message.subject, message.message) == ("From the second tab", "From the second tab.")


def test_a_change_overtaken_by_another_keeps_the_other_change_when_sent_again(
    client, clock, consultation, smtp_server
):
    """Tab A changes only the message, after tab B changed the organisation: the conflict
    page has B's organisation and A's message, and sending it again keeps both."""
    link = sent_with_link(client, clock, smtp_server)
    tab_a = overtaken(client, clock, link)

    clash = send_change(client, clock, tab_a, link, {"message": NEW_MESSAGE})

    assert clash.status_code == 409
    assert value_of(clash, "organisation") == NEW_ORGANISATION  # the other tab's change
    assert value_of(clash, "message") == NEW_MESSAGE  # what they typed
    assert value_of(clash, "phone") == "020 7946 0123"
    assert changed_in_both(clash) == []
    notice = text_of(page(clash).find(class_="notice-error"))
    assert "We have added the changes made there to the form below" in notice
    assert hidden_fields(clash)["version"] == "2"

    again = send_change(client, clock, clash, link, {})

    assert again.status_code == 303
    message = the_message()
    assert message.version == 3
    assert (message.organisation, message.message) == (NEW_ORGANISATION, NEW_MESSAGE)
    (_sent, _b, a_receipt) = outbox("receipt")
    assert VALID_MESSAGE["organisation"] not in a_receipt.body_text  # B's change not undone


def test_a_field_changed_in_both_tabs_keeps_what_was_typed_and_is_named(
    client, clock, consultation, smtp_server
):
    link = sent_with_link(client, clock, smtp_server)
    tab_a = overtaken(client, clock, link)

    clash = send_change(
        client,
        clock,
        tab_a,
        link,
        {"organisation": "Lowside Tenants", "subject": NEW_SUBJECT, "phone": "0808 157 0192"},
    )

    assert clash.status_code == 409
    assert value_of(clash, "organisation") == "Lowside Tenants"
    assert value_of(clash, "subject") == NEW_SUBJECT
    assert changed_in_both(clash) == ["Organisation (optional)"]
    assert NEW_ORGANISATION in text_of(page(clash).find("dl", class_="summary-list"))

    again = send_change(client, clock, clash, link, {})

    assert again.status_code == 303
    message = the_message()
    assert (message.version, message.organisation, message.subject, message.phone) == (
        3,
        "Lowside Tenants",
        NEW_SUBJECT,
        "+448081570192",
    )


def test_a_number_changed_elsewhere_in_another_form_of_writing_is_merged(
    client, clock, consultation, smtp_server
):
    """The number is compared as the form showed it: one left alone takes the number
    as it is now, written as the site writes it."""
    link = sent_with_link(client, clock, smtp_server)
    tab_a, tab_b = open_change(client, link), open_change(client, link)
    assert send_change(client, clock, tab_b, link, {"phone": "+448081570192"}).status_code == 303

    clash = send_change(client, clock, tab_a, link, {"subject": NEW_SUBJECT})

    assert clash.status_code == 409
    assert value_of(clash, "phone") == "0808 157 0192"
    assert send_change(client, clock, clash, link, {}).status_code == 303
    message = the_message()
    assert (message.phone, message.subject) == ("+448081570192", NEW_SUBJECT)


@pytest.mark.parametrize("originals", ["junk", "", None, "loaded stamp"])
def test_a_conflict_with_altered_originals_keeps_everything_typed(
    client, clock, consultation, smtp_server, originals
):
    """Without the values the form was loaded with, signed, every field counts as the
    respondent's change: what they typed is kept, and nothing is called a merge."""
    link = sent_with_link(client, clock, smtp_server)
    tab_a = overtaken(client, clock, link)
    forged = hidden_fields(tab_a)["loaded"] if originals == "loaded stamp" else originals

    clash = send_change(client, clock, tab_a, link, {"message": NEW_MESSAGE, "originals": forged})

    assert clash.status_code == 409
    assert value_of(clash, "organisation") == VALID_MESSAGE["organisation"]  # as in tab A
    assert value_of(clash, "message") == NEW_MESSAGE
    assert changed_in_both(clash) == []
    notice = text_of(page(clash).find(class_="notice-error"))
    assert "Check what your message says now" in notice
    assert NEW_ORGANISATION in text_of(page(clash).find("dl", class_="summary-list"))
    # The form now carries the version it shows, signed: sent again, it is made.
    assert send_change(client, clock, clash, link, {}).status_code == 303
    assert the_message().message == NEW_MESSAGE


def test_a_refused_change_keeps_everything_typed(client, clock, consultation, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    before = as_it_was()
    shown = open_change(client, link)

    refused = send_change(
        client, clock, shown, link, {"subject": NEW_SUBJECT, "message": "", "phone": "123"}
    )

    assert refused.status_code == 422
    assert page(refused).title.get_text().startswith("Error: Change your message")
    assert summary_links(refused) == {
        "Enter a telephone number, like 020 7946 0000 or +44 808 157 0192": "phone",
        "Enter your message": "message",
    }
    assert field_error(refused, "message") == "Enter your message"
    assert value_of(refused, "subject") == NEW_SUBJECT
    assert value_of(refused, "phone") == "123"
    assert as_it_was() == before


# --- a message that asks for a call -----------------------------------------------------------


def test_a_message_asking_for_a_call_links_to_the_call_and_keeps_needing_a_number(
    client, clock, consultation, smtp_server
):
    publish(consultation, FAR_AHEAD)
    sent = send_message(client, clock, VALID_MESSAGE)
    the_call = urlsplit(call_url(sent)).path
    deliver(clock.now)
    link = link_from_receipt(client, smtp_server, RESPONDENT, "/contact/change/")
    before = as_it_was()
    shown = open_change(client, link)

    assert stamped_form(page(shown)).find(attrs={"name": "wants_call"}) is None
    assert page(shown).find("a", href=the_call) is not None
    refused = send_change(client, clock, shown, link, {"phone": "", "wants_call": "no"})

    assert refused.status_code == 422
    assert summary_links(refused) == {"Enter a telephone number, so that we can call you": "phone"}
    assert as_it_was() == before
    # Asking no longer for a call is done on the call's page: the form cannot say so.
    sent = send_change(client, clock, shown, link, {"subject": NEW_SUBJECT, "wants_call": "no"})
    assert sent.status_code == 303
    assert the_message().wants_call is True


# --- the deadline, its grace, an admin's close, and messages after the close ---------------


def test_a_change_started_before_the_deadline_is_taken_late_within_the_grace(
    client, clock, closing_soon, smtp_server
):
    link = sent_with_link(client, clock, smtp_server)
    shown = open_change(client, link)
    clock.set(closing_soon.closes_at + timedelta(minutes=29))

    sent = send_change(client, clock, shown, link, {"subject": NEW_SUBJECT}, seconds=0)

    assert sent.status_code == 303
    message = the_message()
    assert (message.version, message.late) == (2, True)
    deliver(clock.now)
    officers = change_alert(smtp_server)
    assert "They changed it after the deadline, within the grace period" in officers.text


@pytest.mark.parametrize("after", [30, 45], ids=["as-the-grace-ends", "after-the-grace"])
def test_after_the_grace_the_closed_page_keeps_what_they_wrote(
    client, clock, closing_soon, smtp_server, after
):
    link = sent_with_link(client, clock, smtp_server)
    before = as_it_was()
    shown = open_change(client, link)
    clock.set(closing_soon.closes_at + timedelta(minutes=after))

    refused = send_change(client, clock, shown, link, {"message": NEW_MESSAGE}, seconds=0)

    assert refused.status_code == 410
    assert page(refused).find("a", href=link.view) is not None  # back to the response
    assert h1_text(refused) == "The deadline for responses has passed"
    assert kept_on_closed_page(refused)["Your message"] == " ".join(NEW_MESSAGE.split())
    assert as_it_was() == before
    assert where(client.get(link.change)) == link.view


@pytest.mark.parametrize("minutes", [-50, 5], ids=["before-the-deadline", "within-the-grace"])
def test_a_close_forced_by_an_admin_stops_changes_at_once(
    client, clock, closing_soon, smtp_server, minutes
):
    link = sent_with_link(client, clock, smtp_server)
    before = as_it_was()
    shown = open_change(client, link)
    clock.set(closing_soon.closes_at + timedelta(minutes=minutes))
    closed_by_an_admin()

    refused = send_change(client, clock, shown, link, {"message": NEW_MESSAGE}, seconds=0)

    assert refused.status_code == 410
    assert page(refused).find("a", href=link.view) is not None  # back to the response
    assert kept_on_closed_page(refused)["Your message"] == " ".join(NEW_MESSAGE.split())
    assert as_it_was() == before
    assert where(client.get(link.change)) == link.view


@pytest.mark.parametrize("close", ["deadline", "forced"])
def test_a_message_can_be_changed_after_the_close_when_messages_are_taken_then(
    client, clock, consultation, smtp_server, close
):
    link = sent_with_link(client, clock, smtp_server)
    if close == "deadline":
        clock.set(consultation.closes_at + timedelta(days=3))
    else:
        closed_by_an_admin()

    shown = open_change(client, link)  # opened after the close
    sent = send_change(client, clock, shown, link, {"message": NEW_MESSAGE})

    assert sent.status_code == 303
    message = the_message()
    assert (message.version, message.message, message.late) == (2, NEW_MESSAGE, False)
    deliver(clock.now)
    assert "after the deadline" not in change_alert(smtp_server).text


# --- links that open nothing, and the guards ---------------------------------------------


def test_a_link_that_opens_nothing_changes_nothing(client, clock, consultation, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    token = token_of(link.change)
    wrong = [
        link.change.replace(token, "A" * 32),
        link.change.replace(f"/{SLUG}/", "/another-consultation/"),
        link.change.replace("/contact/", "/evidence/"),  # another channel's form
    ]

    for url in wrong:
        assert client.get(url).status_code == 404, url


def test_a_withdrawn_message_can_no_longer_be_changed(client, clock, consultation, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    shown = open_change(client, link)
    message = the_message()
    message.link_hash = None  # as withdrawing leaves it, until it is deleted
    db.session.commit()

    refused = send_change(client, clock, shown, link, {"subject": NEW_SUBJECT})

    assert refused.status_code == 404
    assert h1_text(refused) == "This link does not work"
    assert the_message().version == 1


def test_a_bot_filling_in_the_honeypot_changes_nothing(client, clock, consultation, smtp_server):
    link = sent_with_link(client, clock, smtp_server)
    before = as_it_was()
    shown = open_change(client, link)

    answer = send_change(
        client, clock, shown, link, {"subject": NEW_SUBJECT, "website": "http://spam.example"}
    )

    assert answer.status_code == 200
    assert h1_text(answer) == "Thank you"
    assert as_it_was() == before


# --- junk at the change form ----------------------------------------------------------------


@pytest.fixture
def fuzz_app(request, app_config) -> Iterator[Flask]:
    """An app without rate limits, whose crashes are 500s the test sees, with an open
    consultation and a time for calls."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    publish(request.getfixturevalue("make_consultation")(), FAR_AHEAD)
    yield app


class Sent:
    """The message the fuzzed changes change: it asks for a call (so its number stays
    needed), and its link is read from the receipt queued."""

    def __init__(self, app: Flask, clock) -> None:
        self.client = new_browser(app)
        assert send_message(self.client, clock, VALID_MESSAGE).status_code == 303
        (receipt,) = outbox("receipt")
        self.url = f"{MESSAGE_URL}/change/{token_of(link_in(receipt.body_text))}"


@pytest.fixture
def sent(fuzz_app, clock) -> Sent:
    return Sent(fuzz_app, clock)


CHANGE_FIELDS = MESSAGE_FIELDS.map(
    lambda fields: {name: values for name, values in fields.items() if name != "wants_call"}
)
CHANGE_NAMES = {"name", "email", "phone", "organisation", "subject", "message"}
HIDDEN = hidden_as_sent(["0", "999", "²", "", "x"], odds=3)
EXTRA = extra_fields(
    CHANGE_NAMES | {"csrf_token", "token", "loaded", "website", "version", "originals"}
)


def expected(form, hidden: dict, served_version: bool, earlier_token: bool) -> set[int]:
    """The statuses this body may get."""
    if hidden["csrf"] != "served":
        return {400}
    if hidden["loaded"] != "served" or hidden["website"]:
        return {200}  # the bot guards' neutral page
    verdicts = set()
    for reading in (0, 1):
        values = {name: firsts(form, name)[reading] for name in CHANGE_NAMES}
        verdicts.add(message_verdict({**values, "wants_call": "yes"}))
    made = {303} if earlier_token or served_version else {409}
    allowed = set()
    if False in verdicts or None in verdicts:
        allowed.add(422)
    if True in verdicts or None in verdicts:
        allowed |= made
    return allowed


def assert_whole(message: Response) -> None:
    """The message is valid, and each of its versions and changes is accounted for."""
    assert_message_valid(message)
    assert message.wants_call
    assert_each_change_kept(message)


@settings(FUZZ, max_examples=100)
@given(fields=CHANGE_FIELDS, hidden=HIDDEN, extra=EXTRA)
@example(
    fields={name: [VALID_MESSAGE[name]] for name in CHANGE_NAMES} | {"subject": ["Changed"]},
    hidden=AS_SERVED,
    extra={},
)
@example(
    fields={name: [] for name in CHANGE_NAMES},
    hidden=AS_SERVED,
    extra={},
)
def test_the_change_form_survives_junk(fuzz_app, clock, sent, fields, hidden, extra):
    before = the_message()
    version, earlier = before.version, before.change_token
    said = (before.subject, before.message)
    shown = sent.client.get(sent.url)
    assert shown.status_code == 200
    clock.advance(seconds=5)
    entries = hidden_entries(shown, hidden, earlier)
    sent_version = dict(entries)["version"]
    sent_token = dict(entries).get("token")

    answer, form = post(sent.client, sent.url, [*entries, *entries_of(fields, extra)])

    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    served_version = sent_version == str(version)
    assert status in expected(form, hidden, served_version, sent_token == earlier), status
    after = the_message()
    if after.version > version:
        event("changed")
        assert status == 303 and after.version == version + 1
        as_posted = form.copy()
        as_posted.setlist("wants_call", ["yes"])
        assert stored_as_sent(after, as_posted)
    else:
        assert (after.subject, after.message) == said
    assert_whole(after)
