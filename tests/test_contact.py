"""Get in touch over HTTP: a message to the policy officer, and a call booked, moved or
cancelled in one of the times the officer published.

A respondent is a test client: it opens a form, reads its hidden fields and sends it,
after the clock has moved as a person would take to fill it in (tests/support/contact.py).
Another person is another client, with no cookies. Time moves only when a test moves it:
the clock starts on Monday 1 February 2027 at midday (UK time is UTC in February).

The consultation (tests/support/factories.py) opened a week ago and closes in three weeks; its
officer is Sam Okafor, officer@example.org. The `times` fixture publishes three calls.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import BOOKED, CANCELLED, Booking, Consultation, Response, Slot
from tests.support.clients import UncheckedClient
from tests.support.contact import (
    MESSAGE_URL,
    VALID_MESSAGE,
    bookings,
    call_url,
    choose,
    deliver,
    form_fields,
    invite,
    messages,
    publish,
    send_message,
)
from tests.support.outbox import outbox
from tests.support.pages import (
    error_messages,
    field_error,
    h1_text,
    page,
    summary_links,
    text_of,
    value_of,
)

# Where a redirect leads, by its path alone: a query such as ?moved=1 is not compared here.
from tests.support.pages import redirect_path as where

CONFIRMATION = f"{MESSAGE_URL}/confirmation"
OFFICER = "officer@example.org"
RESPONDENT = "ann@example.org"
REFERENCE = re.compile(r"CT-[23456789ABCDEFGHJKMNPQRSTWXYZ]{6}")
FORM_TITLE = "Contact the policy officer"

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
PHONE_FORMAT = "Enter a telephone number, like 020 7946 0000 or +44 808 157 0192"
PHONE_FOR_CALL = "Enter a telephone number, so that we can call you"
TAKEN = "That time has just been taken. Choose another time."
GONE = "That time is no longer available. Choose another time."
NO_TIMES = "There are no times free for calls at the moment."

# The times the `times` fixture publishes: two on Tuesday, one on Wednesday.
TUESDAY_10 = datetime(2027, 2, 2, 10, 0, tzinfo=UTC)
TUESDAY_1030 = datetime(2027, 2, 2, 10, 30, tzinfo=UTC)
WEDNESDAY_14 = datetime(2027, 2, 3, 14, 0, tzinfo=UTC)


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def consultation(make_consultation) -> Consultation:
    return make_consultation()


@pytest.fixture
def times(consultation) -> list[Slot]:
    """Tuesday 10am and 10:30am, Wednesday 2pm: all free, all well ahead."""
    return publish(consultation, TUESDAY_10, TUESDAY_1030, WEDNESDAY_14)


def another_browser(app) -> FlaskClient:
    """Another person: a checked client with no cookies."""
    return app.test_client()


def with_changes(**changes) -> dict[str, str]:
    """VALID_MESSAGE with some fields changed; None leaves a field out."""
    fields = {**VALID_MESSAGE, **changes}
    return {name: value for name, value in fields.items() if value is not None}


def send(client, clock, **changes):
    return send_message(client, clock, with_changes(**changes))


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def the_message() -> Response:
    db.session.rollback()
    stored = messages()
    assert len(stored) == 1, f"expected one message, found {len(stored)}"
    return stored[0]


def the_booking() -> Booking:
    db.session.rollback()
    stored = bookings()
    assert len(stored) == 1, f"expected one booking, found {len(stored)}"
    return stored[0]


def assert_refused_with(response, field_id: str, message: str, target: str | None = None) -> None:
    """422, with `message` by the field and in the summary, linking to the field."""
    assert response.status_code == 422, response.status_code
    assert page(response).title.get_text().startswith(f"Error: {FORM_TITLE}")
    assert summary_links(response).get(message) == (target or field_id), error_messages(response)
    assert field_error(response, field_id) == message


def checked(response, name: str) -> list[str]:
    return [
        box["value"]
        for box in page(response).find_all("input", attrs={"name": name})
        if box.has_attr("checked")
    ]


def assert_kept(response, fields: dict[str, str], but: str = "") -> None:
    """Everything typed is back on the page, except the field named `but`."""
    for name in ("name", "email", "phone", "organisation", "subject", "message"):
        if name != but:
            assert value_of(response, name) == fields[name], name
    if but != "wants_call":
        assert checked(response, "wants_call") == [fields["wants_call"]]


def offered(response) -> list[int]:
    """The slot ids a page offers to choose from."""
    return [
        int(radio["value"]) for radio in page(response).find_all("input", attrs={"name": "slot"})
    ]


def ids(slots: list[Slot]) -> list[int]:
    return [slot.id for slot in slots]


def call_question(response) -> list[str]:
    """The answers the form offers to "Would you like to book a call?" (none if not asked)."""
    return [
        radio["value"] for radio in page(response).find_all("input", attrs={"name": "wants_call"})
    ]


def has_invite(received) -> bool:
    return any(
        part.get_content_type() == "text/calendar" for part in received.message.iter_attachments()
    )


def ask_for_a_call(client, clock) -> str:
    """Send a message that wants a call; the URL of the page to choose its time."""
    return call_url(send_message(client, clock))


def book(client, clock, slot: Slot) -> str:
    """Send a message wanting a call and book `slot`; the call page's URL."""
    url = ask_for_a_call(client, clock)
    booked = choose(client, url, slot)
    assert booked.status_code == 303, error_messages(booked)
    assert where(booked) == f"{url}/booked"
    return url


