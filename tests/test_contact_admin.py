"""Calls in the admin area: publishing times (one, or a series), removing a free one, the
settings for after the close, and cancelling a booked call (app/admin/calls.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.calls import booking as services
from app.extensions import db
from app.models import BOOKED, CANCELLED, AuditEvent, Booking, Consultation, Slot
from tests.support.audit import audit_count
from tests.support.contact import (
    SLUG,
    VALID_MESSAGE,
    bookings,
    call_url,
    choose,
    deliver,
    invite,
    publish,
    send_message,
)
from tests.support.factories import ADMIN_EMAIL, csrf_token
from tests.support.pages import page, text_of

CALLS_URL = f"/admin/consultations/{SLUG}/calls"
TIME_URL = f"{CALLS_URL}/time"
SERIES_URL = f"{CALLS_URL}/series"
SETTINGS_URL = f"{CALLS_URL}/settings"
RESPONDENT = VALID_MESSAGE["email"]
OFFICER = "officer@example.org"

# The clock starts on Monday 1 February 2027 at 12:00 UTC (GMT).
MON_8_FEB_10AM = datetime(2027, 2, 8, 10, 0, tzinfo=UTC)
MON_8_FEB_11AM = datetime(2027, 2, 8, 11, 0, tzinfo=UTC)

VALID_SERIES = {
    "series-first_day": "2027-03-01",
    "series-last_day": "2027-03-12",
    "series-weekdays": ["0", "1", "2", "3", "4"],
    "series-day_start": "10:00",
    "series-day_end": "12:00",
    "series-minutes": "30",
}


# Reading what is stored


def slots() -> list[Slot]:
    db.session.rollback()
    return list(db.session.scalars(select(Slot).order_by(Slot.starts_at)))


def audit(action: str | None = None) -> list[AuditEvent]:
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.filter_by(action=action)
    return list(db.session.scalars(query))


def stored(slug: str = SLUG) -> Consultation:
    db.session.rollback()
    return db.session.scalar(select(Consultation).filter_by(slug=slug))


def snapshot() -> tuple:
    """Everything the calls pages can change."""
    consultation = stored()
    return (
        [(s.id, s.starts_at, s.ends_at) for s in slots()],
        [(b.id, b.status, b.slot_id) for b in bookings()],
        (consultation.messages_after_close, consultation.bookings_after_close),
        audit_count(),
    )


# Sending the forms


def post(client, url: str, fields: dict, token_field: str = "csrf_token"):
    """Send a form of the admin area with a valid CSRF token."""
    return client.post(url, data={token_field: csrf_token(client, "/admin/"), **fields})


def publish_one(client, day: str, start: str, minutes: str = "30"):
    fields = {"one-day": day, "one-start": start, "one-minutes": minutes}
    return post(client, TIME_URL, fields, "one-csrf_token")


def publish_series(client, **changes):
    fields = {**VALID_SERIES, **{f"series-{name}": value for name, value in changes.items()}}
    return post(client, SERIES_URL, fields, "series-csrf_token")


def plain(tag) -> str:
    """A tag's text as it reads, without spaces added between its elements."""
    return " ".join(tag.get_text().split())


def flash_after(client, response) -> str:
    """The flashed notice on the page a 303 leads to."""
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert urlsplit(response.headers["Location"]).path == CALLS_URL
    notices = page(client.get(CALLS_URL)).select("#flashes .notice")
    assert len(notices) == 1, notices
    return text_of(notices[0])


def assert_error_by_field(response, field_id: str, message: str):
    """A 422 whose error summary links to the field, with the message by it."""
    assert response.status_code == 422, response.status_code
    soup = page(response)
    assert soup.title.get_text().startswith("Error: Calls")
    summary = soup.find(class_="error-summary")
    assert summary is not None, "no error summary"
    target = field_id + "-1" if field_id == "series-weekdays" else field_id
    link = summary.find("a", href=f"#{target}")
    assert link is not None, [a["href"] for a in summary.find_all("a")]
    assert message in text_of(link)
    assert soup.find(id=target) is not None
    assert message in text_of(soup.find(id=f"{field_id}-error"))
    return soup


