"""A respondent follows the private link in their receipt to see, change or withdraw what
they sent, and gets a new link when the old one is lost.

Each journey is taken for each way of responding that it applies to (a survey, written
evidence with a document, a message), with JavaScript on and off, at a phone's 390x844.
Every email is read back from a real SMTP server and its links followed in Chromium.
Every page and state the respondent meets is checked with axe, at 390 and at 320 pixels
wide. With BROWSER_SCREENSHOTS set to a folder, each of those pages is also saved there
as a PNG, to be looked at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Locator, Page, expect

from app.extensions import db
from app.mail import outbox
from tests.browser.test_contact_journey import field
from tests.browser.test_evidence_journey import EVIDENCE as EVIDENCE_TEXT
from tests.browser.test_evidence_journey import fill_in
from tests.support import sample_files as sf
from tests.support.browser import (
    assert_fits_narrowest_screen,
    assert_no_sideways_scroll,
    heading,
    mark_document,
    press,
    visit,
)
from tests.support.contact import VALID_MESSAGE
from tests.support.factories import SLUG, TITLE
from tests.support.smtp_server import Received

pytestmark = pytest.mark.browser

CONSULTATION = f"/consultations/{SLUG}"
OFFICER = "officer@example.org"
NAME = "Amara Okoye"
RESPONDENT = "amara@example.org"  # who sends the survey, and the evidence (fill_in)
LINK = re.compile(r"/your-response/[A-Za-z0-9_-]+$")
RECEIPT_LINK = "View, change or withdraw your response"
CHANGED = "Your changes have been sent. We have emailed you a receipt."
NOT_WORKING = "This link does not work"

# The survey (tests/support/factories.py SURVEY_PAGES), as the respondent reads it.
ROLE = "Which best describes you?"
DELIVERS = "Do you deliver public service contracts today?"
CONFIDENCE = "How far do you agree that services are bought well?"
STORY_PROMPT = "Tell us about your experience"
FOLLOW_UP_EMAIL = "Email for follow-up questions"
STORY = "Nobody asked the people who use the day centre."

FIRST_DOCUMENT = "Our findings 2026.pdf"
SECOND_DOCUMENT = "Our reply to the council.docx"
NEW_EVIDENCE = "Since we wrote, the council has split the youth contract into four lots."
NEW_MESSAGE = "The 42 runs again after 7pm, but only on weekdays."
NEW_STORY = "The day centre's users now sit on the panel that buys its services."
NEW_ORGANISATION = "Riverside Community Trust (North)"
TEXT_FIELD = {"evidence": "Your evidence", "message": "Your message"}  # their main text
TEXT_ROW = {"evidence": "Evidence", "message": "Your message"}  # and its row on their page
NEW_TEXT = {"evidence": NEW_EVIDENCE, "message": NEW_MESSAGE}


# Looking at pages.


@pytest.fixture
def look(assert_accessible, javascript) -> Callable[[Page, str], None]:
    """Check the page as it is now: axe, and no sideways scroll at 390 or 320 pixels.

    With BROWSER_SCREENSHOTS set, also save it there as <name>-<js|nojs>.png.
    """
    folder = os.environ.get("BROWSER_SCREENSHOTS")

    def check(page: Page, name: str) -> None:
        assert_accessible(page)
        assert_no_sideways_scroll(page)
        assert_fits_narrowest_screen(page)
        if folder:
            shot = Path(folder) / f"{name}-{'js' if javascript else 'nojs'}.png"
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=shot, full_page=True)

    return check


def row(page: Page, label: str) -> Locator:
    """The answer in the summary lists' row whose label is `label`."""
    return (
        page.locator(".summary-list > div")
        .filter(has=page.locator("dt", has_text=re.compile(rf"^{re.escape(label)}$")))
        .locator("dd.answer")
    )


def flash(page: Page) -> Locator:
    return page.locator("#flashes").get_by_role("status")


