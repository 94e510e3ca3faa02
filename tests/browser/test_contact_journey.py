"""A respondent sends the policy officer a message and books, moves and cancels a call;
an admin publishes call times and cancels a booked call.

Each test runs with JavaScript on (choose a day, and htmx loads its times into
#call-times) and off (the day picker stays hidden and every day's times are listed, one
fieldset a day), at a phone's 390x844. axe checks every page a journey reaches,
including pages with errors; the calendar invites are read back from a real SMTP server.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from app.extensions import db
from app.mail import outbox
from tests.support.browser import assert_no_sideways_scroll, heading, press, sign_in, visit
from tests.support.contact import VALID_MESSAGE, call_url, choose, invite, publish, send_message

pytestmark = pytest.mark.browser

SLUG = "test-consultation"  # make_consultation's consultation
TITLE = "Community services review"
CONSULTATION = f"/consultations/{SLUG}"
MESSAGE_URL = f"{CONSULTATION}/contact"
CALL_URL = re.compile(rf"{re.escape(MESSAGE_URL)}/call/[A-Za-z0-9_-]+$")
OFFICER = "officer@example.org"
OFFICER_NAME = "Sam Okafor"
RESPONDENT = VALID_MESSAGE["email"]
NAME = VALID_MESSAGE["name"]
REFERENCE = re.compile(r"CT-[23456789ABCDEFGHJKMNPQRSTWXYZ]{6}")

# The message form's questions, as the respondent reads them, and what they type.
LABELS = {
    "name": "Full name",
    "email": "Email address",
    "phone": "Telephone number (optional)",
    "organisation": "Organisation (optional)",
    "subject": "What is your message about?",
    "message": "Your message",
}
WANTS_CALL = "Would you like to book a call?"
YES_CALL = "Yes, I would like to book a call"

# Published times (February is GMT, so UTC is UK time): three days, the first with three.
TUESDAY = "Tuesday 2 February 2027"
WEDNESDAY = "Wednesday 3 February 2027"
THURSDAY = "Thursday 4 February 2027"
DAYS = (TUESDAY, WEDNESDAY, THURSDAY)
STARTS = (
    datetime(2027, 2, 2, 10, 0, tzinfo=UTC),
    datetime(2027, 2, 2, 10, 30, tzinfo=UTC),
    datetime(2027, 2, 2, 14, 0, tzinfo=UTC),
    datetime(2027, 2, 3, 9, 30, tzinfo=UTC),
    datetime(2027, 2, 3, 11, 0, tzinfo=UTC),
    datetime(2027, 2, 4, 15, 0, tzinfo=UTC),
)
TUESDAY_TIMES = ("10am to 10:30am", "10:30am to 11am", "2pm to 2:30pm")


def field(page: Page, key: str) -> Locator:
    """A message form field by its label; exact, as "Your message" is also in another."""
    return page.get_by_label(LABELS[key], exact=True)


def summary_link(page: Page, message: str) -> Locator:
    return page.get_by_role("alert").get_by_role("link", name=message)


def open_message_form(page: Page, check=None) -> None:
    """From the consultation page, through "Get in touch", to the message form."""
    visit(page, CONSULTATION)
    if check:
        check(page)
    page.get_by_role("link", name="Get in touch").click()
    expect(page).to_have_url(re.compile(f"{re.escape(MESSAGE_URL)}$"))
    expect(heading(page)).to_have_text("Contact the policy officer")


def fill_message(page: Page) -> None:
    """Fill in the message form as a person would, asking for a call."""
    for key in LABELS:
        field(page, key).fill(VALID_MESSAGE[key])
    page.get_by_role("group", name=WANTS_CALL).get_by_label(YES_CALL).check()


def send(page: Page, clock) -> None:
    """Send the message after the time a person takes; land on the call page."""
    clock.advance(seconds=10)  # quicker than SUBMIT_MIN_SECONDS looks like a bot
    press(page, "Send message")
    expect(page).to_have_url(CALL_URL)
    expect(heading(page)).to_have_text("Choose a time for your call")


def to_call_page(page: Page, clock) -> None:
    open_message_form(page)
    fill_message(page)
    send(page, clock)


def choose_time(page: Page, javascript: bool, day: str, time: str) -> None:
    """Choose a day and then a time with JavaScript; a time in that day's group without."""
    if javascript:
        page.get_by_role("group", name="Choose a day").get_by_label(day).check()
        times = page.get_by_role("group", name=f"Times on {day}", exact=True)
    else:
        times = page.get_by_role("group", name=day, exact=True)
    expect(times).to_be_visible()
    times.get_by_label(time, exact=True).check()


