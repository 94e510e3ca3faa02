"""The emails about a call and their calendar invites, read back from a real SMTP server.

Booking, moving and cancelling a call each email the respondent and the officer, each
with one .ics (METHOD:REQUEST, or METHOD:CANCEL) for the same event: one UID, and a
SEQUENCE that goes up with every change. Reminders go to both 24 hours before the call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event
from sqlalchemy import select

from app.extensions import db
from app.mail import notifications
from app.models import OutboxEmail, Response
from tests.support.contact import (
    VALID_MESSAGE,
    bookings,
    call_url,
    choose,
    deliver,
    form_fields,
    invite,
    publish,
    send_message,
)
from tests.support.factories import csrf_token
from tests.support.smtp_server import Received

SITE_URL = "https://haveyoursay.example.gov.uk"
ANN, OFFICER = "ann@example.org", "officer@example.org"
LONDON = ZoneInfo("Europe/London")

# The test clock starts on Monday 1 February 2027 at midday (GMT, so UTC = UK time).
MON_10 = datetime(2027, 2, 8, 10, 0, tzinfo=UTC)  # Monday 8 February, 10am to 10:30am
TUE_14 = datetime(2027, 2, 9, 14, 0, tzinfo=UTC)  # Tuesday 9 February, 2pm to 2:30pm
THU_9 = datetime(2027, 2, 11, 9, 0, tzinfo=UTC)  # Thursday 11 February, 9am to 9:30am
HALF_HOUR = timedelta(minutes=30)
DAY = timedelta(hours=24)


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """Links in emails are built on SITE_URL, which is not the test client's host."""
    app_config["SITE_URL"] = SITE_URL
    return app_config


@pytest.fixture
def consultation(make_consultation):
    return make_consultation()


@pytest.fixture
def slots(consultation):
    return publish(consultation, MON_10, TUE_14, THU_9)


# Reading what arrived.


def calendar_parts(received: Received) -> list:
    return [
        part
        for part in received.message.iter_attachments()
        if part.get_content_type() == "text/calendar"
    ]


def call_emails(server, address: str) -> list[Received]:
    """The emails to `address` that carry a calendar file (not the receipt or the alert)."""
    return [received for received in server.to(address) if calendar_parts(received)]


def only_email(server, address: str) -> Received:
    emails = call_emails(server, address)
    assert len(emails) == 1, [str(e.message["Subject"]) for e in emails]
    return emails[0]


def raw_ics(received: Received) -> bytes:
    (part,) = calendar_parts(received)
    return part.get_payload(decode=True)


def unfolded(received: Received) -> str:
    """The .ics text with its long lines joined again, to search in."""
    return raw_ics(received).replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode()


def the_event(calendar: Calendar) -> Event:
    events = calendar.walk("VEVENT")
    assert len(events) == 1, f"expected one VEVENT, got {len(events)}"
    return events[0]


def wall_time(event: Event, name: str) -> datetime:
    """The time as written in the file (the local wall-clock time), without its zone."""
    return event[name].dt.replace(tzinfo=None)


def outbox_rows(kind: str) -> list[OutboxEmail]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxEmail).filter_by(kind=kind).order_by("id")))


# Doing what a respondent does.


def message_sent(client, clock, server, fields: dict | None = None) -> str:
    """Send a message asking for a call; deliver its receipt and alert, and forget them."""
    url = call_url(send_message(client, clock, fields))
    deliver(clock.now)
    server.clear()
    return url


def book(client, url: str, slot) -> None:
    answer = choose(client, url, slot)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    assert answer.headers["Location"].endswith(url + "/booked")


def move(client, url: str, slot) -> None:
    answer = choose(client, url + "/change", slot)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    assert "/booked?moved=1" in answer.headers["Location"]


def cancel(client, url: str) -> None:
    answer = client.post(url + "/cancel", data=form_fields(client, url + "/cancel"))
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]


def booked_call(client, clock, server, slot, fields: dict | None = None) -> str:
    """A message sent and a call booked; the booking's emails delivered. The call page."""
    url = message_sent(client, clock, server, fields)
    book(client, url, slot)
    assert deliver(clock.now) == (2, 0)
    return url