def summary_link(page: Page, message: str) -> Locator:
    return page.get_by_role("alert").get_by_role("link", name=message)


def send_after_a_pause(page: Page, clock, button: str) -> None:
    """Press the send button after the time a person takes over a form."""
    clock.advance(seconds=10)  # quicker than SUBMIT_MIN_SECONDS looks like a bot
    press(page, button)


# Emails.


def deliver(clock) -> None:
    """One round of the outbox worker, seeing what the live server's requests committed."""
    db.session.rollback()
    _sent, failed = outbox.deliver_due(clock.now)
    assert failed == 0, "an email could not be delivered"


def newest_to(smtp_server, address: str, subject: str) -> Received:
    """The newest email to `address`, which must have this subject."""
    received = smtp_server.to(address)
    assert received, f"nothing was sent to {address}"
    # A long subject is folded onto the header's next line, which leaves a space on it.
    assert received[-1].message["Subject"].strip() == subject
    return received[-1]


def text_of(email: Received) -> str:
    return email.text.replace("\r\n", "\n")


def link_in(email: Received, words: str = RECEIPT_LINK) -> str:
    """The path of the one link in the email's HTML whose words are `words`; the same
    address is written out in the text part, for mail clients that show no HTML."""
    soup = BeautifulSoup(email.html, "html.parser")
    [url] = [a["href"] for a in soup.find_all("a") if a.get_text(" ", strip=True) == words]
    assert url in email.text, url
    path = urlsplit(url).path
    assert LINK.fullmatch(path), path
    return path


def assert_changes_listed(email: Received, changes: list[tuple[str, str, str]]) -> None:
    """The email lists each (label, before, now) under "What ... changed"."""
    text = text_of(email)
    for label, before, after in changes:
        assert f"{label}\nBefore: {before}\nNow: {after}\n" in text, (label, text)


# The three ways of responding, through the public pages.


def sent(page: Page, clock, button: str, title: str) -> str:
    """Send the form; the reference on the confirmation page."""
    send_after_a_pause(page, clock, button)
    expect(heading(page)).to_have_text(title)
    return page.locator(".reference").inner_text().strip()


def choice(page: Page, question: str, answer: str) -> Locator:
    """A radio button or checkbox, inside the fieldset its question names."""
    return page.get_by_role("group", name=question).get_by_label(answer, exact=True)


def answer_survey(page: Page, clock, tmp_path: Path, javascript: bool) -> str:
    """A resident's route through the survey: page 1, page 4 and their details."""
    visit(page, f"{CONSULTATION}/survey")
    press(page, "Start now")
    choice(page, ROLE, "Resident").check()
    page.get_by_label("What is your postcode?").fill("LS6 2AB")
    press(page, "Continue")
    expect(heading(page)).to_have_text("Your views")
    choice(page, CONFIDENCE, "3").check()
    page.get_by_label(STORY_PROMPT).fill(STORY)
    press(page, "Continue")
    expect(heading(page)).to_have_text("About you and your response")
    page.get_by_label("As an individual").check()
    page.get_by_label("Your name").fill(NAME)
    page.get_by_label("Email address (optional)").fill(RESPONDENT)
    page.get_by_label("Yes, anonymously").check()
    page.get_by_label("I agree to you keeping my response").check()
    press(page, "Continue")
    expect(heading(page)).to_have_text("Check your answers before sending them")
    return sent(page, clock, "Send response", "Response sent")


def document(tmp_path: Path, name: str) -> Path:
    """A document on the respondent's phone, ready to attach."""
    path = tmp_path / name
    path.write_bytes(sf.pdf(name) if name.endswith(".pdf") else sf.docx(name))
    return path


def send_evidence(page: Page, clock, tmp_path: Path, javascript: bool) -> str:
    """Written evidence with a PDF, filled in as the evidence journey fills it in."""
    visit(page, f"{CONSULTATION}/evidence")
    fill_in(page, document(tmp_path, FIRST_DOCUMENT), javascript)
    return sent(page, clock, "Send evidence", "Evidence sent")