def call_time(day: str, time: str) -> str:
    """The time in words, as the pages and emails say it."""
    return f"{day}, {time} UK time"


def book(page: Page, javascript: bool, clock, day: str, time: str) -> None:
    choose_time(page, javascript, day, time)
    clock.advance(seconds=10)
    press(page, "Book this call")
    expect(page).to_have_url(re.compile(r"/booked$"))
    expect(heading(page)).to_have_text("Call booked")
    expect(page.get_by_text(call_time(day, time), exact=True)).to_be_visible()


def test_a_respondent_sends_a_message_books_a_call_and_both_invites_arrive(
    app: Flask,
    page,
    javascript,
    clock,
    make_consultation,
    smtp_server,
    assert_accessible,
):
    publish(make_consultation(), *STARTS)

    open_message_form(page, assert_accessible)
    expect(page.get_by_role("group", name=WANTS_CALL)).to_be_visible()
    assert_accessible(page)
    fill_message(page)
    send(page, clock)
    expect(page.get_by_role("status")).to_contain_text("Your message has been sent.")
    reference = page.get_by_role("status").locator("strong").inner_text()
    assert REFERENCE.fullmatch(reference), reference
    expect(page.get_by_text(f"{OFFICER_NAME} will call you on 020 7946 0123.")).to_be_visible()
    all_days = page.locator("#call-times[data-all-days] fieldset")
    expect(all_days).to_have_count(len(DAYS))

    if javascript:
        # The day picker is shown; every day's list is folded away until a day is chosen.
        days = page.get_by_role("group", name="Choose a day")
        expect(days).to_be_visible()
        expect(days.get_by_role("radio")).to_have_count(len(DAYS))
        expect(days.get_by_label(TUESDAY)).to_have_accessible_name(f"{TUESDAY} (3 times free)")
        expect(page.get_by_text("Choose a day to see its free times.")).to_be_visible()
        for index in range(len(DAYS)):
            expect(all_days.nth(index)).to_be_hidden()
        assert_accessible(page)

        days.get_by_label(TUESDAY).check()
        tuesday = page.get_by_role("group", name=f"Times on {TUESDAY}", exact=True)
        expect(tuesday).to_be_visible()
        # Only Tuesday's times are there now: the list of every day has gone.
        expect(page.locator("#call-times fieldset")).to_have_count(1)
        expect(page.locator("[data-all-days]")).to_have_count(0)
        expect(tuesday.get_by_role("radio")).to_have_count(len(TUESDAY_TIMES))
        for time in TUESDAY_TIMES:
            expect(tuesday.get_by_label(time, exact=True)).to_be_visible()
        for other in (WEDNESDAY, THURSDAY):
            expect(page.get_by_text(other, exact=True)).to_have_count(0)
        expect(page.get_by_label("9:30am to 10am", exact=True)).to_have_count(0)
    else:
        # No day picker: every day's times, one fieldset a day.
        expect(page.locator("[data-day-picker]")).to_be_hidden()
        expect(page.get_by_text("Choose a day to see its free times.")).to_be_hidden()
        for day in DAYS:
            expect(page.get_by_role("group", name=day, exact=True)).to_be_visible()
        expect(page.get_by_role("radio", name="9:30am to 10am", exact=True)).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    book(page, javascript, clock, TUESDAY, "10:30am to 11am")
    expect(page.get_by_text(f"{OFFICER_NAME} will call you on 020 7946 0123.")).to_be_visible()
    expect(page.get_by_text(f"Your message reference is {reference}.")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # The outbox worker delivers the alert, the receipt and both invites.
    db.session.rollback()  # see what the live server's requests committed
    assert outbox.deliver_due(clock.now) == (4, 0)
    when = call_time(TUESDAY, "10:30am to 11am")
    respondent_invites = [m for m in smtp_server.to(RESPONDENT) if "booked" in m.message["Subject"]]
    officer_invites = [m for m in smtp_server.to(OFFICER) if "booked" in m.message["Subject"]]
    assert len(smtp_server.to(RESPONDENT)) == 2  # the receipt and the invite
    assert len(smtp_server.to(OFFICER)) == 2  # the alert and the invite
    [to_respondent] = respondent_invites
    [to_officer] = officer_invites
    assert to_respondent.message["Subject"] == f"Your call with {OFFICER_NAME} is booked: {when}"
    assert to_officer.message["Subject"] == f"Call booked with {NAME}: {when}"
    assert reference in to_respondent.text and reference in to_officer.text
    for received in (to_respondent, to_officer):
        [event] = invite(received).walk("VEVENT")
        assert event.decoded("DTSTART") == datetime(2027, 2, 2, 10, 30, tzinfo=UTC)
        assert event.decoded("DTEND") == datetime(2027, 2, 2, 11, 0, tzinfo=UTC)


def test_errors_on_the_message_form_and_the_call_page_keep_what_was_typed(
    page, javascript, clock, make_consultation, assert_accessible
):
    publish(make_consultation(), *STARTS)
    open_message_form(page)

    # Sent empty: every problem is listed (focused with JavaScript) and by each field.
    clock.advance(seconds=10)
    with page.expect_response(re.compile(f"{re.escape(MESSAGE_URL)}$")) as answer:
        press(page, "Send message")
    assert answer.value.status == 422
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page).to_have_title("Error: Contact the policy officer – Have your say")
    if javascript:
        expect(summary).to_be_focused()
    errors = {
        "name": "Enter your full name",
        "email": "Enter your email address",
        "subject": "Enter what your message is about",
        "message": "Enter your message",
    }
    for key, message in errors.items():
        expect(summary_link(page, message)).to_be_visible()
        expect(field(page, key)).to_have_attribute("aria-invalid", "true")
        expect(field(page, key)).to_have_accessible_description(re.compile(f"Error: {message}"))
    expect(summary_link(page, "Select whether you would like to book a call")).to_be_visible()
    expect(page.get_by_role("group", name=WANTS_CALL)).to_contain_text(
        "Error: Select whether you would like to book a call"
    )
    assert_accessible(page)

    # Following a link in the summary goes to its field.
    summary_link(page, "Enter your email address").click()
    expect(page).to_have_url(re.compile("#email$"))

    # A wanted call needs a telephone number; what was typed is kept.
    for key in ("name", "email", "organisation", "subject", "message"):
        field(page, key).fill(VALID_MESSAGE[key])
    page.get_by_role("group", name=WANTS_CALL).get_by_label(YES_CALL).check()
    clock.advance(seconds=10)
    press(page, "Send message")
    expect(summary_link(page, "Enter a telephone number, so that we can call you")).to_be_visible()
    if javascript:
        expect(page.get_by_role("alert")).to_be_focused()
    for key in ("name", "email", "organisation", "subject", "message"):
        expect(field(page, key)).to_have_value(VALID_MESSAGE[key])
    expect(page.get_by_role("group", name=WANTS_CALL).get_by_label(YES_CALL)).to_be_checked()
    assert_accessible(page)

    field(page, "phone").fill(VALID_MESSAGE["phone"])
    send(page, clock)

    # No time chosen.
    clock.advance(seconds=10)
    press(page, "Book this call")
    expect(page).to_have_url(CALL_URL)
    expect(page).to_have_title("Error: Choose a time for your call – Have your say")
    expect(summary_link(page, "Select a time for your call")).to_be_visible()
    expect(page.locator("#slot-error")).to_have_text("Error: Select a time for your call")
    if javascript:
        expect(page.get_by_role("alert")).to_be_focused()
        # Still a day to choose first; then its times carry on working.
        expect(page.get_by_role("group", name="Choose a day")).to_be_visible()
    else:
        for day in DAYS:
            expect(page.get_by_role("group", name=day, exact=True)).to_be_visible()
    assert_accessible(page)

    summary_link(page, "Select a time for your call").click()
    expect(page).to_have_url(re.compile("#slot$"))
    book(page, javascript, clock, WEDNESDAY, "11am to 11:30am")
    assert_accessible(page)