# Booking: one email each, one invite each.


def test_booking_emails_the_respondent_and_the_officer_once_each_with_one_invite(
    client, clock, smtp_server, slots
):
    url = message_sent(client, clock, smtp_server)
    book(client, url, slots[0])

    assert deliver(clock.now) == (2, 0)
    assert sorted(r for m in smtp_server.received for r in m.rcpt_tos) == [ANN, OFFICER]
    for received in smtp_server.received:
        parts = calendar_parts(received)
        assert len(parts) == 1
        assert parts[0].get_filename() == "invite.ics"
        assert parts[0].get_param("method") == "REQUEST"
        assert parts[0].get_content_charset() == "utf-8"
        assert [p.get_content_type() for p in received.message.iter_attachments()] == [
            "text/calendar"
        ]
    assert deliver(clock.now) == (0, 0)


@pytest.mark.parametrize("address", [ANN, OFFICER])
def test_the_invite_is_a_request_with_one_confirmed_event(
    client, clock, smtp_server, slots, address
):
    booked_call(client, clock, smtp_server, slots[0])
    calendar = invite(only_email(smtp_server, address))

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0"
    assert str(calendar["PRODID"]).strip()
    event = the_event(calendar)
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["UID"]).strip()
    assert event.decoded("SEQUENCE") == 0
    assert event.decoded("DTSTAMP") == clock.now.replace(microsecond=0)
    assert str(event["SUMMARY"]).strip()


@pytest.mark.parametrize("address", [ANN, OFFICER])
def test_the_event_is_at_the_booked_time_in_london_time(client, clock, smtp_server, slots, address):
    booked_call(client, clock, smtp_server, slots[1])
    calendar = invite(only_email(smtp_server, address))
    event = the_event(calendar)

    assert event.decoded("DTSTART") == TUE_14
    assert event.decoded("DTEND") == TUE_14 + HALF_HOUR
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event["DTEND"].params["TZID"] == "Europe/London"
    assert wall_time(event, "DTSTART") == datetime(2027, 2, 9, 14, 0)
    zones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in zones] == ["Europe/London"]


def test_the_uid_is_the_bookings_and_the_same_in_both_invites(client, clock, smtp_server, slots):
    booked_call(client, clock, smtp_server, slots[0])
    uids = {str(the_event(invite(only_email(smtp_server, a)))["UID"]) for a in (ANN, OFFICER)}

    assert uids == {bookings()[0].uid}


@pytest.mark.parametrize("address", [ANN, OFFICER])
def test_the_officer_organises_and_the_respondent_attends(
    client, clock, smtp_server, slots, address
):
    booked_call(client, clock, smtp_server, slots[0])
    event = the_event(invite(only_email(smtp_server, address)))

    organiser = event["ORGANIZER"]
    assert str(organiser).lower() == f"mailto:{OFFICER}"
    assert organiser.params["CN"] == "Sam Okafor"
    attendees = event["ATTENDEE"]
    assert not isinstance(attendees, list), "one attendee: the respondent"
    assert str(attendees).lower() == f"mailto:{ANN}"
    assert attendees.params["CN"] == "Ann Example"
    assert attendees.params["ROLE"] == "REQ-PARTICIPANT"


def test_the_respondents_email_links_to_changing_or_cancelling_the_call(
    client, clock, smtp_server, slots
):
    url = booked_call(client, clock, smtp_server, slots[0])
    received = only_email(smtp_server, ANN)

    link = SITE_URL + url
    assert link in received.text
    assert f'href="{link}"' in received.html
    assert "Monday 8 February 2027, 10am to 10:30am UK time" in received.text
    assert "Monday 8 February 2027, 10am to 10:30am UK time" in str(received.message["Subject"])
    assert "/admin/" not in received.text
    # Calendars are often shared: the invite itself carries no link to change the call.
    token = url.rsplit("/", 1)[1]
    assert "SUMMARY:" in unfolded(received)
    assert token not in unfolded(received)
    # The link leads to the call, with a way to change and to cancel it.
    page = client.get(url)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert url + "/change" in body and url + "/cancel" in body