def send_message(page: Page, clock, tmp_path: Path, javascript: bool) -> str:
    """A message to the officer (no call times are published, so no call is offered)."""
    visit(page, f"{CONSULTATION}/contact")
    for key in ("name", "email", "organisation", "subject", "message"):
        field(page, key).fill(VALID_MESSAGE[key])
    return sent(page, clock, "Send message", "Message sent")


@dataclass(frozen=True)
class Way:
    """One way of responding, and how its pages and emails speak of it."""

    name: str
    respond: Callable[[Page, object, Path, bool], str]  # through the public pages
    email: str  # the respondent's address
    kind: str  # "Survey response", as the emails name it
    shows: tuple[tuple[str, str], ...]  # rows its page lists, as sent
    changes_after_close: bool = False  # a message can be changed after the close


SURVEY = Way(
    "survey",
    answer_survey,
    RESPONDENT,
    "Survey response",
    (
        (ROLE, "Resident"),
        (STORY_PROMPT, STORY),
        ("May we publish your response?", "Yes, anonymously"),
    ),
)
EVIDENCE = Way(
    "evidence",
    send_evidence,
    RESPONDENT,
    "Written evidence",
    (("Themes", "Trends; Failures"), ("Evidence", EVIDENCE_TEXT), ("Documents", FIRST_DOCUMENT)),
)
MESSAGE = Way(
    "message",
    send_message,
    VALID_MESSAGE["email"],
    "Message",
    (
        ("What is your message about?", VALID_MESSAGE["subject"]),
        ("Your message", VALID_MESSAGE["message"]),
    ),
    changes_after_close=True,  # messages are welcome after the close, unless it says not
)
ALL_WAYS = [pytest.param(way, id=way.name) for way in (SURVEY, EVIDENCE, MESSAGE)]
PUBLISHABLE = [pytest.param(way, id=way.name) for way in (SURVEY, EVIDENCE)]


# The respondent's own pages.


def assert_response_page(page: Page, way: Way, reference: str) -> None:
    """The page the respondent's link opens, for this response."""
    expect(page).to_have_url(LINK)
    expect(heading(page)).to_have_text(f"Your {way.kind.lower()}")
    expect(page.locator(".reference")).to_have_text(reference)


def respond_and_open_the_receipt_link(
    page: Page, clock, smtp_server, way: Way, tmp_path: Path, javascript: bool, look
) -> tuple[str, str]:
    """Respond, read the receipt from the mail server, and open its link: the response's
    page shows the reference and what was sent. The reference and the link's path."""
    reference = way.respond(page, clock, tmp_path, javascript)
    deliver(clock)
    receipt = newest_to(
        smtp_server, way.email, f"We have your {way.kind.lower()}: reference {reference}"
    )
    link = link_in(receipt)
    visit(page, link)
    assert_response_page(page, way, reference)
    for label, value in way.shows:
        expect(row(page, label)).to_have_text(value)
    expect(page.get_by_role("link", name="Change your response")).to_be_visible()
    look(page, f"{way.name}-response")
    return reference, link


def assert_change_emails(
    smtp_server, clock, way: Way, reference: str, changes: list[tuple[str, str, str]]
) -> None:
    """The respondent's receipt lists what changed, with the link again; the officer's
    one alert says it was changed, not that a new response came."""
    deliver(clock)
    receipt = newest_to(
        smtp_server, way.email, f"You changed your {way.kind.lower()}: reference {reference}"
    )
    assert_changes_listed(receipt, changes)
    assert LINK.fullmatch(link_in(receipt))
    alerts = smtp_server.to(OFFICER)
    assert len(alerts) == 2, [a.message["Subject"] for a in alerts]  # when sent, when changed
    alert = alerts[-1]
    assert alert.message["Subject"].strip() == (
        f"{way.kind} {reference} changed by the respondent: {TITLE}"
    )
    assert "This is not a new response" in text_of(alert)
    assert_changes_listed(alert, changes)