def book(client, clock, slot: Slot, fields: dict | None = None) -> Booking:
    """Send a message asking for a call and book `slot`, as a respondent."""
    url = call_url(send_message(client, clock, fields))
    assert choose(client, url, slot).status_code == 303
    (booking,) = [b for b in bookings() if b.slot_id == slot.id and b.status == BOOKED]
    return booking


@pytest.fixture
def consultation(make_consultation):
    return make_consultation()


@pytest.fixture
def signed_in(client, auth, consultation):
    assert auth.login().status_code == 303
    return client


# Signing in


def test_every_calls_page_needs_sign_in(client, admin_user, consultation, clock):
    """Anonymous: each URL, read or sent with a valid token, goes to sign in; nothing changes."""
    free, taken = publish(consultation, MON_8_FEB_10AM, MON_8_FEB_11AM)
    booking = book(client, clock, taken)
    before = snapshot()
    token = csrf_token(client, "/admin/login")
    sends = [
        (TIME_URL, {"one-csrf_token": token, "one-day": "2027-03-01", "one-start": "10:00"}),
        (SERIES_URL, {**VALID_SERIES, "series-csrf_token": token}),
        (SETTINGS_URL, {"csrf_token": token, "messages_after_close": "no"}),
        (f"/admin/times/{free.id}/remove", {"csrf_token": token}),
        (f"/admin/calls/{booking.id}/cancel", {"csrf_token": token}),
    ]

    for url in (CALLS_URL, f"/admin/calls/{booking.id}/cancel"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert urlsplit(response.headers["Location"]).path == "/admin/login", url
    for url, data in sends:
        response = client.post(url, data={**data, "bookings_after_close": "yes"})
        assert response.status_code == 302, url
        assert urlsplit(response.headers["Location"]).path == "/admin/login", url

    assert snapshot() == before


# The calls page


def test_calls_page_lists_booked_calls_and_free_times_by_day(client, auth, consultation, clock):
    monday, tuesday = publish(
        consultation, MON_8_FEB_10AM, datetime(2027, 2, 9, 14, 30, tzinfo=UTC), minutes=45
    )
    book(client, clock, monday)
    auth.login()

    soup = page(client.get(CALLS_URL))

    rows = [[plain(td) for td in tr.find_all("td")] for tr in soup.select("table tbody tr")]
    assert len(rows) == 1
    when, who, phone, action = rows[0]
    assert when == "Monday 8 February 2027, 10am to 10:45am UK time"
    assert who == "Ann Example, Riverside Tenants"
    assert phone == "020 7946 0123"
    assert action == "Cancel the call with Ann Example"
    days = [text_of(h3) for h3 in soup.select("h3")]
    assert days == ["Monday 8 February 2027", "Tuesday 9 February 2027"]
    lists = [[text_of(li) for li in ul.find_all("li")] for ul in soup.select("ul.time-list")]
    assert lists[0] == ["10am to 10:45am: booked by Ann Example"]
    assert lists[1][0].startswith("2:30pm to 3:15pm: free")
    assert soup.find("form", action=f"/admin/times/{tuesday.id}/remove") is not None
    assert soup.find("form", action=f"/admin/times/{monday.id}/remove") is None


def test_calls_page_without_times(signed_in):
    response = signed_in.get(CALLS_URL)

    assert response.status_code == 200
    text = text_of(page(response))
    assert "No calls are booked." in text
    assert "No times are published." in text


def test_calls_page_leaves_out_times_that_have_ended(signed_in, consultation, clock):
    """At 12:00: 10:00 and 11:30 have ended, 11:50 is under way (still listed)."""
    publish(consultation, *(datetime(2027, 2, 1, h, m, tzinfo=UTC) for h, m in [(10, 0), (11, 30)]))
    publish(consultation, datetime(2027, 2, 1, 11, 50, tzinfo=UTC))

    soup = page(signed_in.get(CALLS_URL))

    assert [plain(li)[:18] for li in soup.select("ul.time-list li")] == ["11:50am to 12:20pm"]

    clock.set(datetime(2027, 2, 1, 12, 20, tzinfo=UTC))
    assert "No times are published." in text_of(page(signed_in.get(CALLS_URL)))


def test_calls_page_shows_bst_times_in_uk_time(signed_in, consultation):
    publish(consultation, datetime(2027, 6, 1, 9, 0, tzinfo=UTC))

    soup = page(signed_in.get(CALLS_URL))

    assert [text_of(h3) for h3 in soup.select("h3")] == ["Tuesday 1 June 2027"]
    assert text_of(soup.select_one("ul.time-list li")).startswith("10am to 10:30am: free")


# Publishing one time


@pytest.mark.parametrize(
    ("day", "start", "minutes", "starts_at"),
    [
        ("2027-02-10", "14:30", "45", datetime(2027, 2, 10, 14, 30, tzinfo=UTC)),  # GMT
        ("2027-04-05", "10:00", "30", datetime(2027, 4, 5, 9, 0, tzinfo=UTC)),  # BST
        ("2027-03-28", "02:00", "10", datetime(2027, 3, 28, 1, 0, tzinfo=UTC)),  # just after
        ("2027-10-31", "01:30", "240", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),  # the first
    ],
    ids=["gmt", "bst", "after-spring-change", "repeated-hour"],
)
def test_publish_one_time_stores_uk_time_in_utc(signed_in, day, start, minutes, starts_at):
    response = publish_one(signed_in, day, start, minutes)

    assert flash_after(signed_in, response) == "Published 1 time."
    (slot,) = slots()
    assert (slot.starts_at, slot.ends_at) == (
        starts_at,
        starts_at + timedelta(minutes=int(minutes)),
    )
    (event,) = audit("publish_times")
    assert event.actor == ADMIN_EMAIL
    assert event.consultation.slug == SLUG
    assert event.detail.startswith("Published 1 call time,")


def test_publish_one_time_overlapping_a_published_one_is_left_out(signed_in, consultation):
    publish(consultation, MON_8_FEB_10AM)
    before = snapshot()

    response = publish_one(signed_in, "2027-02-08", "10:15")

    assert flash_after(signed_in, response) == (
        "Published 0 times. Left out 1 that overlapped a time already published."
    )
    assert snapshot() == before


def test_publish_one_time_touching_a_published_one_is_published(signed_in, consultation):
    publish(consultation, MON_8_FEB_10AM)

    response = publish_one(signed_in, "2027-02-08", "10:30")

    assert flash_after(signed_in, response) == "Published 1 time."
    assert len(slots()) == 2


def test_publish_one_time_in_the_past_is_left_out(signed_in, clock):
    before = snapshot()

    response = publish_one(signed_in, "2027-02-01", "11:30")  # half an hour ago

    assert flash_after(signed_in, response) == "Published 0 times. Left out 1 in the past."
    assert snapshot() == before


def test_publish_one_time_skipped_by_the_spring_change_is_refused(signed_in):
    before = snapshot()

    response = publish_one(signed_in, "2027-03-28", "01:30")

    soup = assert_error_by_field(response, "one-start", "01:30 does not exist on that day")
    assert soup.find("input", id="one-day")["value"] == "2027-03-28"
    assert soup.find("input", id="one-start")["value"] == "01:30"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"one-day": "2027-02-30"}, "one-day", "Enter a real date, like 2027-03-01"),
        ({"one-day": ""}, "one-day", "Enter the date of the call"),
        ({"one-start": "25:00"}, "one-start", "Enter a real time, like 14:30"),
        ({"one-minutes": "9"}, "one-minutes", "Enter a number of minutes between 10 and 240"),
        ({"one-minutes": "241"}, "one-minutes", "Enter a number of minutes between 10 and 240"),
        ({"one-minutes": "half an hour"}, "one-minutes", "as a whole number, like 30"),
    ],
)
def test_publish_one_time_bad_input(signed_in, fields, field_id, message):
    before = snapshot()
    data = {"one-day": "2027-03-01", "one-start": "10:00", "one-minutes": "30", **fields}

    response = post(signed_in, TIME_URL, data, "one-csrf_token")

    soup = assert_error_by_field(response, field_id, message)
    for name, value in data.items():
        assert soup.find("input", id=name)["value"] == value
    assert snapshot() == before