def test_the_officers_email_has_the_phone_number_and_the_admin_link(
    client, clock, smtp_server, slots
):
    booked_call(client, clock, smtp_server, slots[0])
    received = only_email(smtp_server, OFFICER)
    message = db.session.scalar(select(Response).filter_by(channel="contact"))

    admin_link = f"{SITE_URL}/admin/responses/{message.id}"
    assert "020 7946 0123" in received.text
    assert admin_link in received.text
    assert f'href="{admin_link}"' in received.html
    assert "Ann Example" in str(received.message["Subject"])
    description = str(the_event(invite(received))["DESCRIPTION"])
    assert "020 7946 0123" in description
    assert message.reference in description
    # Replying to it writes to the respondent; replying to theirs writes to the officer.
    assert [a.addr_spec for a in received.message["Reply-To"].addresses] == [ANN]
    respondents = only_email(smtp_server, ANN)
    assert [a.addr_spec for a in respondents.message["Reply-To"].addresses] == [OFFICER]


# Time zones: the file says the wall-clock time in London, and the zone's rules.

MARCH_FRIDAY = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)  # before the clocks go forward


@pytest.mark.parametrize(
    ("now", "starts_at", "local", "words"),
    [
        (
            MARCH_FRIDAY,
            datetime(2027, 3, 27, 10, 0, tzinfo=UTC),  # Saturday: still GMT
            datetime(2027, 3, 27, 10, 0),
            "Saturday 27 March 2027, 10am to 10:30am UK time",
        ),
        (
            MARCH_FRIDAY,
            datetime(2027, 3, 29, 9, 0, tzinfo=UTC),  # the day after the clocks change: BST
            datetime(2027, 3, 29, 10, 0),
            "Monday 29 March 2027, 10am to 10:30am UK time",
        ),
        (
            datetime(2027, 6, 1, 12, 0, tzinfo=UTC),
            datetime(2027, 6, 14, 9, 0, tzinfo=UTC),  # summer: BST
            datetime(2027, 6, 14, 10, 0),
            "Monday 14 June 2027, 10am to 10:30am UK time",
        ),
        (
            datetime(2027, 10, 29, 12, 0, tzinfo=UTC),
            datetime(2027, 11, 1, 10, 0, tzinfo=UTC),  # the day after they go back: GMT
            datetime(2027, 11, 1, 10, 0),
            "Monday 1 November 2027, 10am to 10:30am UK time",
        ),
    ],
    ids=["gmt-before-the-change", "bst-day-after-the-change", "bst-summer", "gmt-autumn"],
)
def test_a_call_is_at_its_uk_time_either_side_of_the_clocks_changing(
    client, clock, smtp_server, make_consultation, now, starts_at, local, words
):
    clock.set(now)
    (slot,) = publish(make_consultation(), starts_at)
    booked_call(client, clock, smtp_server, slot)

    for address in (ANN, OFFICER):
        received = only_email(smtp_server, address)
        assert words in received.text
        calendar = invite(received)
        event = the_event(calendar)
        assert event.decoded("DTSTART") == starts_at
        assert event.decoded("DTEND") == starts_at + HALF_HOUR
        assert wall_time(event, "DTSTART") == local
        assert wall_time(event, "DTEND") == local + HALF_HOUR
        # A calendar app that knows no zone names places it by the VTIMEZONE alone.
        (zone,) = calendar.walk("VTIMEZONE")
        rules = zone.to_tz(lookup_tzid=False)
        assert local.replace(tzinfo=rules) == starts_at
        assert (local + HALF_HOUR).replace(tzinfo=rules) == starts_at + HALF_HOUR