# Changing what was sent.


def test_a_survey_response_is_changed_from_the_receipt_and_takes_a_new_route(
    page, javascript, clock, make_survey, smtp_server, look, tmp_path
):
    make_survey()
    reference, link = respond_and_open_the_receipt_link(
        page, clock, smtp_server, SURVEY, tmp_path, javascript, look
    )

    page.get_by_role("link", name="Change your response").click()
    expect(heading(page)).to_have_text("Check your changes before sending them")
    expect(page.locator("dt", has_text=DELIVERS)).to_have_count(0)  # not on a resident's route
    look(page, "survey-check-changes")
    mark_document(page, javascript)

    # A community organisation is asked page 2's questions too.
    page.get_by_role("link", name=f"Change your answer to: {ROLE}").click()
    expect(heading(page)).to_have_text("About you")
    expect(choice(page, ROLE, "Resident")).to_be_checked()
    look(page, "survey-change-page")
    choice(page, ROLE, "Community organisation").check()
    press(page, "Continue")
    expect(heading(page)).to_have_text("Running services")
    choice(page, DELIVERS, "No").check()
    press(page, "Continue")
    expect(heading(page)).to_have_text("Check your changes before sending them")
    expect(row(page, ROLE)).to_have_text("Community organisation")
    expect(row(page, DELIVERS)).to_have_text("No")

    # A mistyped answer is refused by its field, as when the survey was first answered.
    page.get_by_role("link", name=f"Change your answer to: {FOLLOW_UP_EMAIL}").click()
    expect(page.get_by_label(STORY_PROMPT)).to_have_value(STORY)
    page.get_by_label(FOLLOW_UP_EMAIL).fill("amara at example")
    press(page, "Continue")
    expect(summary_link(page, re.compile("^Enter an email address"))).to_be_visible()
    expect(page.get_by_label(FOLLOW_UP_EMAIL)).to_have_value("amara at example")
    look(page, "survey-change-error")
    page.get_by_label(FOLLOW_UP_EMAIL).fill("")
    press(page, "Continue")
    expect(heading(page)).to_have_text("Check your changes before sending them")
    if javascript:  # each step was swapped in by htmx
        assert page.evaluate("window.sameDocument") is True

    send_after_a_pause(page, clock, "Send your changes")
    assert_response_page(page, SURVEY, reference)
    expect(page).to_have_url(re.compile(re.escape(link) + "$"))
    expect(flash(page)).to_have_text(CHANGED)
    expect(row(page, ROLE)).to_have_text("Community organisation")
    expect(row(page, DELIVERS)).to_have_text("No")
    expect(row(page, STORY_PROMPT)).to_have_text(STORY)
    look(page, "survey-changed")

    assert_change_emails(
        smtp_server,
        clock,
        SURVEY,
        reference,
        [(ROLE, "Resident", "Community organisation"), (DELIVERS, "Not given", "No")],
    )


