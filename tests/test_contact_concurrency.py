"""Calls booked, moved and cancelled by several people at the same moment.

Each person is their own test client (own cookies, own address for the rate limits),
used only in its own thread; a barrier lets all their requests go at once. The database
is a real SQLite file (WAL, 5 s busy timeout), as in production.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.calls import rules as calls
from app.extensions import db
from app.mail import notifications
from app.models import AuditEvent, Booking, OutboxEmail, Response
from tests.support.clients import CheckedClient
from tests.support.concurrency import at_once
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
from tests.support.factories import AuthActions, csrf_token

TAKEN = "That time has just been taken. Choose another time."
PEOPLE = 12

# The test clock starts on Monday 1 February 2027 at midday (GMT).
MON_10 = datetime(2027, 2, 8, 10, 0, tzinfo=UTC)
MON_11 = datetime(2027, 2, 8, 11, 0, tzinfo=UTC)
TUE_14 = datetime(2027, 2, 9, 14, 0, tzinfo=UTC)
THU_9 = datetime(2027, 2, 11, 9, 0, tzinfo=UTC)


def browser(app: Flask, number: int) -> FlaskClient:
    """Another person's browser: no cookies, and an address of its own."""
    app.test_client_class = CheckedClient
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number + 1}"
    return client


def person(number: int) -> dict[str, str]:
    return {**VALID_MESSAGE, "name": f"Person {number}", "email": f"person{number}@example.org"}


def posting(client: FlaskClient, url: str, data: dict) -> Callable[[], object]:
    return lambda: client.post(url, data=data)


def outbox_rows(kind: str) -> list[OutboxEmail]:
    db.session.rollback()
    return list(
        db.session.scalars(select(OutboxEmail).filter_by(kind=kind).order_by(OutboxEmail.id))
    )


def held(slot) -> list[Booking]:
    """The booked bookings that hold this slot."""
    return [b for b in bookings() if b.slot_id == slot.id and b.status == "booked"]


def radio_values(soup: BeautifulSoup) -> set[str]:
    return {field["value"] for field in soup.select("input[type=radio][name=slot]")}


@pytest.fixture
def consultation(make_consultation):
    return make_consultation()


def test_many_people_booking_one_time_at_once_get_one_booking(app, clock, consultation):
    wanted, *others = publish(consultation, MON_10, MON_11, TUE_14, THU_9)
    people = [browser(app, number) for number in range(PEOPLE)]
    urls, forms = [], []
    for number, client in enumerate(people):
        url = call_url(send_message(client, clock, person(number)))
        urls.append(url)
        forms.append({**form_fields(client, url), "slot": str(wanted.id)})

    answers = at_once(
        [posting(c, u, f) for c, u, f in zip(people, urls, forms, strict=True)],
        context=app.app_context,
    )

    statuses = [answer.status_code for answer in answers]
    assert sorted(statuses) == [303] + [422] * (PEOPLE - 1), statuses
    winner = statuses.index(303)
    assert answers[winner].headers["Location"].endswith(urls[winner] + "/booked")
    for number, answer in enumerate(answers):
        if number == winner:
            continue
        soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
        assert soup.select_one("#slot-error").get_text(" ", strip=True) == f"Error: {TAKEN}"
        assert TAKEN in soup.select_one(".error-summary").get_text(" ", strip=True)
        # The form is kept, offering every other free time under its day, not the taken one.
        assert radio_values(soup) == {str(slot.id) for slot in others}
        text = soup.get_text(" ", strip=True)
        for day in (
            "Monday 8 February 2027",
            "Tuesday 9 February 2027",
            "Thursday 11 February 2027",
        ):
            assert day in text
        kept = soup.select_one("form[method=post] input[name=loaded]")
        assert kept["value"] == forms[number]["loaded"]
        assert soup.select_one("form[method=post] button").get_text(strip=True) == (
            "Book this call"
        )

    assert len(bookings()) == 1
    (booking,) = held(wanted)
    winners_message = db.session.get(Response, booking.response_id)
    assert winners_message.email == f"person{winner}@example.org"
    emails = outbox_rows("call_booked")
    assert len(emails) == 2
    assert all(booking.uid in email.event_key for email in emails)
    assert sorted(email.to_addr for email in emails) == [
        f"Person {winner} <person{winner}@example.org>",
        "Sam Okafor <officer@example.org>",
    ]

    # Someone told the time was taken can go on to book another.
    loser = (winner + 1) % PEOPLE
    answer = choose(people[loser], urls[loser], others[0])
    assert answer.status_code == 303
    assert len(held(others[0])) == 1
    assert len(outbox_rows("call_booked")) == 4