# --- the message form ------------------------------------------------------------------------


def test_the_form_asks_who_they_are_their_message_and_whether_they_want_a_call(client, times):
    shown = client.get(MESSAGE_URL)

    assert shown.status_code == 200
    assert h1_text(shown) == FORM_TITLE
    form = page(shown).find("form", attrs={"method": "post"})
    assert form["action"] == MESSAGE_URL
    hidden = {i["name"] for i in form.find_all("input", attrs={"type": "hidden"})}
    assert hidden == {"csrf_token", "token", "loaded"}
    named = {control["name"] for control in form.find_all(["input", "textarea"])}
    assert {"name", "email", "phone", "organisation", "subject", "message"} <= named
    assert form.find("input", attrs={"name": "phone"})["type"] == "tel"
    assert form.find("textarea", attrs={"name": "message"})["data-maxlength"] == "5000"
    radios = form.find_all("input", attrs={"name": "wants_call"})
    assert [(r["type"], r["value"]) for r in radios] == [("radio", "yes"), ("radio", "no")]
    assert NO_TIMES not in text_of(page(shown))
    # The honeypot is hidden from people and from assistive technology.
    honeypot = form.find("input", attrs={"name": "website"})
    assert honeypot.find_parent(attrs={"aria-hidden": "true"}) is not None


def test_each_form_carries_its_own_token(client, times):
    first, second = form_fields(client, MESSAGE_URL), form_fields(client, MESSAGE_URL)

    assert len(first["token"]) >= 16
    assert first["token"] != second["token"]


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("name", "Enter your full name"),
        ("email", "Enter your email address"),
        ("subject", "Enter what your message is about"),
        ("message", "Enter your message"),
    ],
)
@pytest.mark.parametrize("blank", ["", "   "])
def test_a_required_field_left_blank_is_refused_and_the_rest_kept(
    client, clock, times, field, message, blank
):
    fields = with_changes(**{field: blank})

    response = send_message(client, clock, fields)

    assert_refused_with(response, field, message)
    assert error_messages(response) == [message]
    assert_kept(response, fields, but=field)
    assert messages() == []


def test_not_saying_whether_a_call_is_wanted_is_refused(client, clock, times):
    fields = with_changes(wants_call=None)

    response = send_message(client, clock, fields)

    message = "Select whether you would like to book a call"
    assert_refused_with(response, "wants_call", message, target="wants_call-1")
    assert_kept(response, fields, but="wants_call")
    assert checked(response, "wants_call") == []


def test_an_answer_the_page_never_offered_is_refused(client, clock, times):
    response = send(client, clock, wants_call="maybe")

    assert_refused_with(
        response, "wants_call", "Select one of the options shown", target="wants_call-1"
    )
    assert messages() == []


@pytest.mark.parametrize(
    "email", ["ann", "ann@", "@example.org", "ann@example", "ann example@x.org"]
)
def test_an_email_address_in_the_wrong_shape_is_refused(client, clock, times, email):
    fields = with_changes(email=email)

    response = send_message(client, clock, fields)

    assert_refused_with(response, "email", EMAIL_FORMAT)
    assert_kept(response, fields)
    assert messages() == []


@pytest.mark.parametrize(
    "phone",
    [
        "12345",
        "call me",
        "020 7946",
        "07700 900982",  # Ofcom's drama numbers are not real ones
        "01632 960001",
        "+44",
        "020 7946 0123 " * 4,  # longer than anyone types a number
    ],
)
def test_a_telephone_number_that_is_not_a_real_one_is_refused(client, clock, times, phone):
    fields = with_changes(phone=phone)

    response = send_message(client, clock, fields)

    assert_refused_with(response, "phone", PHONE_FORMAT)
    assert_kept(response, fields)
    assert messages() == []


def test_wanting_a_call_without_a_telephone_number_is_refused(client, clock, times):
    fields = with_changes(phone="")

    response = send_message(client, clock, fields)

    assert_refused_with(response, "phone", PHONE_FOR_CALL)
    assert_kept(response, fields)
    assert messages() == []


def test_no_telephone_number_is_needed_without_a_call(client, clock, times):
    response = send(client, clock, phone="", wants_call="no")

    assert response.status_code == 303
    assert where(response) == CONFIRMATION
    assert (the_message().phone, the_message().wants_call) == ("", False)


@pytest.mark.parametrize(
    ("field", "length", "message"),
    [
        ("subject", 151, "What your message is about must be 150 characters or fewer"),
        ("message", 5001, "Your message must be 5,000 characters or fewer"),
        ("name", 201, "Name must be 200 characters or fewer"),
        ("organisation", 201, "Organisation name must be 200 characters or fewer"),
    ],
)
def test_text_over_its_limit_is_refused_and_kept(client, clock, times, field, length, message):
    fields = with_changes(**{field: "x" * length})

    response = send_message(client, clock, fields)

    assert_refused_with(response, field, message)
    assert_kept(response, fields)
    assert messages() == []