def test_written_evidence_is_changed_from_the_receipt_with_a_document_swapped(
    page, javascript, clock, make_survey, smtp_server, look, tmp_path
):
    make_survey()
    reference, link = respond_and_open_the_receipt_link(
        page, clock, smtp_server, EVIDENCE, tmp_path, javascript, look
    )

    page.get_by_role("link", name="Change your response").click()
    expect(heading(page)).to_have_text("Change your written evidence")
    expect(page.get_by_label("Your evidence")).to_have_value(EVIDENCE_TEXT)
    expect(page.get_by_label(f"Remove {FIRST_DOCUMENT}")).not_to_be_checked()
    look(page, "evidence-change")

    # Sent with no evidence: refused, with the new document to be chosen again.
    second = document(tmp_path, SECOND_DOCUMENT)
    page.get_by_label("Your evidence").fill("")
    page.get_by_label("Add documents (optional)").set_input_files(second)
    send_after_a_pause(page, clock, "Send your changes")
    expect(summary_link(page, "Enter your evidence")).to_be_visible()
    expect(page).to_have_title(re.compile("^Error: Change your written evidence"))
    expect(page.get_by_text("Choose your files again")).to_be_visible()
    if javascript:
        expect(page.get_by_role("alert").first).to_be_focused()
    look(page, "evidence-change-error")

    page.get_by_label("Your evidence").fill(NEW_EVIDENCE)
    page.get_by_label(f"Remove {FIRST_DOCUMENT}").check()
    page.get_by_label("Add documents (optional)").set_input_files(second)
    send_after_a_pause(page, clock, "Send your changes")

    assert_response_page(page, EVIDENCE, reference)
    expect(page).to_have_url(re.compile(re.escape(link) + "$"))
    expect(flash(page)).to_have_text(CHANGED)
    expect(row(page, "Evidence")).to_have_text(NEW_EVIDENCE)
    expect(row(page, "Documents")).to_have_text(SECOND_DOCUMENT)
    look(page, "evidence-changed")

    assert_change_emails(
        smtp_server,
        clock,
        EVIDENCE,
        reference,
        [
            ("Evidence", EVIDENCE_TEXT, NEW_EVIDENCE),
            ("Documents", FIRST_DOCUMENT, SECOND_DOCUMENT),
        ],
    )


def test_a_message_is_changed_from_the_receipt(
    page, javascript, clock, make_survey, smtp_server, look, tmp_path
):
    make_survey()
    reference, link = respond_and_open_the_receipt_link(
        page, clock, smtp_server, MESSAGE, tmp_path, javascript, look
    )

    page.get_by_role("link", name="Change your response").click()
    expect(heading(page)).to_have_text("Change your message")
    expect(field(page, "message")).to_have_value(VALID_MESSAGE["message"])
    look(page, "message-change")

    field(page, "message").fill("")
    send_after_a_pause(page, clock, "Send your changes")
    expect(summary_link(page, "Enter your message")).to_be_visible()
    expect(field(page, "subject")).to_have_value(VALID_MESSAGE["subject"])
    look(page, "message-change-error")

    field(page, "message").fill(NEW_MESSAGE)
    send_after_a_pause(page, clock, "Send your changes")

    assert_response_page(page, MESSAGE, reference)
    expect(page).to_have_url(re.compile(re.escape(link) + "$"))
    expect(flash(page)).to_have_text(CHANGED)
    expect(row(page, "Your message")).to_have_text(NEW_MESSAGE)
    look(page, "message-changed")

    assert_change_emails(
        smtp_server,
        clock,
        MESSAGE,
        reference,
        [("Your message", VALID_MESSAGE["message"], NEW_MESSAGE)],
    )


@pytest.mark.parametrize("way", PUBLISHABLE)
def test_the_choice_about_publishing_is_changed_from_the_receipt(
    page, javascript, clock, make_survey, smtp_server, look, tmp_path, way
):
    make_survey()
    reference, link = respond_and_open_the_receipt_link(
        page, clock, smtp_server, way, tmp_path, javascript, look
    )

    page.get_by_role("link", name="Change whether we may publish it").click()
    expect(heading(page)).to_have_text("Change whether we may publish your response")
    expect(page.get_by_label("Yes, anonymously")).to_be_checked()
    look(page, f"{way.name}-publication")
    page.get_by_label("No, do not publish").check()
    send_after_a_pause(page, clock, "Save your choice")

    assert_response_page(page, way, reference)
    expect(flash(page)).to_have_text("Your choice about publishing is saved: No, do not publish")
    expect(row(page, "May we publish your response?")).to_have_text("No, do not publish")
    look(page, f"{way.name}-publication-changed")

    assert_change_emails(
        smtp_server,
        clock,
        way,
        reference,
        [("May we publish your response?", "Yes, anonymously", "No, do not publish")],
    )