def test_one_person_booking_two_times_at_once_from_two_tabs_gets_one_call(app, clock, consultation):
    first, second = publish(consultation, MON_10, TUE_14)
    url = call_url(send_message(browser(app, 0), clock))
    tabs = [browser(app, 1), browser(app, 2)]
    forms = [
        {**form_fields(tab, url), "slot": str(slot.id)}
        for tab, slot in zip(tabs, (first, second), strict=True)
    ]

    answers = at_once(
        [posting(t, url, f) for t, f in zip(tabs, forms, strict=True)], context=app.app_context
    )

    assert [answer.status_code for answer in answers] == [303, 303]
    assert {answer.headers["Location"] for answer in answers} == {url + "/booked"}
    assert [b.status for b in bookings()] == ["booked"]
    assert len(outbox_rows("call_booked")) == 2


@pytest.mark.parametrize("movers", [2, 6])
def test_people_moving_their_calls_to_the_same_free_time_at_once_one_wins(
    app, clock, consultation, movers
):
    starts = [datetime(2027, 2, 8 + number, 10, 0, tzinfo=UTC) for number in range(movers)]
    *booked_slots, wanted = publish(consultation, *starts, THU_9)
    people = [browser(app, number) for number in range(movers)]
    urls, forms = [], []
    for number, (client, slot) in enumerate(zip(people, booked_slots, strict=True)):
        url = call_url(send_message(client, clock, person(number)))
        assert choose(client, url, slot).status_code == 303
        urls.append(url)
        forms.append({**form_fields(client, url + "/change"), "slot": str(wanted.id)})
    original = {b.id: (b.slot_id, b.sequence) for b in bookings()}

    answers = at_once(
        [posting(c, u + "/change", f) for c, u, f in zip(people, urls, forms, strict=True)],
        context=app.app_context,
    )

    statuses = [answer.status_code for answer in answers]
    assert sorted(statuses) == [303] + [422] * (movers - 1), statuses
    winner = statuses.index(303)
    assert answers[winner].headers["Location"].endswith(urls[winner] + "/booked?moved=1")
    for number, answer in enumerate(answers):
        if number != winner:
            soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
            assert soup.select_one("#slot-error").get_text(" ", strip=True) == f"Error: {TAKEN}"
            assert str(wanted.id) not in radio_values(soup)

    (moved,) = held(wanted)
    assert db.session.get(Response, moved.response_id).email == f"person{winner}@example.org"
    assert moved.sequence == 1
    for booking in bookings():
        assert booking.status == "booked"
        if booking.id != moved.id:
            assert (booking.slot_id, booking.sequence) == original[booking.id]
    assert len(held(booked_slots[winner])) == 0
    emails = outbox_rows("call_moved")
    assert len(emails) == 2
    assert all(moved.uid in email.event_key for email in emails)