@pytest.mark.parametrize(
    ("url", "fields", "field_id"),
    [
        (
            TIME_URL,
            {"one-day": "9999-12-31", "one-start": "23:00", "one-minutes": "240"},
            "one-day",
        ),
        (TIME_URL, {"one-day": "0001-01-01", "one-start": "00:00", "one-minutes": "30"}, "one-day"),
        (
            SERIES_URL,
            {**VALID_SERIES, "series-first_day": "9999-12-01", "series-last_day": "9999-12-31"},
            "series-first_day",
        ),
    ],
    ids=["one-9999", "one-0001", "series-9999"],
)
def test_dates_at_the_ends_of_the_calendar_are_refused(app, signed_in, url, fields, field_id):
    """Regression: 9999-12-31 is a real date, but adding a call's length to 23:00 on it, or
    a day to it at the end of a series, overflowed into a 500 (app/admin/calls.py
    publish_time, app/calls/rules.py series). Dates outside this century are a form error now."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    before = snapshot()
    token_field = "one-csrf_token" if url == TIME_URL else "series-csrf_token"

    response = post(signed_in, url, fields, token_field)

    assert response.status_code == 422
    soup = page(response)
    assert soup.find(class_="error-summary").find("a", href=f"#{field_id}") is not None
    assert "Enter a date" in text_of(soup.find(id=f"{field_id}-error"))
    assert snapshot() == before


# Publishing a series


def test_series_form_offers_each_weekday_with_its_label(signed_in):
    """Seven checkboxes, Monday (0) to Sunday (6), each with its label; Monday to Friday
    ticked to begin with."""
    soup = page(signed_in.get(CALLS_URL))

    boxes = soup.find_all("input", attrs={"name": "series-weekdays"})
    assert [box["id"] for box in boxes] == [f"series-weekdays-{n}" for n in range(1, 8)]
    assert [box["value"] for box in boxes] == [str(n) for n in range(7)]
    labels = [text_of(soup.find("label", attrs={"for": box["id"]})) for box in boxes]
    assert labels == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    assert [box.has_attr("checked") for box in boxes] == [True] * 5 + [False] * 2


def test_publish_series_on_the_weekdays_ticked(signed_in):
    """Tuesday and Saturday (1 and 5) over two weeks: four days, named as ticked."""
    response = publish_series(
        signed_in, first_day="2027-03-01", last_day="2027-03-14", weekdays=["1", "5"]
    )

    assert flash_after(signed_in, response) == "Published 16 times."
    soup = page(signed_in.get(CALLS_URL))
    assert [text_of(h3) for h3 in soup.select("h3")] == [
        "Tuesday 2 March 2027",
        "Saturday 6 March 2027",
        "Tuesday 9 March 2027",
        "Saturday 13 March 2027",
    ]


def test_publish_series(signed_in):
    """Weekdays of 1 to 12 March 2027, 10:00 to 12:00 in 30 minutes: 4 a day on 10 days."""
    response = publish_series(signed_in)

    assert flash_after(signed_in, response) == "Published 40 times."
    stored_slots = slots()
    assert len(stored_slots) == 40
    assert {s.starts_at.weekday() for s in stored_slots} == {0, 1, 2, 3, 4}
    assert {s.starts_at.time().isoformat() for s in stored_slots} == {
        "10:00:00",
        "10:30:00",
        "11:00:00",
        "11:30:00",
    }
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in stored_slots)
    (event,) = audit("publish_times")
    assert event.detail == (
        "Published 40 call times, Monday 1 March 2027, 10am to 10:30am UK time"
        " to Friday 12 March 2027, 11:30am to midday UK time"
    )
    soup = page(signed_in.get(CALLS_URL))
    assert len(soup.select("h3")) == 10
    assert len(soup.select("ul.time-list li")) == 40


def test_publish_series_across_the_spring_change_keeps_uk_time(signed_in):
    """Friday 26 and Monday 29 March 2027: 10am both days, 10:00 then 09:00 UTC."""
    response = publish_series(
        signed_in, first_day="2027-03-26", last_day="2027-03-29", day_end="11:00", minutes="60"
    )

    assert flash_after(signed_in, response) == "Published 2 times."
    assert [s.starts_at for s in slots()] == [
        datetime(2027, 3, 26, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 29, 9, 0, tzinfo=UTC),
    ]


def test_publish_series_across_the_autumn_change_keeps_each_call_its_length(signed_in):
    """Sunday 31 October 2027, 00:00 to 03:00 in 30 minutes: six calls of 30 minutes each,
    the same as each of them published on its own."""
    response = publish_series(
        signed_in,
        first_day="2027-10-31",
        last_day="2027-10-31",
        weekdays=["6"],
        day_start="00:00",
        day_end="03:00",
    )

    assert flash_after(signed_in, response) == "Published 6 times."
    assert [s.ends_at - s.starts_at for s in slots()] == [timedelta(minutes=30)] * 6


def test_publish_series_leaves_out_overlapping_and_past_times(signed_in, consultation, clock):
    """At 12:00 on Monday 1 February its four morning times are past; on Tuesday 10:15
    is published, so 10:00 and 10:30 clash."""
    publish(consultation, datetime(2027, 2, 2, 10, 15, tzinfo=UTC))

    response = publish_series(signed_in, first_day="2027-02-01", last_day="2027-02-02")

    assert flash_after(signed_in, response) == (
        "Published 2 times. Left out 2 that overlapped a time already published."
        " Left out 4 in the past."
    )
    assert [s.starts_at for s in slots()] == [
        datetime(2027, 2, 2, h, m, tzinfo=UTC) for h, m in [(10, 15), (11, 0), (11, 30)]
    ]


def test_publish_series_published_twice_adds_nothing(signed_in):
    publish_series(signed_in)
    before = snapshot()

    response = publish_series(signed_in)

    assert flash_after(signed_in, response) == (
        "Published 0 times. Left out 40 that overlapped a time already published."
    )
    assert snapshot() == before


def test_publish_series_of_92_days(signed_in):
    """The longest range allowed: 1 March to 31 May 2027, Mondays at 10am (14 Mondays)."""
    response = publish_series(
        signed_in,
        first_day="2027-03-01",
        last_day="2027-05-31",
        weekdays=["0"],
        day_end="10:30",
    )

    assert flash_after(signed_in, response) == "Published 14 times."
    assert {s.starts_at.weekday() for s in slots()} == {0}


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        (
            {"first_day": "2027-03-12", "last_day": "2027-03-01"},
            "series-last_day",
            "The last date must be the same as or after the first date",
        ),
        (
            {"first_day": "2027-03-01", "last_day": "2027-06-01"},
            "series-last_day",
            "Publish up to 92 days at a time",
        ),
        ({"weekdays": []}, "series-weekdays", "Select at least one day of the week"),
        ({"weekdays": ["0", "7"]}, "series-weekdays", "Select one of the options shown"),
        (
            {"day_start": "10:00", "day_end": "10:20"},
            "series-day_end",
            "The end time must leave room for at least one call",
        ),
        (
            {"day_start": "12:00", "day_end": "10:00"},
            "series-day_end",
            "The end time must leave room for at least one call",
        ),
        ({"minutes": "5"}, "series-minutes", "Enter a number of minutes between 10 and 240"),
        ({"minutes": "241"}, "series-minutes", "Enter a number of minutes between 10 and 240"),
        ({"minutes": "abc"}, "series-minutes", "as a whole number, like 30"),
        ({"minutes": ""}, "series-minutes", "Enter how long each call lasts, in minutes"),
        ({"first_day": "1 March"}, "series-first_day", "Enter a real date, like 2027-03-01"),
        ({"day_start": ""}, "series-day_start", "Enter the time of the first call"),
        (
            {
                "first_day": "2027-03-01",
                "last_day": "2027-05-31",
                "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
                "day_start": "09:00",
                "day_end": "12:00",
                "minutes": "15",
            },
            "series-last_day",
            "That makes 1,104 times. Publish up to 1,000 at once",
        ),
    ],
    ids=[
        "first-after-last",
        "over-92-days",
        "no-weekday",
        "unknown-weekday",
        "no-room",
        "end-before-start",
        "5-minutes",
        "241-minutes",
        "minutes-not-a-number",
        "no-minutes",
        "not-a-date",
        "no-start",
        "over-1000-times",
    ],
)
def test_publish_series_bad_input(signed_in, changes, field_id, message):
    """422, the message by the field and in the summary, what was typed kept, nothing stored."""
    before = snapshot()

    response = publish_series(signed_in, **changes)

    soup = assert_error_by_field(response, field_id, message)
    sent = {**VALID_SERIES, **{f"series-{name}": value for name, value in changes.items()}}
    for name, value in sent.items():
        if name == "series-weekdays":
            boxes = soup.find_all("input", attrs={"name": name})
            ticked = [box["value"] for box in boxes if box.has_attr("checked")]
            assert ticked == [box["value"] for box in boxes if box["value"] in value]
        else:
            assert soup.find("input", id=name)["value"] == value, name
    assert snapshot() == before


# Removing a time


def test_remove_a_free_time(signed_in, consultation):
    free, other = publish(consultation, MON_8_FEB_10AM, MON_8_FEB_11AM)
    free_id = free.id

    response = post(signed_in, f"/admin/times/{free_id}/remove", {})

    assert flash_after(signed_in, response) == "Time removed."
    assert [s.id for s in slots()] == [other.id]
    (event,) = audit("remove_time")
    assert event.actor == ADMIN_EMAIL
    assert event.detail == "Removed the call time Monday 8 February 2027, 10am to 10:30am UK time"
    assert (
        page(signed_in.get(CALLS_URL)).find("form", action=f"/admin/times/{free_id}/remove") is None
    )


def test_remove_a_booked_time_is_refused(client, auth, consultation, clock):
    (slot,) = publish(consultation, MON_8_FEB_10AM)
    booking = book(client, clock, slot)
    auth.login()
    before = snapshot()

    response = post(client, f"/admin/times/{slot.id}/remove", {})

    assert flash_after(client, response) == (
        "That time has just been booked, so it was not removed."
    )
    assert snapshot() == before
    db.session.refresh(booking)
    assert (booking.status, booking.slot_id) == (BOOKED, slot.id)


def test_remove_an_unknown_time_is_404(signed_in):
    assert post(signed_in, "/admin/times/999/remove", {}).status_code == 404


def test_remove_needs_a_csrf_token(signed_in, consultation):
    (slot,) = publish(consultation, MON_8_FEB_10AM)
    before = snapshot()

    response = signed_in.post(f"/admin/times/{slot.id}/remove", data={})

    assert response.status_code == 400
    assert snapshot() == before


# Settings for after the close


def test_settings_are_saved_and_audited(signed_in):
    assert (stored().messages_after_close, stored().bookings_after_close) == (True, False)
    fields = {"messages_after_close": "no", "bookings_after_close": "yes"}

    response = post(signed_in, SETTINGS_URL, fields)

    assert flash_after(signed_in, response) == "Settings saved."
    assert (stored().messages_after_close, stored().bookings_after_close) == (False, True)
    (event,) = audit("contact_settings")
    assert event.actor == ADMIN_EMAIL
    assert event.detail == "After the close: messages no, bookings yes"
    soup = page(signed_in.get(CALLS_URL))
    assert soup.find("input", id="messages_after_close-2").has_attr("checked")
    assert soup.find("input", id="bookings_after_close-1").has_attr("checked")


def test_settings_unchanged_say_nothing_changed(signed_in):
    before = snapshot()
    fields = {"messages_after_close": "yes", "bookings_after_close": "no"}

    response = post(signed_in, SETTINGS_URL, fields)

    assert flash_after(signed_in, response) == "Nothing changed."
    assert snapshot() == before


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        (
            {"messages_after_close": "yes"},
            "bookings_after_close",
            "Select yes if people can book calls after it closes, or no",
        ),
        (
            {"messages_after_close": "maybe", "bookings_after_close": "no"},
            "messages_after_close",
            "Select one of the options shown",
        ),
    ],
)
def test_settings_bad_input(signed_in, fields, field_id, message):
    before = snapshot()

    response = post(signed_in, SETTINGS_URL, fields)

    assert response.status_code == 422
    soup = page(response)
    assert soup.find(class_="error-summary").find("a", href=f"#{field_id}-1") is not None
    assert message in text_of(soup.find(id=f"{field_id}-error"))
    assert snapshot() == before


# Cancelling a booked call


def test_officer_cancels_a_booked_call(client, auth, consultation, clock, smtp_server):
    (slot,) = publish(consultation, MON_8_FEB_10AM)
    booking = book(client, clock, slot)
    deliver(clock.now)  # the invites of the booking
    smtp_server.clear()
    auth.login()

    confirm = client.get(f"/admin/calls/{booking.id}/cancel")
    assert confirm.status_code == 200
    assert "Ann Example (ann@example.org)" in text_of(page(confirm))
    response = post(client, f"/admin/calls/{booking.id}/cancel", {})

    assert flash_after(client, response) == "Call cancelled. We have emailed Ann Example."
    db.session.refresh(booking)
    assert (booking.status, booking.cancelled_by, booking.cancelled_at) == (
        CANCELLED,
        "officer",
        clock.now,
    )
    assert [s.id for s in services.free_slots(stored(), clock.now)] == [slot.id]
    (event,) = audit("cancel_call")
    assert event.actor == ADMIN_EMAIL
    assert event.detail.startswith("Cancelled the call for CT-")
    assert "Ann Example" not in event.detail
    assert event.detail.endswith("Monday 8 February 2027, 10am to 10:30am UK time")
    assert "free" in text_of(page(client.get(CALLS_URL)).select_one("ul.time-list li"))

    deliver(clock.now)
    (to_respondent,) = smtp_server.to(RESPONDENT)
    (to_officer,) = smtp_server.to(OFFICER)
    assert to_respondent.message["Subject"] == "Your call with Sam Okafor is cancelled"
    assert "Sam Okafor has had to cancel your call" in to_respondent.text
    assert "has been cancelled in the admin area" in to_officer.text
    for received in (to_respondent, to_officer):
        calendar = invite(received)
        assert str(calendar["METHOD"]) == "CANCEL"
        (event_,) = calendar.walk("VEVENT")
        assert str(event_["UID"]) == booking.uid


def test_cancelling_twice_says_already_cancelled(client, auth, consultation, clock):
    (slot,) = publish(consultation, MON_8_FEB_10AM)
    booking = book(client, clock, slot)
    auth.login()
    post(client, f"/admin/calls/{booking.id}/cancel", {})
    client.get(CALLS_URL)  # reads the first flash
    before = snapshot()

    again = post(client, f"/admin/calls/{booking.id}/cancel", {})

    assert flash_after(client, again) == (
        "That call has already been cancelled or has taken place."
    )
    assert snapshot() == before
    assert len(audit("cancel_call")) == 1
    page_again = client.get(f"/admin/calls/{booking.id}/cancel")
    assert page_again.status_code == 303


def test_a_call_that_has_started_cannot_be_cancelled(client, auth, consultation, clock):
    (slot,) = publish(consultation, MON_8_FEB_10AM)
    booking = book(client, clock, slot)
    auth.login()
    clock.set(MON_8_FEB_10AM)
    before = snapshot()

    response = post(client, f"/admin/calls/{booking.id}/cancel", {})

    assert flash_after(client, response) == (
        "That call has already been cancelled or has taken place."
    )
    assert snapshot() == before


def test_cancel_an_unknown_booking_is_404(signed_in):
    assert signed_in.get("/admin/calls/999/cancel").status_code == 404


# A consultation that does not offer contact


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/admin/consultations/{slug}/calls"),
        ("post", "/admin/consultations/{slug}/calls/time"),
        ("post", "/admin/consultations/{slug}/calls/series"),
        ("post", "/admin/consultations/{slug}/calls/settings"),
    ],
)
@pytest.mark.parametrize("slug", ["survey-only", "no-such-consultation"])
def test_calls_pages_404_without_contact(client, auth, make_consultation, method, url, slug):
    make_consultation(slug="survey-only", channels=["survey", "evidence"])
    auth.login()
    before = audit_count()
    url = url.format(slug=slug)

    if method == "get":
        response = client.get(url)
    else:
        fields = {**VALID_SERIES, "messages_after_close": "no", "bookings_after_close": "yes"}
        fields |= {"one-day": "2027-03-01", "one-start": "10:00", "one-minutes": "30"}
        token = csrf_token(client, "/admin/")
        fields |= {"csrf_token": token, "one-csrf_token": token, "series-csrf_token": token}
        response = client.post(url, data=fields)

    assert response.status_code == 404
    assert slots() == []
    assert audit_count() == before
    if slug == "survey-only":
        assert (stored(slug).messages_after_close, stored(slug).bookings_after_close) == (
            True,
            False,
        )


# What respondents typed is shown as text


def test_respondent_text_is_escaped_on_the_calls_and_response_pages(
    client, auth, consultation, clock
):
    script = "<script>alert(1)</script>"
    (slot,) = publish(consultation, MON_8_FEB_10AM)
    fields = {
        **VALID_MESSAGE,
        "name": f"Eve {script}",
        "organisation": '"><b>bold</b>',
        "subject": "A & B",
        "message": f"Hello {script}",
    }
    booking = book(client, clock, slot, fields)
    auth.login()

    calls_page = client.get(CALLS_URL)
    response_page = client.get(f"/admin/responses/{booking.response_id}")

    for shown in (calls_page, response_page):
        assert shown.status_code == 200
        html = shown.get_data(as_text=True)
        assert script not in html
        assert "<b>bold</b>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert page(shown).find("script", string="alert(1)") is None
    assert f"Eve {script}" in text_of(page(calls_page).select_one("table tbody tr"))
    text = text_of(page(response_page))
    assert f"Hello {script}" in text
    assert '"><b>bold</b>' in text
    assert "Monday 8 February 2027, 10am to 10:30am UK time: booked. Cancel this call" in text


def test_response_page_shows_the_message_and_its_calls(client, auth, consultation, clock):
    first, second = publish(consultation, MON_8_FEB_10AM, MON_8_FEB_11AM)
    booking = book(client, clock, first)
    auth.login()
    post(client, f"/admin/calls/{booking.id}/cancel", {})

    soup = page(client.get(f"/admin/responses/{booking.response_id}"))

    text = text_of(soup)
    assert VALID_MESSAGE["subject"] in text
    assert "The 42 no longer runs after 7pm." in text
    assert "Telephone number 020 7946 0123" in text
    calls_list = [text_of(li) for li in soup.find("h2", string="Calls").find_next("ul")("li")]
    assert calls_list == [
        "Monday 8 February 2027, 10am to 10:30am UK time: cancelled by the officer"
    ]