# A change made elsewhere first.


def test_a_survey_change_overtaken_by_one_from_another_tab_is_not_sent(
    page, javascript, clock, make_survey, smtp_server, look, tmp_path
):
    make_survey()
    _reference, link = respond_and_open_the_receipt_link(
        page, clock, smtp_server, SURVEY, tmp_path, javascript, look
    )
    page.get_by_role("link", name="Change your response").click()
    page.get_by_role("link", name=f"Change your answer to: {STORY_PROMPT}").click()
    page.get_by_label(STORY_PROMPT).fill(NEW_STORY)
    press(page, "Continue")
    expect(heading(page)).to_have_text("Check your changes before sending them")

    # Meanwhile, in another tab, they change whether it may be published.
    other_tab = page.context.new_page()
    visit(other_tab, f"{link}/publication")
    other_tab.get_by_label("Yes, with my name").check()
    send_after_a_pause(other_tab, clock, "Save your choice")
    expect(flash(other_tab)).to_contain_text("Your choice about publishing is saved")

    send_after_a_pause(page, clock, "Send your changes")
    expect(heading(page)).to_have_text("Your response was changed somewhere else")
    expect(page.get_by_text(NEW_STORY)).to_be_visible()  # what they typed, to copy
    look(page, "survey-conflict")

    # Starting again starts from the response as it is now.
    page.get_by_role("button", name="Start your changes again").click()
    expect(heading(page)).to_have_text("Check your changes before sending them")
    expect(row(page, STORY_PROMPT)).to_have_text(STORY)
    expect(row(page, "May we publish your response?")).to_have_text("Yes, with my name")


@pytest.mark.parametrize(
    "way", [pytest.param(EVIDENCE, id="evidence"), pytest.param(MESSAGE, id="message")]
)
def test_a_change_overtaken_by_one_from_another_tab_is_not_sent_and_what_was_typed_is_kept(
    page, javascript, clock, make_survey, smtp_server, look, tmp_path, way
):
    make_survey()
    reference, link = respond_and_open_the_receipt_link(
        page, clock, smtp_server, way, tmp_path, javascript, look
    )
    page.get_by_role("link", name="Change your response").click()
    expect(heading(page)).to_have_text(f"Change your {way.kind.lower()}")
    text = page.get_by_label(TEXT_FIELD[way.name], exact=True)
    text.fill(NEW_TEXT[way.name])

    # Meanwhile, in another tab, they change the organisation.
    other_tab = page.context.new_page()
    visit(other_tab, link)
    other_tab.get_by_role("link", name="Change your response").click()
    other_tab.get_by_label("Organisation (optional)").fill(NEW_ORGANISATION)
    send_after_a_pause(other_tab, clock, "Send your changes")
    expect(flash(other_tab)).to_have_text(CHANGED)

    send_after_a_pause(page, clock, "Send your changes")
    notice = page.get_by_role("alert").filter(has_text="was changed on another device")
    expect(notice).to_contain_text("Your changes below have not been sent.")
    expect(row(page, "Organisation")).to_have_text(NEW_ORGANISATION)  # what it says now
    expect(text).to_have_value(NEW_TEXT[way.name])  # what they typed is kept
    look(page, f"{way.name}-conflict")

    # Sent again, as the page invites, it is made.
    send_after_a_pause(page, clock, "Send your changes")
    assert_response_page(page, way, reference)
    expect(flash(page)).to_have_text(CHANGED)
    expect(row(page, TEXT_ROW[way.name])).to_have_text(NEW_TEXT[way.name])


# Withdrawing.