def test_the_london_zone_in_the_invite_agrees_with_the_tz_database_for_years_ahead(
    client, clock, smtp_server, slots
):
    booked_call(client, clock, smtp_server, slots[0])
    (zone,) = invite(only_email(smtp_server, ANN)).walk("VTIMEZONE")

    # Yearly rules, which Outlook reads (it ignores lists of dates).
    assert zone.subcomponents
    assert all("RRULE" in part for part in zone.subcomponents)
    rules = zone.to_tz(lookup_tzid=False)
    for year in range(2027, 2041):
        for month in (3, 10):  # every hour around each change of the clocks
            start = datetime(year, month, 20, tzinfo=UTC)
            for hour in range(17 * 24):
                moment = start + timedelta(hours=hour)
                expected = moment.astimezone(LONDON).utcoffset()
                assert moment.astimezone(rules).utcoffset() == expected, moment


# Moving and cancelling: the same event, a higher SEQUENCE.


def test_moving_the_call_sends_both_an_updated_invite_for_the_same_event(
    client, clock, smtp_server, slots
):
    url = booked_call(client, clock, smtp_server, slots[0])
    uid = str(the_event(invite(only_email(smtp_server, ANN)))["UID"])
    smtp_server.clear()
    clock.advance(hours=1)

    move(client, url, slots[2])
    assert deliver(clock.now) == (2, 0)
    for address in (ANN, OFFICER):
        received = only_email(smtp_server, address)
        (part,) = calendar_parts(received)
        assert part.get_param("method") == "REQUEST"
        calendar = invite(received)
        assert calendar["METHOD"] == "REQUEST"
        event = the_event(calendar)
        assert str(event["UID"]) == uid
        assert event.decoded("SEQUENCE") == 1
        assert event["STATUS"] == "CONFIRMED"
        assert event.decoded("DTSTART") == THU_9
        assert event.decoded("DTEND") == THU_9 + HALF_HOUR
        assert "Thursday 11 February 2027, 9am to 9:30am UK time" in received.text
    assert "moved" in str(only_email(smtp_server, ANN).message["Subject"])


def test_each_move_raises_the_sequence_again(client, clock, smtp_server, slots):
    url = booked_call(client, clock, smtp_server, slots[0])
    for slot in (slots[1], slots[2]):
        move(client, url, slot)
        assert deliver(clock.now) == (2, 0)

    sequences = [the_event(invite(e)).decoded("SEQUENCE") for e in call_emails(smtp_server, ANN)]
    assert sequences == [0, 1, 2]
    assert len({str(the_event(invite(e))["UID"]) for e in smtp_server.received}) == 1


def test_moving_frees_the_old_time_for_someone_else(app, client, clock, smtp_server, slots):
    url = booked_call(client, clock, smtp_server, slots[0])
    move(client, url, slots[1])

    other = app.test_client()
    other_url = call_url(send_message(other, clock, {**VALID_MESSAGE, "email": "bo@example.org"}))
    book(other, other_url, slots[0])
    assert sorted((b.slot_id, b.status) for b in bookings()) == [
        (slots[0].id, "booked"),
        (slots[1].id, "booked"),
    ]


@pytest.mark.parametrize("moves", [0, 1])
def test_cancelling_sends_both_a_cancellation_of_the_same_event(
    client, clock, smtp_server, slots, moves
):
    url = booked_call(client, clock, smtp_server, slots[0])
    if moves:
        move(client, url, slots[1])
        assert deliver(clock.now) == (2, 0)
    sent_before = [the_event(invite(e)) for e in call_emails(smtp_server, ANN)]
    uid, last_sequence = str(sent_before[-1]["UID"]), sent_before[-1].decoded("SEQUENCE")
    starts_at = slots[moves].starts_at
    smtp_server.clear()

    cancel(client, url)
    assert deliver(clock.now) == (2, 0)
    for address in (ANN, OFFICER):
        received = only_email(smtp_server, address)
        (part,) = calendar_parts(received)
        assert part.get_param("method") == "CANCEL"
        assert part.get_filename() == "cancel.ics"
        calendar = invite(received)
        assert calendar["METHOD"] == "CANCEL"
        event = the_event(calendar)
        assert event["STATUS"] == "CANCELLED"
        assert str(event["UID"]) == uid
        assert event.decoded("SEQUENCE") > last_sequence
        assert event.decoded("DTSTART") == starts_at
        assert str(event["ORGANIZER"]).lower() == f"mailto:{OFFICER}"
        assert str(event["ATTENDEE"]).lower() == f"mailto:{ANN}"