def test_the_summary_link_for_a_missing_time_leads_to_a_control_on_screen(
    page, clock, make_consultation
):
    """With JavaScript the list of every day's times is folded away, but not after an
    error: the summary's link must lead to a time on screen."""
    publish(make_consultation(), *STARTS)
    to_call_page(page, clock)
    clock.advance(seconds=10)
    press(page, "Book this call")
    link = summary_link(page, "Select a time for your call")
    expect(link).to_be_visible()
    target = link.get_attribute("href")
    assert target and target.startswith("#"), target
    link.click()
    expect(page).to_have_url(re.compile(f"{re.escape(target)}$"))
    expect(page.locator(target)).to_be_visible()


def test_a_time_taken_meanwhile_is_refused_and_another_can_be_booked(
    page, client, javascript, clock, make_consultation, assert_accessible
):
    slots = publish(make_consultation(), *STARTS)
    to_call_page(page, clock)
    if javascript:
        page.get_by_role("group", name="Choose a day").get_by_label(TUESDAY).check()
        expect(page.get_by_role("group", name=f"Times on {TUESDAY}")).to_be_visible()

    # While the page is open, someone else books Tuesday at 10am.
    other = {**VALID_MESSAGE, "name": "Bo Other", "email": "bo@example.org"}
    taken = choose(client, call_url(send_message(client, clock, other)), slots[0])
    assert taken.status_code == 303, taken.get_data(as_text=True)[:500]

    choose_time(page, javascript, TUESDAY, "10am to 10:30am")
    clock.advance(seconds=10)
    press(page, "Book this call")
    expect(page).to_have_url(CALL_URL)
    problem = "That time has just been taken. Choose another time."
    expect(summary_link(page, problem)).to_be_visible()
    expect(page.locator("#slot-error")).to_have_text(f"Error: {problem}")
    if javascript:
        expect(page.get_by_role("alert")).to_be_focused()
    # The taken time is no longer offered; the others are.
    expect(page.get_by_role("radio", name="10am to 10:30am", exact=True)).to_have_count(0)
    assert_accessible(page)

    book(page, javascript, clock, TUESDAY, "2pm to 2:30pm")
    assert_accessible(page)