@pytest.mark.parametrize("way", ALL_WAYS)
def test_a_response_is_withdrawn_from_the_receipt_after_the_close(
    page, javascript, clock, make_survey, smtp_server, look, tmp_path, way
):
    consultation = make_survey()
    reference, link = respond_and_open_the_receipt_link(
        page, clock, smtp_server, way, tmp_path, javascript, look
    )

    # After the deadline and its grace period, the response can only be withdrawn
    # (and its publication choice changed); a message to the officer can still change.
    clock.set(consultation.closes_at + timedelta(hours=1))
    visit(page, link)
    assert_response_page(page, way, reference)
    change = page.get_by_role("link", name="Change your response")
    closed = page.get_by_text("This consultation has closed, so you can no longer change")
    if way.changes_after_close:
        expect(change).to_be_visible()
    else:
        expect(change).to_have_count(0)
        expect(closed).to_be_visible()
        look(page, f"{way.name}-response-closed")

    page.get_by_role("link", name="Withdraw your response").click()
    expect(heading(page)).to_have_text("Withdraw your response")
    expect(page.get_by_text("You cannot undo this.")).to_be_visible()
    expect(page.locator(".reference")).to_have_text(reference)
    look(page, f"{way.name}-withdraw")
    send_after_a_pause(page, clock, "Withdraw your response")

    expect(heading(page)).to_contain_text("Your response has been withdrawn")
    expect(page.locator(".reference")).to_have_text(reference)
    expect(page.get_by_text("We have sent you an email to confirm it.")).to_be_visible()
    look(page, f"{way.name}-withdrawn")

    deliver(clock)
    receipt = newest_to(
        smtp_server, way.email, f"Your {way.kind.lower()} {reference} has been withdrawn"
    )
    assert "We have deleted it" in text_of(receipt)
    alert = newest_to(
        smtp_server, OFFICER, f"{way.kind} {reference} withdrawn by the respondent: {TITLE}"
    )
    assert way.email not in alert.text

    visit(page, link, status=404)
    expect(heading(page)).to_have_text(NOT_WORKING)
    expect(page.get_by_text(reference)).to_have_count(0)
    look(page, "link-not-working")


# A lost link.


@pytest.mark.parametrize("way", ALL_WAYS)
def test_a_lost_link_is_replaced_by_a_new_one_sent_to_the_same_address(
    page, javascript, clock, make_survey, smtp_server, look, tmp_path, way
):
    make_survey()
    reference, old_link = respond_and_open_the_receipt_link(
        page, clock, smtp_server, way, tmp_path, javascript, look
    )

    # The link, mistyped, opens nothing; its page offers a new one.
    visit(page, old_link[:-1], status=404)
    expect(heading(page)).to_have_text(NOT_WORKING)
    page.get_by_role("link", name="Get a new link to your response").click()
    expect(page).to_have_url(re.compile(r"/your-response/new-link$"))
    expect(heading(page)).to_have_text("Get a new link to your response")
    look(page, "new-link")

    page.get_by_label("Email address").fill("amara at example")
    send_after_a_pause(page, clock, "Send me new links")
    expect(page.get_by_role("alert").get_by_role("link")).to_have_count(1)
    expect(page.get_by_label("Email address")).to_have_value("amara at example")
    if javascript:
        expect(page.get_by_role("alert").first).to_be_focused()
    look(page, "new-link-error")

    page.get_by_label("Email address").fill(way.email)
    send_after_a_pause(page, clock, "Send me new links")
    expect(page).to_have_url(re.compile(r"/your-response/new-link/sent$"))
    expect(heading(page)).to_have_text("Check your email")
    expect(page.get_by_text(way.email)).to_be_visible()
    look(page, "new-link-sent")

    deliver(clock)
    email = newest_to(smtp_server, way.email, "Your links to view or change your responses")
    new_link = link_in(email, f"{way.kind} {reference}")
    assert new_link != old_link

    visit(page, old_link, status=404)
    expect(heading(page)).to_have_text(NOT_WORKING)
    visit(page, new_link)
    assert_response_page(page, way, reference)
    for label, value in way.shows:
        expect(row(page, label)).to_have_text(value)