@pytest.mark.parametrize("change", ["move", "cancel"])
def test_a_change_before_the_invites_went_out_withdraws_them(
    client, clock, smtp_server, slots, change
):
    """An invite for the old time arriving after the change would put it back in a calendar."""
    url = message_sent(client, clock, smtp_server)
    book(client, url, slots[0])
    if change == "move":
        move(client, url, slots[1])
    else:
        cancel(client, url)

    assert deliver(clock.now) == (2, 0)
    assert [row.status for row in outbox_rows("call_booked")] == ["withdrawn", "withdrawn"]
    for address in (ANN, OFFICER):
        calendar = invite(only_email(smtp_server, address))
        event = the_event(calendar)
        assert event.decoded("SEQUENCE") == 1
        if change == "move":
            assert calendar["METHOD"] == "REQUEST"
            assert event.decoded("DTSTART") == TUE_14
        else:
            assert calendar["METHOD"] == "CANCEL"
    assert deliver(clock.now) == (0, 0)


def test_the_respondent_cancelling_is_told_to_both_in_their_words(
    client, clock, smtp_server, slots
):
    url = booked_call(client, clock, smtp_server, slots[0])
    smtp_server.clear()
    cancel(client, url)
    deliver(clock.now)

    respondents = only_email(smtp_server, ANN)
    assert "You have cancelled your call with Sam Okafor" in respondents.text
    assert "Monday 8 February 2027, 10am to 10:30am UK time" in respondents.text
    assert "cancelled" in str(respondents.message["Subject"])
    officers = only_email(smtp_server, OFFICER)
    assert "Ann Example has cancelled their call with you" in officers.text
    assert "The time is free to book again." in officers.text


def test_the_officer_cancelling_in_the_admin_area_tells_the_respondent_the_officer_did(
    client, clock, smtp_server, slots, auth
):
    booked_call(client, clock, smtp_server, slots[0])
    uid = bookings()[0].uid
    smtp_server.clear()
    auth.login()
    path = f"/admin/calls/{bookings()[0].id}/cancel"

    page = client.get(path)
    assert page.status_code == 200
    answer = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert answer.status_code == 303
    assert [(b.status, b.cancelled_by) for b in bookings()] == [("cancelled", "officer")]

    assert deliver(clock.now) == (2, 0)
    respondents = only_email(smtp_server, ANN)
    assert "Sam Okafor has had to cancel your call" in respondents.text
    assert "You have cancelled" not in respondents.text
    officers = only_email(smtp_server, OFFICER)
    assert "has been cancelled in the admin area" in officers.text
    for received in (respondents, officers):
        calendar = invite(received)
        assert calendar["METHOD"] == "CANCEL"
        event = the_event(calendar)
        assert str(event["UID"]) == uid
        assert event["STATUS"] == "CANCELLED"
        assert event.decoded("SEQUENCE") == 1


# Names that mean something in a header or an .ics file.