def deliver_now(clock) -> tuple[int, int]:
    """One round of the outbox worker, seeing what the live server has committed."""
    db.session.rollback()
    return outbox.deliver_due(clock.now)


def test_a_respondent_moves_the_call_then_cancels_it(
    app: Flask, page, javascript, clock, make_consultation, smtp_server, assert_accessible
):
    publish(make_consultation(), *STARTS)
    to_call_page(page, clock)
    book(page, javascript, clock, TUESDAY, "10am to 10:30am")
    # The worker sends what is due every few seconds; an email about a state the call
    # has already left when the worker comes round is withdrawn, so deliver as it would.
    sent = [deliver_now(clock)]

    page.get_by_role("link", name="Change the time").click()
    expect(page).to_have_url(re.compile(r"/change$"))
    expect(heading(page)).to_have_text("Change the time of your call")
    expect(
        page.get_by_text(f"Your call is booked for {call_time(TUESDAY, '10am to 10:30am')}.")
    ).to_be_visible()
    assert_accessible(page)
    choose_time(page, javascript, THURSDAY, "3pm to 3:30pm")
    clock.advance(seconds=10)
    press(page, "Change to this time")
    expect(page).to_have_url(re.compile(r"/booked\?moved=1$"))
    expect(heading(page)).to_have_text("Call moved")
    expect(page.get_by_text(call_time(THURSDAY, "3pm to 3:30pm"), exact=True)).to_be_visible()
    assert_accessible(page)
    sent.append(deliver_now(clock))

    page.get_by_role("link", name="Cancel the call").click()
    expect(page).to_have_url(re.compile(r"/cancel$"))
    expect(heading(page)).to_have_text("Cancel your call")
    expect(page.get_by_text(call_time(THURSDAY, "3pm to 3:30pm"))).to_be_visible()
    assert_accessible(page)
    press(page, "Cancel the call")

    expect(page).to_have_url(re.compile(r"/call/[A-Za-z0-9_-]+\?cancelled=1$"))
    expect(page.get_by_role("status")).to_contain_text("Your call has been cancelled.")
    expect(heading(page)).to_have_text("Book another time")
    # The freed time is offered again, with the others.
    if javascript:
        expect(
            page.get_by_role("group", name="Choose a day").get_by_label(THURSDAY)
        ).to_be_visible()
    else:
        thursday = page.get_by_role("group", name=THURSDAY, exact=True)
        expect(thursday.get_by_label("3pm to 3:30pm", exact=True)).to_be_visible()
    assert_accessible(page)
    sent.append(deliver_now(clock))
    book(page, javascript, clock, WEDNESDAY, "9:30am to 10am")
    sent.append(deliver_now(clock))

    # Each change reached both: booked (after the alert and receipt), moved, cancelled, booked.
    assert sent == [(4, 0), (2, 0), (2, 0), (2, 0)]
    subjects = [m.message["Subject"] for m in smtp_server.to(RESPONDENT)]
    assert subjects[1:] == [
        f"Your call with {OFFICER_NAME} is booked: {call_time(TUESDAY, '10am to 10:30am')}",
        f"Your call with {OFFICER_NAME} has moved to {call_time(THURSDAY, '3pm to 3:30pm')}",
        f"Your call with {OFFICER_NAME} is cancelled",
        f"Your call with {OFFICER_NAME} is booked: {call_time(WEDNESDAY, '9:30am to 10am')}",
    ]
    cancellation = invite(smtp_server.to(RESPONDENT)[-2])
    assert str(cancellation["METHOD"]) == "CANCEL"