def test_the_respondent_and_the_officer_cancelling_at_once_cancel_once(
    app, clock, consultation, admin_user, smtp_server
):
    (slot,) = publish(consultation, MON_10)
    respondent = browser(app, 0)
    url = call_url(send_message(respondent, clock))
    assert choose(respondent, url, slot).status_code == 303
    assert deliver(clock.now)[1] == 0
    smtp_server.clear()
    officer = browser(app, 1)
    AuthActions(officer).login()
    (booking,) = bookings()
    admin_path = f"/admin/calls/{booking.id}/cancel"
    respondents_form = form_fields(respondent, url + "/cancel")
    officers_form = {"csrf_token": csrf_token(officer, admin_path)}

    answers = at_once(
        [
            posting(respondent, url + "/cancel", respondents_form),
            posting(officer, admin_path, officers_form),
        ],
        context=app.app_context,
    )

    (booking,) = bookings()
    assert booking.status == "cancelled"
    assert booking.cancelled_by in ("respondent", "officer")
    respondents_answer, officers_answer = answers
    assert officers_answer.status_code == 303
    if respondents_answer.status_code == 410:  # the officer's cancel came first
        assert booking.cancelled_by == "officer"
        page = respondents_answer.get_data(as_text=True)
        assert "This call has been cancelled" in page
        assert "was cancelled by Sam Okafor" in page
    else:
        assert respondents_answer.status_code == 303
    assert booking.sequence == 1
    assert len(outbox_rows("call_cancelled")) == 2
    audited = db.session.scalar(
        select(func.count()).select_from(AuditEvent).filter_by(action="cancel_call")
    )
    assert audited == (1 if booking.cancelled_by == "officer" else 0)

    assert deliver(clock.now) == (2, 0)
    assert sorted(r for m in smtp_server.received for r in m.rcpt_tos) == [
        "ann@example.org",
        "officer@example.org",
    ]
    for received in smtp_server.received:
        calendar = invite(received)
        assert calendar["METHOD"] == "CANCEL"
        assert str(calendar.walk("VEVENT")[0]["UID"]) == booking.uid


@pytest.mark.parametrize("change", ["cancel", "move"])
def test_a_call_changed_while_the_worker_queues_its_reminder_gets_no_stale_reminder(
    app, clock, consultation, smtp_server, monkeypatch, change
):
    """The respondent cancels (or moves) the call while the outbox worker is between
    reading the calls due a reminder and queueing their reminders."""
    first, later = publish(consultation, MON_10, THU_9)
    respondent = browser(app, 0)
    url = call_url(send_message(respondent, clock))
    assert choose(respondent, url, first).status_code == 303
    assert deliver(clock.now)[1] == 0
    smtp_server.clear()
    clock.set(MON_10 - timedelta(hours=24))
    path = url + ("/cancel" if change == "cancel" else "/change")
    form = form_fields(respondent, path)
    if change == "move":
        form["slot"] = str(later.id)

    answers: list = []
    acting: list[threading.Thread] = []
    reminder_due = calls.reminder_due

    def act() -> None:
        with app.app_context():
            answers.append(respondent.post(path, data=form))

    def respondent_acts_meanwhile(*args):
        if not acting:  # the worker has read the calls due a reminder
            acting.append(threading.Thread(target=act))
            acting[0].start()
            # Give the change every chance to land before the worker queues the reminder:
            # a worker that holds the lock makes it wait (its busy timeout is 5 s), one
            # that does not lets it commit here, in the gap.
            acting[0].join(timeout=1)
        return reminder_due(*args)

    monkeypatch.setattr(calls, "reminder_due", respondent_acts_meanwhile)
    notifications.queue_scheduled(clock.now)
    monkeypatch.undo()
    acting[0].join(timeout=30)
    assert [answer.status_code for answer in answers] == [303]
    (booking,) = bookings()
    assert (booking.status, booking.sequence) == (
        ("cancelled", 1) if change == "cancel" else ("booked", 1)
    )

    deliver(clock.now)
    subjects = [str(received.message["Subject"]) for received in smtp_server.received]
    assert not [subject for subject in subjects if subject.startswith("Reminder")], subjects
    assert len(subjects) == 2  # the cancellation, or the moved invites