AWKWARD_NAMES = [
    'Zoë "Zed" O\'Neil, Jr.',
    "Ann; Example: <mallory@example.com>, Bcc",
    "Ann Example\r\nBcc: mallory@example.com",
    "Łukasz Żółć 李小龍 Ἀθηνᾶ",
    "Back\\slash; semi, comma: colon",
]


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_an_awkward_name_gives_a_valid_invite_and_safe_headers(
    client, clock, smtp_server, slots, name
):
    booked_call(client, clock, smtp_server, slots[0], {**VALID_MESSAGE, "name": name})
    stored = db.session.scalar(select(Response).filter_by(channel="contact")).name

    assert sorted(r for m in smtp_server.received for r in m.rcpt_tos) == [ANN, OFFICER]
    respondents, officers = only_email(smtp_server, ANN), only_email(smtp_server, OFFICER)
    for received in (respondents, officers):
        assert received.message["Bcc"] is None
        assert received.message["Cc"] is None
        for header in ("Subject", "To", "Reply-To"):
            assert "\n" not in str(received.message[header])
            assert "\r" not in str(received.message[header])
        # Lines of at most 75 octets, each ending CRLF, in UTF-8, as RFC 5545 asks.
        lines = raw_ics(received).split(b"\r\n")
        assert lines[-1] == b""
        assert all(len(line) <= 75 and b"\n" not in line and b"\r" not in line for line in lines)
        raw_ics(received).decode("utf-8")
        event = the_event(invite(received))
        assert str(event["ATTENDEE"]).lower() == f"mailto:{ANN}"
        cn = event["ATTENDEE"].params["CN"]
        assert '"' not in cn and "\n" not in cn and "\r" not in cn
        assert cn.split() == stored.replace('"', " ").split()
        assert event["ORGANIZER"].params["CN"] == "Sam Okafor"
    (to,) = respondents.message["To"].addresses
    assert to.addr_spec == ANN
    (reply_to,) = officers.message["Reply-To"].addresses
    assert reply_to.addr_spec == ANN
    assert stored.split()[0] in str(officers.message["Subject"])
    # The event's text says the name as typed (a line break as a line break).
    summary = str(the_event(invite(officers))["SUMMARY"])
    assert summary == f"Call with {stored}: Community services review".replace("\r\n", "\n")


def test_an_awkward_officer_name_gives_a_valid_organiser(
    client, clock, smtp_server, make_consultation
):
    consultation = make_consultation(officer_name='Pat "PJ" O\'Brien; Lead, Policy: Ω')
    (slot,) = publish(consultation, MON_10)
    booked_call(client, clock, smtp_server, slot)

    for address in (ANN, OFFICER):
        event = the_event(invite(only_email(smtp_server, address)))
        assert str(event["ORGANIZER"]).lower() == f"mailto:{OFFICER}"
        assert event["ORGANIZER"].params["CN"].split() == "Pat PJ O'Brien; Lead, Policy: Ω".split()
    (to,) = only_email(smtp_server, OFFICER).message["To"].addresses
    assert to.addr_spec == OFFICER


# Reminders, 24 hours before the call.


def reminders_received(server) -> list[Received]:
    return [m for m in server.received if str(m.message["Subject"]).startswith("Reminder")]


def test_no_reminder_before_24_hours_ahead(client, clock, smtp_server, slots):
    booked_call(client, clock, smtp_server, slots[0])
    smtp_server.clear()

    clock.set(MON_10 - DAY - timedelta(minutes=1))
    assert deliver(clock.now) == (0, 0)
    assert smtp_server.received == []
    assert outbox_rows("call_reminder") == []


def test_both_are_reminded_once_24_hours_before_the_call_with_the_invite_again(
    client, clock, smtp_server, slots
):
    url = booked_call(client, clock, smtp_server, slots[0])
    uid = bookings()[0].uid
    smtp_server.clear()

    clock.set(MON_10 - DAY)
    assert deliver(clock.now) == (2, 0)
    for later in (timedelta(0), timedelta(minutes=1), timedelta(hours=12), timedelta(hours=23)):
        clock.set(MON_10 - DAY + later)
        assert deliver(clock.now) == (0, 0)

    assert sorted(r for m in smtp_server.received for r in m.rcpt_tos) == [ANN, OFFICER]
    assert len(reminders_received(smtp_server)) == 2
    for address in (ANN, OFFICER):
        received = only_email(smtp_server, address)
        calendar = invite(received)
        assert calendar["METHOD"] == "REQUEST"
        event = the_event(calendar)
        assert str(event["UID"]) == uid
        assert event.decoded("SEQUENCE") == 0
        assert event.decoded("DTSTART") == MON_10
        assert "Monday 8 February 2027, 10am to 10:30am UK time" in received.text
    assert SITE_URL + url in only_email(smtp_server, ANN).text
    assert [row.status for row in outbox_rows("call_reminder")] == ["sent", "sent"]