def test_text_at_its_limit_is_taken_counting_a_line_break_as_one_character(client, clock, times):
    # 2,500 lines of "a" and a line break, as a browser sends them (CRLF): 5,000 characters
    # on the page, 7,500 bytes in the request.
    text = "a\r\n" * 2499 + "ab"

    response = send(client, clock, subject="s" * 150, message=text)

    assert response.status_code == 303, error_messages(response)
    assert the_message().message == text.replace("\r\n", "\n")
    assert len(the_message().message) == 5000


def test_a_message_is_stored_as_sent_with_the_number_in_international_form(client, clock, times):
    response = send(
        client,
        clock,
        name="  Ann Example ",
        email="ann@EXAMPLE.org",
        organisation=" Riverside Tenants ",
        subject=" Bus routes ",
        message="\r\nLine one\r\nLine two\r\n\r\n",
    )

    assert response.status_code == 303
    message = the_message()
    assert message.channel == "contact"
    assert REFERENCE.fullmatch(message.reference)
    assert message.name == "Ann Example"
    assert message.email == "ann@example.org"
    assert message.phone == "+442079460123"
    assert message.organisation == "Riverside Tenants"
    assert message.subject == "Bus routes"
    assert message.message == "Line one\nLine two"
    assert message.wants_call is True
    assert message.late is False
    assert message.submitted_at == clock.now


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("020 7946 0123", "+442079460123"),
        ("+44 808 157 0192", "+448081570192"),
        ("(020) 7946-0123", "+442079460123"),
        ("+33 1 42 68 53 00", "+33142685300"),
    ],
)
def test_real_numbers_in_any_usual_writing_are_taken(client, clock, times, typed, stored):
    response = send(client, clock, phone=typed)

    assert response.status_code == 303, error_messages(response)
    assert the_message().phone == stored


def test_without_free_times_the_call_question_is_not_asked(client, consultation):
    publish(consultation, consultation.opens_at + timedelta(hours=1))  # a time gone by

    shown = client.get(MESSAGE_URL)

    assert call_question(shown) == []
    assert NO_TIMES in text_of(page(shown))


def test_a_time_inside_the_notice_period_is_no_reason_to_ask_about_a_call(
    client, clock, consultation
):
    publish(consultation, clock.now + timedelta(hours=1))

    shown = client.get(MESSAGE_URL)

    assert call_question(shown) == []


def test_a_call_asked_for_as_the_last_time_went_is_kept_and_the_call_page_says_so(
    client, clock, consultation
):
    """Someone who chose "yes" while a time was free keeps their request; their call page
    then says that no time is free, instead of the request vanishing."""
    refused = send(client, clock, phone="", wants_call="yes")
    response = send(client, clock, wants_call="yes")

    assert refused.status_code == 422  # a call still needs a number
    assert the_message().wants_call is True
    assert NO_TIMES in text_of(page(client.get(call_url(response))))


def test_the_confirmation_gives_the_reference(client, clock, times):
    sent = send(client, clock, wants_call="no")

    confirmation = client.get(where(sent))

    assert confirmation.status_code == 200
    assert h1_text(confirmation) == "Message sent"
    assert the_message().reference in text_of(page(confirmation))
    assert RESPONDENT in text_of(page(confirmation))


def test_the_confirmation_without_sending_leads_to_the_form(client, consultation):
    response = client.get(CONFIRMATION)

    assert response.status_code == 303
    assert where(response) == MESSAGE_URL


def test_the_same_form_sent_twice_stores_one_message(client, clock, times):
    data = form_fields(client, MESSAGE_URL)
    clock.advance(seconds=5)
    data.update(VALID_MESSAGE)

    first = client.post(MESSAGE_URL, data=data)
    second = client.post(MESSAGE_URL, data=data)

    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(messages()) == 1
    assert len(outbox()) == 2  # one alert and one receipt


@pytest.mark.parametrize(
    ("changes", "seconds"),
    [
        ({"website": "http://spam.example"}, 5),  # the honeypot filled in
        ({"loaded": ""}, 5),  # the load stamp taken out
        ({"loaded": "2027-02-01T11:00:00+00:00"}, 5),  # a stamp nobody signed
        ({}, 2),  # sent quicker than SUBMIT_MIN_SECONDS
    ],
    ids=["honeypot", "no-stamp", "forged-stamp", "too-quick"],
)
def test_what_looks_like_a_bot_is_thanked_and_nothing_is_stored(
    client, clock, times, changes, seconds
):
    data = form_fields(client, MESSAGE_URL)
    clock.advance(seconds=seconds)
    data.update(VALID_MESSAGE)
    data.update(changes)

    response = client.post(MESSAGE_URL, data=data)

    assert response.status_code == 200
    assert h1_text(response) == "Thank you"
    assert messages() == []
    assert outbox() == []


def test_a_person_taking_the_minimum_time_is_not_taken_for_a_bot(client, clock, times):
    data = form_fields(client, MESSAGE_URL)
    clock.advance(seconds=3)
    data.update(VALID_MESSAGE)

    response = client.post(MESSAGE_URL, data=data)

    assert response.status_code == 303
    assert len(messages()) == 1


# --- the emails ------------------------------------------------------------------------------