def test_an_admin_publishes_times_in_bulk_and_cancels_a_booked_call(
    app: Flask,
    page,
    client,
    clock,
    make_consultation,
    admin_user,
    smtp_server,
    assert_accessible,
):
    consultation = make_consultation()
    slots = publish(consultation, datetime(2027, 2, 5, 10, 0, tzinfo=UTC))
    booked = choose(client, call_url(send_message(client, clock)), slots[0])
    assert booked.status_code == 303, booked.get_data(as_text=True)[:500]
    assert deliver_now(clock) == (4, 0)  # the alert, the receipt and both invites

    sign_in(page, assert_accessible)
    page.get_by_role("link", name=f"Calls for {TITLE}").click()
    expect(page).to_have_url(re.compile(rf"/admin/consultations/{SLUG}/calls$"))
    expect(heading(page)).to_have_text("Calls")
    booked_calls = page.get_by_role("table", name="Booked calls, soonest first")
    expect(booked_calls.get_by_role("row")).to_have_count(2)  # the header and the call
    expect(booked_calls).to_contain_text("Friday 5 February 2027, 10am to 10:30am UK time")
    expect(booked_calls).to_contain_text(f"{NAME}, Riverside Tenants")
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # Publish Monday to Wednesday next week, 10am to 11:30am, 30 minutes each.
    page.get_by_label("First date", exact=True).fill("2027-02-08")
    page.get_by_label("Last date", exact=True).fill("2027-02-10")
    weekdays = page.get_by_role("group", name="Days of the week")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        expect(weekdays.get_by_label(day)).to_be_checked()  # weekdays by default
    page.get_by_label("From", exact=True).fill("10:00")
    page.get_by_label("Until", exact=True).fill("11:30")
    expect(page.get_by_label("Length of each call in minutes")).to_have_value("30")
    press(page, "Publish times")

    expect(page).to_have_url(re.compile(rf"/admin/consultations/{SLUG}/calls$"))
    expect(page.get_by_text("Published 9 times.")).to_be_visible()
    for day in ("Monday 8 February 2027", "Tuesday 9 February 2027", "Wednesday 10 February 2027"):
        times = page.get_by_role("heading", name=day, level=3).locator(
            "xpath=following-sibling::ul[1]"
        )
        expect(times.get_by_role("listitem")).to_have_count(3)
        for time in ("10am to 10:30am", "10:30am to 11am", "11am to 11:30am"):
            expect(times.get_by_role("listitem").filter(has_text=f"{time}: free")).to_have_count(1)
    expect(page.get_by_role("listitem").filter(has_text=f"booked by {NAME}")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # Cancel the booked call, after being asked to be sure.
    booked_calls.get_by_role("link", name=f"Cancel the call with {NAME}").click()
    expect(heading(page)).to_have_text("Cancel this call")
    expect(page.get_by_text(f"{NAME} ({RESPONDENT})")).to_be_visible()
    assert_accessible(page)
    press(page, "Cancel the call")

    expect(page).to_have_url(re.compile(rf"/admin/consultations/{SLUG}/calls$"))
    expect(page.get_by_text(f"Call cancelled. We have emailed {NAME}.")).to_be_visible()
    expect(page.get_by_text("No calls are booked.")).to_be_visible()
    expect(page.get_by_role("table", name="Booked calls, soonest first")).to_have_count(0)
    friday = page.get_by_role("heading", name="Friday 5 February 2027", level=3)
    expect(friday.locator("xpath=following-sibling::ul[1]")).to_contain_text(
        "10am to 10:30am: free"
    )
    assert_accessible(page)

    # The respondent is told, and so is the officer.
    assert deliver_now(clock) == (2, 0)
    [*_, to_respondent] = smtp_server.to(RESPONDENT)
    assert to_respondent.message["Subject"] == f"Your call with {OFFICER_NAME} is cancelled"
    assert f"{OFFICER_NAME} has had to cancel your call" in to_respondent.text