def test_a_call_cancelled_before_its_reminder_gets_none(client, clock, smtp_server, slots):
    url = booked_call(client, clock, smtp_server, slots[0])
    clock.advance(days=2)
    cancel(client, url)
    assert deliver(clock.now) == (2, 0)
    smtp_server.clear()

    for moment in (MON_10 - DAY, MON_10 - timedelta(hours=1)):
        clock.set(moment)
        assert deliver(clock.now) == (0, 0)
    assert smtp_server.received == []
    assert outbox_rows("call_reminder") == []


def test_a_moved_call_is_reminded_of_at_its_new_time_only(client, clock, smtp_server, slots):
    url = booked_call(client, clock, smtp_server, slots[0])
    clock.advance(days=1)
    move(client, url, slots[2])  # from Monday 8 to Thursday 11 February
    assert deliver(clock.now) == (2, 0)
    smtp_server.clear()

    clock.set(MON_10 - DAY)
    assert deliver(clock.now) == (0, 0)
    clock.set(THU_9 - DAY - timedelta(minutes=1))
    assert deliver(clock.now) == (0, 0)
    clock.set(THU_9 - DAY)
    assert deliver(clock.now) == (2, 0)

    assert len(reminders_received(smtp_server)) == 2
    for address in (ANN, OFFICER):
        event = the_event(invite(only_email(smtp_server, address)))
        assert event.decoded("DTSTART") == THU_9
        assert event.decoded("SEQUENCE") == 1


@pytest.mark.parametrize("hours_ahead", [3, 10, 23.5])
def test_a_call_booked_within_24_hours_gets_no_reminder(
    client, clock, smtp_server, make_consultation, hours_ahead
):
    starts_at = clock.now + timedelta(hours=hours_ahead)
    (slot,) = publish(make_consultation(), starts_at)
    booked_call(client, clock, smtp_server, slot)
    smtp_server.clear()

    for before in (timedelta(hours=2), timedelta(hours=1), timedelta(minutes=1)):
        clock.set(starts_at - before)
        assert deliver(clock.now) == (0, 0)
    assert outbox_rows("call_reminder") == []


def test_a_call_booked_just_over_24_hours_ahead_is_reminded(
    client, clock, smtp_server, make_consultation
):
    starts_at = clock.now + timedelta(hours=25)
    (slot,) = publish(make_consultation(), starts_at)
    booked_call(client, clock, smtp_server, slot)
    smtp_server.clear()

    clock.set(starts_at - DAY)
    assert deliver(clock.now) == (2, 0)
    assert len(reminders_received(smtp_server)) == 2


def test_a_call_moved_to_within_24_hours_gets_no_reminder_for_either_time(
    client, clock, smtp_server, make_consultation
):
    soon = MON_10 - timedelta(hours=14)  # Sunday 7 February, 8pm
    consultation = make_consultation()
    first, near = publish(consultation, MON_10, soon)
    url = booked_call(client, clock, smtp_server, first)
    clock.set(MON_10 - DAY - timedelta(hours=1))
    move(client, url, near)
    assert deliver(clock.now) == (2, 0)
    smtp_server.clear()

    for moment in (MON_10 - DAY, soon - timedelta(hours=1), MON_10 - timedelta(hours=1)):
        clock.set(moment)
        assert deliver(clock.now) == (0, 0)
    assert outbox_rows("call_reminder") == []


@pytest.mark.parametrize("after", [timedelta(0), timedelta(minutes=1), timedelta(days=1)])
def test_no_reminder_once_the_call_has_started(client, clock, smtp_server, slots, after):
    booked_call(client, clock, smtp_server, slots[0])
    smtp_server.clear()

    clock.set(MON_10 + after)  # the worker did not run in the 24 hours before
    assert deliver(clock.now) == (0, 0)
    assert outbox_rows("call_reminder") == []


def test_a_reminder_held_up_by_the_mail_server_until_the_call_has_started_is_never_sent(
    client, clock, smtp_server, slots
):
    booked_call(client, clock, smtp_server, slots[0])
    smtp_server.clear()
    smtp_server.stop()
    clock.set(MON_10 - DAY)
    assert deliver(clock.now) == (0, 2)

    smtp_server.start()
    clock.set(MON_10 + timedelta(hours=1))
    deliver(clock.now)
    assert reminders_received(smtp_server) == []