def test_the_officer_is_alerted_and_can_reply_to_the_respondent(client, clock, times, smtp_server):
    send(client, clock, wants_call="no")

    deliver(clock.now)

    [alert] = smtp_server.to(OFFICER)
    reference = the_message().reference
    assert reference in alert.message["Subject"]
    assert alert.message["Reply-To"].addresses[0].addr_spec == RESPONDENT
    assert "Bus routes in the north of the borough" in alert.text
    assert "The 42 no longer runs after 7pm." in alert.text
    assert "020 7946 0123" in alert.text


def test_the_respondent_gets_a_receipt_with_the_reference_and_no_call_link(
    client, clock, times, smtp_server
):
    send(client, clock, wants_call="no")

    deliver(clock.now)

    [receipt] = smtp_server.to(RESPONDENT)
    message = the_message()
    assert message.reference in receipt.message["Subject"]
    assert message.reference in receipt.text
    assert "/contact/call/" not in receipt.text
    assert receipt.message["Reply-To"].addresses[0].addr_spec == OFFICER


def test_the_receipt_of_a_message_wanting_a_call_links_to_choosing_its_time(
    app, client, clock, times, smtp_server
):
    url = ask_for_a_call(client, clock)

    deliver(clock.now)

    [receipt] = smtp_server.to(RESPONDENT)
    link = app.config["SITE_URL"].rstrip("/") + url
    assert link.endswith(f"/consultations/test-consultation/contact/call/{the_message().token}")
    assert link in receipt.text
    assert link in receipt.html


# --- when messages and calls are taken -------------------------------------------------------


def test_after_the_close_messages_are_still_taken_and_not_counted_late(
    client, clock, make_consultation
):
    consultation = make_consultation(closes_at=clock.now + timedelta(hours=1))
    publish(consultation, WEDNESDAY_14)
    clock.advance(days=1)

    shown = client.get(MESSAGE_URL)
    sent = send(client, clock, wants_call="no")

    assert shown.status_code == 200
    assert "This consultation has closed, but you can still send" in text_of(page(shown))
    assert call_question(shown) == []  # bookings are not taken after the close
    assert sent.status_code == 303
    assert the_message().late is False


def test_a_consultation_taking_no_messages_after_the_close_refuses_the_form(
    client, clock, make_consultation
):
    make_consultation(closes_at=clock.now + timedelta(hours=1), messages_after_close=False)
    clock.advance(days=1)

    assert client.get(MESSAGE_URL).status_code == 410


def test_a_form_opened_before_the_close_may_be_sent_in_the_grace_period_as_late(
    client, clock, make_consultation
):
    make_consultation(closes_at=clock.now + timedelta(hours=1), messages_after_close=False)
    data = form_fields(client, MESSAGE_URL)
    clock.advance(minutes=70)  # ten minutes past the deadline: inside the 30-minute grace
    data.update(with_changes(wants_call=None))

    response = client.post(MESSAGE_URL, data=data)

    assert response.status_code == 303, error_messages(response)
    assert the_message().late is True


def test_after_the_grace_period_what_was_written_is_shown_back_and_not_stored(
    client, clock, make_consultation
):
    make_consultation(closes_at=clock.now + timedelta(hours=1), messages_after_close=False)
    data = form_fields(client, MESSAGE_URL)
    clock.advance(hours=2)
    data.update(with_changes(wants_call=None))

    response = client.post(MESSAGE_URL, data=data)

    assert response.status_code == 410
    assert "The 42 no longer runs after 7pm." in text_of(page(response))
    assert messages() == []


def test_a_consultation_not_yet_open_has_no_contact_form(client, clock, make_consultation):
    make_consultation(opens_at=clock.now + timedelta(days=1))

    assert client.get(MESSAGE_URL).status_code == 404


def test_a_consultation_not_offering_contact_has_no_contact_form(client, make_consultation):
    make_consultation(channels=["survey"])

    assert client.get(MESSAGE_URL).status_code == 404


def test_after_the_close_an_unbooked_call_can_no_longer_be_booked(client, clock, make_consultation):
    consultation = make_consultation(closes_at=clock.now + timedelta(hours=1))
    [wednesday] = publish(consultation, WEDNESDAY_14)
    url = ask_for_a_call(client, clock)
    data = form_fields(client, url)
    clock.advance(days=1)

    assert client.get(url).status_code == 410
    assert client.post(url, data={**data, "slot": str(wednesday.id)}).status_code == 410
    assert bookings() == []


def test_after_the_close_a_booked_call_can_still_be_cancelled_but_not_moved(
    client, clock, make_consultation
):
    consultation = make_consultation(closes_at=clock.now + timedelta(hours=1))
    tuesday, wednesday = publish(consultation, TUESDAY_10, WEDNESDAY_14)
    url = book(client, clock, tuesday)
    loaded = form_fields(client, f"{url}/change")
    clock.advance(hours=2)

    shown = client.get(url)
    change = client.post(f"{url}/change", data={**loaded, "slot": str(wednesday.id)})
    cancelled = client.post(f"{url}/cancel", data=form_fields(client, f"{url}/cancel"))

    assert h1_text(shown) == "Your call"
    assert page(shown).find("a", string="Change the time") is None
    assert page(shown).find("a", string="Cancel the call") is not None
    assert change.status_code == 410
    assert cancelled.status_code == 303
    assert (the_booking().status, the_booking().slot_id) == (CANCELLED, tuesday.id)


def test_a_consultation_taking_bookings_after_the_close_books_calls(
    client, clock, make_consultation
):
    consultation = make_consultation(
        closes_at=clock.now + timedelta(hours=1), bookings_after_close=True
    )
    [wednesday] = publish(consultation, WEDNESDAY_14)
    clock.advance(days=1)

    shown = client.get(MESSAGE_URL)
    url = ask_for_a_call(client, clock)
    booked = choose(client, url, wednesday)

    assert call_question(shown) == ["yes", "no"]
    assert booked.status_code == 303
    assert the_booking().slot_id == wednesday.id


# --- the times offered -----------------------------------------------------------------------


def test_every_free_time_is_offered_grouped_by_day(client, clock, times):
    url = ask_for_a_call(client, clock)

    shown = client.get(url)

    assert shown.status_code == 200
    assert h1_text(shown) == "Choose a time for your call"
    assert the_message().reference in text_of(page(shown))
    assert offered(shown) == ids(times)
    legends = [text_of(group.legend) for group in page(shown).select("#call-times fieldset")]
    assert legends == ["Tuesday 2 February 2027", "Wednesday 3 February 2027"]
    assert "10:30am to 11am" in text_of(page(shown).select("#call-times fieldset")[0])


def test_times_gone_by_or_inside_the_notice_are_not_offered(client, clock, consultation):
    [later] = publish(consultation, WEDNESDAY_14)
    url = ask_for_a_call(client, clock)
    now = clock.now
    past, just_too_soon, just_in_time = publish(
        consultation,
        now - timedelta(hours=1),
        now + timedelta(hours=2) - timedelta(seconds=1),
        now + timedelta(hours=2),
    )

    shown = client.get(url)

    assert offered(shown) == [just_in_time.id, later.id]  # neither `past` nor `just_too_soon`


@pytest.fixture
def a_days_notice(app_config) -> None:
    app_config["BOOKING_NOTICE_HOURS"] = 24


def test_the_notice_period_is_the_one_configured(a_days_notice, client, clock, consultation):
    _tomorrow_early, tomorrow_late = publish(
        consultation, clock.now + timedelta(hours=23), clock.now + timedelta(hours=25)
    )
    url = ask_for_a_call(client, clock)

    shown = client.get(url)

    assert offered(shown) == [tomorrow_late.id]
    assert "Calls can be booked up to 24 hours before they start" in text_of(page(shown))


@pytest.mark.parametrize(("late_by", "status"), [(0, 303), (1, 422)])
def test_a_time_can_be_booked_until_exactly_the_notice_before_it(
    client, clock, consultation, late_by, status
):
    [later] = publish(consultation, WEDNESDAY_14)
    url = ask_for_a_call(client, clock)
    [edge] = publish(consultation, clock.now + timedelta(hours=2))
    data = form_fields(client, url)
    clock.advance(seconds=late_by)

    response = client.post(url, data={**data, "slot": str(edge.id)})

    assert response.status_code == status
    if status == 303:
        assert the_booking().slot_id == edge.id
    else:
        assert error_messages(response) == [GONE]
        assert offered(response) == [later.id]
        assert bookings() == []


def test_times_are_shown_and_grouped_by_day_in_uk_time(client, clock, make_consultation):
    clock.set(datetime(2027, 6, 1, 9, 0, tzinfo=UTC))  # British Summer Time: UTC+1
    consultation = make_consultation()
    tuesday_late, after_midnight = publish(
        consultation,
        datetime(2027, 6, 1, 21, 30, tzinfo=UTC),
        datetime(2027, 6, 1, 23, 30, tzinfo=UTC),
    )
    url = ask_for_a_call(client, clock)

    shown = client.get(url)
    wednesday = client.get(f"{url}/times?day=2027-06-02", headers={"HX-Request": "true"})

    groups = page(shown).select("#call-times fieldset")
    assert [text_of(group.legend) for group in groups] == [
        "Tuesday 1 June 2027",
        "Wednesday 2 June 2027",
    ]
    assert "10:30pm to 11pm" in text_of(groups[0])
    assert "12:30am to 1am" in text_of(groups[1])
    assert offered(wednesday) == [after_midnight.id]
    assert tuesday_late.id not in offered(wednesday)


def test_a_time_someone_booked_is_not_offered_to_anyone_else(app, client, clock, times):
    book(client, clock, times[0])
    other = another_browser(app)

    shown = other.get(ask_for_a_call(other, clock))

    assert offered(shown) == ids(times[1:])


def test_another_consultations_times_are_not_offered(client, clock, times, make_consultation):
    elsewhere = make_consultation(slug="other-consultation", title="Parks review")
    [theirs] = publish(elsewhere, WEDNESDAY_14 + timedelta(hours=1))

    shown = client.get(ask_for_a_call(client, clock))

    assert theirs.id not in offered(shown)
    assert offered(shown) == ids(times)