def test_a_reminder_queued_before_the_call_is_cancelled_is_withdrawn_never_sent(
    client, clock, smtp_server, slots
):
    url = booked_call(client, clock, smtp_server, slots[0])
    smtp_server.clear()
    clock.set(MON_10 - DAY + timedelta(minutes=5))
    notifications.queue_scheduled(clock.now)
    assert [row.status for row in outbox_rows("call_reminder")] == ["pending", "pending"]

    cancel(client, url)
    assert [row.status for row in outbox_rows("call_reminder")] == ["withdrawn", "withdrawn"]
    assert deliver(clock.now) == (2, 0)
    assert deliver(clock.now + timedelta(hours=1)) == (0, 0)

    assert reminders_received(smtp_server) == []
    assert [invite(m)["METHOD"] for m in smtp_server.received] == ["CANCEL", "CANCEL"]
    assert [row.status for row in outbox_rows("call_reminder")] == ["withdrawn", "withdrawn"]


def test_a_reminder_queued_before_the_call_is_moved_is_withdrawn_for_the_new_times(
    client, clock, smtp_server, slots
):
    url = booked_call(client, clock, smtp_server, slots[0])
    smtp_server.clear()
    clock.set(MON_10 - DAY)
    notifications.queue_scheduled(clock.now)
    move(client, url, slots[2])
    assert deliver(clock.now) == (2, 0)
    assert reminders_received(smtp_server) == []

    clock.set(THU_9 - DAY)
    assert deliver(clock.now) == (2, 0)
    reminders = reminders_received(smtp_server)
    assert len(reminders) == 2
    assert {the_event(invite(m)).decoded("DTSTART") for m in reminders} == {THU_9}


# A request never waits for the mail server.


def test_booking_works_with_no_mail_server_and_the_outbox_keeps_the_emails(
    client, clock, slots, app
):
    assert app.config["MAIL_PORT"] == 1  # nothing listens there
    url = call_url(send_message(client, clock))

    answer = choose(client, url, slots[0])
    assert answer.status_code == 303
    assert client.get(answer.headers["Location"]).status_code == 200
    rows = outbox_rows("call_booked")
    assert sorted(row.to_addr for row in rows) == [
        "Ann Example <ann@example.org>",
        "Sam Okafor <officer@example.org>",
    ]
    assert [row.status for row in rows] == ["pending", "pending"]
    assert [row.attempts for row in rows] == [0, 0]
    for row in rows:
        (attached,) = row.attachments
        assert attached["content_type"].startswith("text/calendar; method=REQUEST")
    assert [b.status for b in bookings()] == ["booked"]


def test_a_hanging_mail_server_is_never_contacted_by_the_booking(
    client, clock, slots, hanging_smtp_server
):
    url = call_url(send_message(client, clock))
    answer = choose(client, url, slots[0])

    assert answer.status_code == 303
    assert hanging_smtp_server.connections == 0
    assert len(outbox_rows("call_booked")) == 2


def test_emails_queued_while_the_mail_server_is_down_arrive_once_it_is_back(
    client, clock, smtp_server, slots
):
    smtp_server.stop()
    url = message_sent(client, clock, smtp_server)
    book(client, url, slots[0])
    assert deliver(clock.now)[0] == 0

    smtp_server.start()
    clock.advance(hours=2)
    deliver(clock.now)
    assert len(call_emails(smtp_server, ANN)) == 1
    assert len(call_emails(smtp_server, OFFICER)) == 1
    assert deliver(clock.now) == (0, 0)


def test_the_same_booking_form_sent_twice_books_once_and_emails_once(
    client, clock, smtp_server, slots
):
    url = message_sent(client, clock, smtp_server)
    fields = form_fields(client, url)
    for slot in (slots[0], slots[1]):
        answer = client.post(url, data={**fields, "slot": str(slot.id)})
        assert answer.status_code == 303

    assert [(b.slot_id, b.status) for b in bookings()] == [(slots[0].id, "booked")]
    assert deliver(clock.now) == (2, 0)
    assert len(outbox_rows("call_booked")) == 2