@pytest.mark.parametrize(
    ("crafted", "message"),
    [
        ("past", GONE),
        ("within-notice", GONE),
        ("other-consultation", GONE),
        ("12345", GONE),
        ("abc", GONE),
        ("-1", GONE),
        ("99999999999", GONE),
        ("999999999999999999999999", GONE),
        ("1.0", GONE),
        ("", "Select a time for your call"),
    ],
    ids=lambda value: value if value not in (GONE, "Select a time for your call") else "",
)
def test_a_crafted_time_is_refused_and_nothing_is_booked(
    client, clock, times, make_consultation, crafted, message
):
    url = ask_for_a_call(client, clock)
    elsewhere = make_consultation(slug="other-consultation", title="Parks review")
    made = {
        "past": publish(times[0].consultation, clock.now - timedelta(days=1)),
        "within-notice": publish(times[0].consultation, clock.now + timedelta(minutes=90)),
        "other-consultation": publish(elsewhere, WEDNESDAY_14),
    }
    slot = str(made[crafted][0].id) if crafted in made else crafted

    response = choose(client, url, slot)

    assert response.status_code == 422
    assert error_messages(response) == [message]
    assert summary_links(response) == {message: "slot"}
    assert offered(response) == ids(times)
    assert bookings() == []


def test_a_slot_id_of_superscript_digits_is_refused_like_any_other_crafted_one(
    client, clock, times
):
    url = ask_for_a_call(client, clock)

    response = choose(client, url, "²")

    assert response.status_code == 422
    assert error_messages(response) == [GONE]
    assert bookings() == []


# --- booking a call --------------------------------------------------------------------------


def test_booking_a_time_leads_to_the_booked_page(client, clock, times):
    url = ask_for_a_call(client, clock)

    booked = choose(client, url, times[2])
    shown = client.get(booked.headers["Location"])

    assert booked.status_code == 303
    assert where(booked) == f"{url}/booked"
    assert h1_text(shown) == "Call booked"
    text = text_of(page(shown))
    assert "Wednesday 3 February 2027, 2pm to 2:30pm UK time" in text
    assert "Sam Okafor will call you on 020 7946 0123" in text
    assert the_message().reference in text
    booking = the_booking()
    assert (booking.slot_id, booking.status, booking.sequence) == (times[2].id, BOOKED, 0)
    assert (booking.starts_at, booking.booked_at) == (WEDNESDAY_14, clock.now)


def test_once_booked_the_call_page_shows_the_call(client, clock, times):
    url = book(client, clock, times[0])

    shown = client.get(url)

    assert shown.status_code == 200
    assert h1_text(shown) == "Your call"
    text = text_of(page(shown))
    assert "Tuesday 2 February 2027, 10am to 10:30am UK time" in text
    assert "Bus routes in the north of the borough" in text
    assert offered(shown) == []


def test_the_booked_page_before_booking_leads_to_choosing_a_time(client, clock, times):
    url = ask_for_a_call(client, clock)

    response = client.get(f"{url}/booked")

    assert response.status_code == 303
    assert where(response) == url


def test_sending_the_choice_twice_books_one_call(client, clock, times):
    url = ask_for_a_call(client, clock)
    data = {**form_fields(client, url), "slot": str(times[0].id)}

    first = client.post(url, data=data)
    second = client.post(url, data={**data, "slot": str(times[1].id)})

    assert first.status_code == second.status_code == 303
    assert where(second) == f"{url}/booked"
    assert the_booking().slot_id == times[0].id


def test_a_time_taken_while_choosing_is_refused_and_the_others_still_offered(
    app, client, clock, times
):
    url = ask_for_a_call(client, clock)
    loaded = form_fields(client, url)
    other = another_browser(app)
    book(other, clock, times[0])

    response = client.post(url, data={**loaded, "slot": str(times[0].id)})

    assert response.status_code == 422
    assert summary_links(response) == {TAKEN: "slot"}
    assert field_error(response, "slot") == TAKEN
    assert offered(response) == ids(times[1:])
    assert the_booking().response.token != token_of(url)  # the other person's


def test_the_only_time_taken_while_choosing_says_so_on_a_page_without_times(
    app, client, clock, consultation
):
    [only] = publish(consultation, WEDNESDAY_14)
    url = ask_for_a_call(client, clock)
    loaded = form_fields(client, url)
    book(another_browser(app), clock, only)

    response = client.post(url, data={**loaded, "slot": str(only.id)})

    assert response.status_code == 422
    assert TAKEN in text_of(page(response))
    assert NO_TIMES in text_of(page(response))
    assert len(bookings()) == 1


def test_the_error_summary_on_a_page_without_times_links_to_something_on_it(
    app, client, clock, consultation
):
    [only] = publish(consultation, WEDNESDAY_14)
    url = ask_for_a_call(client, clock)
    loaded = form_fields(client, url)
    book(another_browser(app), clock, only)

    response = client.post(url, data={**loaded, "slot": str(only.id)})

    assert TAKEN in summary_links(response)


def test_choosing_a_day_loads_only_that_days_times(client, clock, times):
    url = ask_for_a_call(client, clock)

    fragment = client.get(f"{url}/times?day=2027-02-02", headers={"HX-Request": "true"})

    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers["Vary"]
    body = fragment.get_data(as_text=True)
    assert "<html" not in body
    assert offered(fragment) == ids(times[:2])
    assert text_of(page(fragment).legend) == "Times on Tuesday 2 February 2027"


def test_the_days_offered_in_the_picker_each_load_their_times(client, clock, times):
    url = ask_for_a_call(client, clock)

    shown = client.get(url)

    days = page(shown).select("[data-day-picker] input[name=day]")
    assert [d["value"] for d in days] == ["2027-02-02", "2027-02-03"]
    assert {d["hx-get"] for d in days} == {f"{url}/times"}
    assert {d["hx-target"] for d in days} == {"#call-times"}


def test_a_day_whose_times_were_all_taken_meanwhile_offers_none_of_other_days(
    app, client, clock, times
):
    url = ask_for_a_call(client, clock)
    book(another_browser(app), clock, times[2])  # Wednesday's only time

    fragment = client.get(f"{url}/times?day=2027-02-03", headers={"HX-Request": "true"})

    assert offered(fragment) == []
    assert "There are no free times on that day" in text_of(page(fragment))


def test_the_times_of_a_day_asked_for_without_htmx_lead_to_the_call_page(client, clock, times):
    url = ask_for_a_call(client, clock)

    response = client.get(f"{url}/times?day=2027-02-03")
    shown = client.get(response.headers["Location"])

    assert response.status_code == 302
    assert response.headers["Location"] == url  # every day: without htmx, no day picker
    assert shown.status_code == 200
    assert offered(shown) == ids(times)


def test_the_call_page_with_a_day_still_offers_every_day_to_a_browser_without_javascript(
    client, clock, times
):
    url = ask_for_a_call(client, clock)

    shown = client.get(f"{url}?day=2027-02-03")

    assert page(shown).find(attrs={"data-day-picker": True}).has_attr("hidden")
    assert offered(shown) == ids(times)


@pytest.mark.parametrize(
    ("token", "suffix"),
    [("x" * 24, suffix) for suffix in ["", "/times", "/booked", "/change", "/cancel"]]
    + [("short", ""), ("not-a-token!" * 3, ""), ("x" * 65, "")],
)
def test_an_unknown_or_malformed_token_finds_no_call(client, clock, times, suffix, token):
    ask_for_a_call(client, clock)

    response = client.get(f"{MESSAGE_URL}/call/{token}{suffix}")

    assert response.status_code == 404


def test_a_message_that_wanted_no_call_has_no_call_page(client, clock, times):
    send(client, clock, wants_call="no")
    token = the_message().token

    assert client.get(f"{MESSAGE_URL}/call/{token}").status_code == 404


def test_a_token_only_works_under_its_own_consultation(client, clock, times, make_consultation):
    url = ask_for_a_call(client, clock)
    make_consultation(slug="other-consultation", title="Parks review")

    assert client.get(url.replace("test-consultation", "other-consultation")).status_code == 404


# --- moving a call ---------------------------------------------------------------------------


def test_the_change_page_shows_the_call_and_the_other_free_times(client, clock, times):
    url = book(client, clock, times[0])

    shown = client.get(f"{url}/change")

    assert shown.status_code == 200
    assert h1_text(shown) == "Change the time of your call"
    assert "Your call is booked for Tuesday 2 February 2027, 10am" in text_of(page(shown))
    assert offered(shown) == ids(times[1:])


def test_moving_a_call_keeps_its_calendar_event_and_frees_the_old_time(app, client, clock, times):
    url = book(client, clock, times[0])
    uid = the_booking().uid

    moved = choose(client, f"{url}/change", times[2])

    assert moved.status_code == 303
    assert where(moved) == f"{url}/booked"
    assert h1_text(client.get(moved.headers["Location"])) == "Call moved"
    after = the_booking()
    assert (after.uid, after.sequence) == (uid, 1)
    assert (after.slot_id, after.starts_at) == (times[2].id, WEDNESDAY_14)
    # The old time is free again: someone else can book it.
    other = another_browser(app)
    other_url = ask_for_a_call(other, clock)
    assert times[0].id in offered(other.get(other_url))
    assert choose(other, other_url, times[0]).status_code == 303


def test_the_invites_of_a_moved_call_update_the_same_event(client, clock, times, smtp_server):
    url = book(client, clock, times[0])
    deliver(clock.now)
    [invited] = [m for m in smtp_server.to(RESPONDENT) if has_invite(m)]
    [booked] = invite(invited).walk("VEVENT")
    smtp_server.clear()

    choose(client, f"{url}/change", times[2])
    deliver(clock.now)

    [to_respondent] = smtp_server.to(RESPONDENT)
    [to_officer] = smtp_server.to(OFFICER)
    for received in (to_respondent, to_officer):
        [moved] = invite(received).walk("VEVENT")
        assert str(moved["UID"]) == str(booked["UID"]) == the_booking().uid
        assert (int(booked["SEQUENCE"]), int(moved["SEQUENCE"])) == (0, 1)
        assert moved.decoded("DTSTART") == WEDNESDAY_14


def test_moving_to_a_time_someone_else_holds_is_refused(app, client, clock, times):
    url = book(client, clock, times[0])
    book(another_browser(app), clock, times[1])

    response = choose(client, f"{url}/change", times[1])

    assert response.status_code == 422
    assert error_messages(response) == [TAKEN]
    [mine] = [b for b in bookings() if b.response.token == token_of(url)]
    assert (mine.slot_id, mine.sequence) == (times[0].id, 0)


def test_moving_to_a_time_inside_the_notice_is_refused(client, clock, times):
    url = book(client, clock, times[0])
    [soon] = publish(times[0].consultation, clock.now + timedelta(hours=1))

    response = choose(client, f"{url}/change", soon)

    assert response.status_code == 422
    assert error_messages(response) == [GONE]
    assert the_booking().slot_id == times[0].id


def test_changing_a_call_never_booked_leads_to_choosing_a_time(client, clock, times):
    url = ask_for_a_call(client, clock)

    response = client.get(f"{url}/change")

    assert response.status_code == 302
    assert where(response) == url


# --- cancelling a call -----------------------------------------------------------------------


def test_cancelling_asks_to_be_sure_first(client, clock, times):
    url = book(client, clock, times[0])

    shown = client.get(f"{url}/cancel")

    assert shown.status_code == 200
    assert h1_text(shown) == "Cancel your call"
    assert "Tuesday 2 February 2027, 10am to 10:30am UK time" in text_of(page(shown))
    assert the_booking().status == BOOKED


def test_cancelling_frees_the_time_for_someone_else(app, client, clock, times):
    url = book(client, clock, times[0])

    cancelled = client.post(f"{url}/cancel", data=form_fields(client, f"{url}/cancel"))

    assert cancelled.status_code == 303
    assert where(cancelled) == url
    assert parse_qs(urlsplit(cancelled.headers["Location"]).query) == {"cancelled": ["1"]}
    booking = the_booking()
    assert (booking.status, booking.cancelled_by, booking.sequence) == (CANCELLED, "respondent", 1)
    assert booking.cancelled_at == clock.now
    other = another_browser(app)
    assert choose(other, ask_for_a_call(other, clock), times[0]).status_code == 303


def test_after_cancelling_the_call_page_offers_to_book_another_time(app, client, clock, times):
    url = book(client, clock, times[0])
    client.post(f"{url}/cancel", data=form_fields(client, f"{url}/cancel"))

    shown = UncheckedClient(app, app.response_class).get(f"{url}?cancelled=1")

    assert shown.status_code == 200
    assert h1_text(shown) == "Book another time"
    assert "Your call has been cancelled." in text_of(page(shown))
    assert offered(shown) == ids(times)
    assert page(shown).title.get_text().startswith("Book another time")


def test_after_cancelling_another_time_can_be_booked(client, clock, times):
    url = book(client, clock, times[0])
    data = form_fields(client, f"{url}/change")  # the call page would show the same fields
    client.post(f"{url}/cancel", data=form_fields(client, f"{url}/cancel"))

    booked = client.post(url, data={**data, "slot": str(times[1].id)})

    assert booked.status_code == 303
    assert where(booked) == f"{url}/booked"
    assert [(b.slot_id, b.status) for b in bookings()] == [
        (times[0].id, CANCELLED),
        (times[1].id, BOOKED),
    ]


def test_a_call_is_cancelled_once(client, clock, times):
    url = book(client, clock, times[0])
    data = form_fields(client, f"{url}/cancel")
    client.post(f"{url}/cancel", data=data)

    again = client.post(f"{url}/cancel", data=data)

    assert again.status_code == 410
    assert h1_text(again) == "This call has been cancelled"
    assert the_booking().sequence == 1
    assert client.get(f"{url}/change").status_code == 410
    assert client.get(f"{url}/cancel").status_code == 410
    assert sum(e.kind == "call_cancelled" for e in outbox()) == 2  # respondent and officer


def test_the_cancellation_emails_cancel_the_calendar_event(client, clock, times, smtp_server):
    url = book(client, clock, times[0])
    deliver(clock.now)  # the invites of the booking
    smtp_server.clear()

    client.post(f"{url}/cancel", data=form_fields(client, f"{url}/cancel"))
    deliver(clock.now)

    cancellations = [m for m in smtp_server.received if has_invite(m)]
    sent_to = sorted(r for m in cancellations for r in m.rcpt_tos)
    assert sent_to == sorted([RESPONDENT, OFFICER])
    for received in cancellations:
        calendar = invite(received)
        [event] = calendar.walk("VEVENT")
        assert str(calendar["METHOD"]) == "CANCEL"
        assert str(event["UID"]) == the_booking().uid
        assert int(event["SEQUENCE"]) == 1


def test_the_page_of_a_call_gone_by_says_it_has_taken_place(client, clock, times):
    url = book(client, clock, times[0])
    clock.set(TUESDAY_10 + timedelta(hours=1))

    shown = client.get(url)

    assert shown.status_code == 200
    assert h1_text(shown) == "This call has already taken place"
    assert page(shown).find("a", string="Cancel the call") is None


@pytest.mark.parametrize("when", [TUESDAY_10, TUESDAY_10 + timedelta(hours=1)])
@pytest.mark.parametrize("suffix", ["/change", "/cancel"])
def test_a_call_that_has_started_or_ended_can_no_longer_be_changed(
    client, clock, times, when, suffix
):
    url = book(client, clock, times[0])
    data = {**form_fields(client, f"{url}{suffix}"), "slot": str(times[2].id)}
    clock.set(when)

    shown = client.get(f"{url}{suffix}")
    sent = client.post(f"{url}{suffix}", data=data)

    for response in (shown, sent):
        assert response.status_code == 410
        assert h1_text(response) == "This call has already taken place"
    booking = the_booking()
    assert (booking.status, booking.slot_id, booking.sequence) == (BOOKED, times[0].id, 0)
