"""A respondent takes the routed survey from the consultation page to the confirmation.

Each test runs with JavaScript on (htmx swaps each step into #survey) and off (plain form
posts and 303 redirects), at a phone's 390x844. axe checks every page a journey reaches,
including a page with errors; the officer's alert and the receipt are read back from a
real SMTP server.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.extensions import db
from app.mail import outbox
from app.models import OutboxEmail
from tests.support.browser import Check, heading, mark_document, press, visit

pytestmark = pytest.mark.browser

SLUG = "test-consultation"  # make_survey's consultation
TITLE = "Community services review"
SURVEY = f"/consultations/{SLUG}/survey"
OFFICER = "officer@example.org"
RESPONDENT = "amara@example.org"
ORGANISATION = "Riverside Community Trust"
NAME = "Amara Okoye"
STORY = "We bid for a day-centre contract in 2026.\nThe paperwork took three weeks."
REFERENCE = re.compile(r"^SV-[23456789ABCDEFGHJKMNPQRSTWXYZ]{6}$")

# The questions as the respondent reads them (tests/support/factories.py SURVEY_PAGES).
ROLE = "Which best describes you?"
DELIVERS = "Do you deliver public service contracts today?"
OBSTACLES = "What gets in the way?"
CONFIDENCE = "How far do you agree that services are bought well?"
STORY_PROMPT = "Tell us about your experience"
FOLLOW_UP_EMAIL = "Email for follow-up questions"
FOLLOW_UP_NOTE = "Answer this if you chose ‘Yes’ above."


def url_of(step: str) -> re.Pattern[str]:
    """The address of a survey step, with any query string."""
    return re.compile(rf"{re.escape(SURVEY)}{re.escape(step)}(\?.*)?$")


def question(page: Page, prompt: str) -> Locator:
    """A choice question: its fieldset, named by its legend."""
    return page.get_by_role("group", name=prompt)


def assert_same_document(page: Page, javascript: bool) -> None:
    """With JavaScript, the step was swapped in by htmx, not loaded as a new page."""
    if javascript:
        assert page.evaluate("window.sameDocument") is True, "the step reloaded the whole page"


def open_survey(page: Page, check: Check | None = None) -> None:
    """From the consultation page to the survey's first page of questions."""
    visit(page, f"/consultations/{SLUG}")
    if check:
        check(page)
    page.get_by_role("link", name="Answer the survey").click()
    expect(page).to_have_url(url_of(""))
    expect(heading(page)).to_have_text("Answer the survey")
    if check:
        check(page)
    page.get_by_role("button", name="Start now").click()
    expect(page).to_have_url(url_of("/pages/1"))
    expect(heading(page)).to_have_text("About you")


def answer_page_1(page: Page) -> None:
    question(page, ROLE).get_by_label("Community organisation").check()
    page.get_by_label("What is your postcode?").fill("LS6 2AB")
    press(page, "Continue")
    expect(page).to_have_url(url_of("/pages/2"))
    expect(heading(page)).to_have_text("Running services")


def answer_page_2(page: Page) -> None:
    question(page, DELIVERS).get_by_label("Yes", exact=True).check()
    obstacles = question(page, OBSTACLES)
    obstacles.get_by_label("Paperwork").check()
    obstacles.get_by_label("Payment terms").check()
    press(page, "Continue")
    expect(page).to_have_url(url_of("/pages/4"))
    expect(heading(page)).to_have_text("Your views")


def answer_page_4(page: Page) -> None:
    question(page, CONFIDENCE).get_by_label("2", exact=True).check()
    page.get_by_label(STORY_PROMPT).fill(STORY)
    press(page, "Continue")
    expect(page).to_have_url(url_of("/details"))
    expect(heading(page)).to_have_text("About you and your response")


def answer_details(page: Page) -> None:
    page.get_by_label("For an organisation").check()
    page.get_by_label("Name of your organisation").fill(ORGANISATION)
    page.get_by_label("Your name").fill(NAME)
    page.get_by_label("Email address (optional)").fill(RESPONDENT)
    page.get_by_label("Yes, with my name").check()
    page.get_by_label("I agree to you keeping my response").check()
    press(page, "Continue")
    expect(page).to_have_url(url_of("/check"))
    expect(heading(page)).to_have_text("Check your answers before sending them")


def answer_row(page: Page, prompt: str) -> Locator:
    """The check page's row for a question: its dt is the prompt."""
    return page.locator(".summary-list > div").filter(
        has=page.locator("dt", has_text=re.compile(rf"^{re.escape(prompt)}$"))
    )


def to_check_answers(page: Page) -> None:
    open_survey(page)
    answer_page_1(page)
    answer_page_2(page)
    answer_page_4(page)
    answer_details(page)


def test_a_community_organisation_answers_the_routed_survey_and_both_emails_arrive(
    app: Flask, page, javascript, clock, make_survey, smtp_server, assert_accessible
):
    make_survey()
    open_survey(page, assert_accessible)
    expect(page.get_by_text("Page 1 of 3")).to_be_visible()  # no role yet: pages 1, 4, details
    assert_accessible(page)
    mark_document(page, javascript)

    # Page 1, sent empty: errors in a summary (focused with JavaScript) and by the field.
    press(page, "Continue")
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name="Select one option")).to_be_visible()
    expect(question(page, ROLE)).to_contain_text("Error: Select one option")
    expect(page).to_have_title(re.compile(r"^Error: About you"))
    expect(page).to_have_url(url_of("/pages/1"))
    if javascript:
        expect(summary).to_be_focused()
    assert_same_document(page, javascript)
    assert_accessible(page)

    # Page 1: the role routes them to page 2.
    answer_page_1(page)
    assert_same_document(page, javascript)
    expect(page.get_by_text("Page 2 of 4")).to_be_visible()
    if javascript:
        expect(heading(page)).to_be_focused()
    # The follow-up: hidden until "Yes" with JavaScript; shown with its note without.
    obstacles = question(page, OBSTACLES)
    if javascript:
        expect(obstacles).to_be_hidden()
        assert_accessible(page)
        question(page, DELIVERS).get_by_label("No", exact=True).check()
        expect(obstacles).to_be_hidden()
        question(page, DELIVERS).get_by_label("Yes", exact=True).check()
        expect(obstacles).to_be_visible()
    else:
        expect(obstacles).to_be_visible()
        expect(obstacles).to_contain_text(FOLLOW_UP_NOTE)
    assert_accessible(page)

    # Page 2, then page 3 (council officers only) is skipped.
    answer_page_2(page)
    expect(page.get_by_text("Page 3 of 4")).to_be_visible()
    assert_accessible(page)

    answer_page_4(page)
    expect(page.get_by_text("Page 4 of 4")).to_be_visible()
    assert_accessible(page)

    answer_details(page)
    assert_same_document(page, javascript)
    for prompt, answer in [
        (ROLE, "Community organisation"),
        ("What is your postcode?", "LS6 2AB"),
        (DELIVERS, "Yes"),
        (OBSTACLES, "Paperwork; Payment terms"),
        (CONFIDENCE, "2"),
        (STORY_PROMPT, STORY),
        (FOLLOW_UP_EMAIL, "Not answered"),
        ("Organisation", ORGANISATION),
        ("Name", NAME),
        ("Email address", RESPONDENT),
        ("May we publish your response?", "Yes, with my name"),
    ]:
        expect(answer_row(page, prompt).locator("dd.answer")).to_have_text(answer)
    # Page 3 was not on their route, so its questions are not listed.
    expect(page.get_by_text("Do you commission services?")).to_have_count(0)
    expect(page.get_by_text("and email you a receipt")).to_be_visible()
    assert_accessible(page)

    clock.advance(seconds=10)  # a person takes longer than the bot guard's minimum
    press(page, "Send response")
    expect(page).to_have_url(url_of("/confirmation"))
    expect(heading(page)).to_have_text("Response sent")
    assert_same_document(page, javascript)
    reference = page.locator(".reference").inner_text().strip()
    assert REFERENCE.match(reference), reference
    expect(
        page.get_by_text(f"We have sent a receipt with a copy of your answers to {RESPONDENT}")
    ).to_be_visible()
    assert_accessible(page)

    # The outbox worker delivers the officer's alert and the receipt.
    db.session.rollback()  # see what the live server's requests committed
    assert outbox.deliver_due(clock.now) == (2, 0)
    [alert] = smtp_server.to(OFFICER)
    [receipt] = smtp_server.to(RESPONDENT)
    assert alert.message["Subject"] == f"Survey response {reference} from {NAME}: {TITLE}"
    for fact in (reference, ORGANISATION, "Community organisation", "Paperwork; Payment terms"):
        assert fact in alert.text, fact
    assert reference in receipt.message["Subject"]
    for fact in (reference, TITLE, "The paperwork took three weeks."):
        assert fact in receipt.text, fact
    assert "Do you commission services?" not in alert.text + receipt.text


def test_the_address_follows_each_step_and_back_returns_with_the_answer_kept(
    page, javascript, make_survey, assert_accessible
):
    make_survey()
    open_survey(page)
    mark_document(page, javascript)
    answer_page_1(page)
    assert_same_document(page, javascript)  # the address changed without a page load
    expect(page).to_have_url(url_of("/pages/2"))
    question(page, DELIVERS).get_by_label("Yes", exact=True).check()
    press(page, "Continue")
    expect(page).to_have_url(url_of("/pages/4"))
    assert_same_document(page, javascript)

    page.go_back()
    expect(page).to_have_url(url_of("/pages/2"))
    expect(heading(page)).to_have_text("Running services")
    expect(question(page, DELIVERS).get_by_label("Yes", exact=True)).to_be_checked()
    assert_accessible(page)

    page.go_back()
    expect(page).to_have_url(url_of("/pages/1"))
    expect(heading(page)).to_have_text("About you")
    expect(question(page, ROLE).get_by_label("Community organisation")).to_be_checked()
    expect(page.get_by_label("What is your postcode?")).to_have_value("LS6 2AB")

    # Forward again through the form, not the history: the step after page 1 is page 2.
    press(page, "Continue")
    expect(page).to_have_url(url_of("/pages/2"))
    expect(question(page, DELIVERS).get_by_label("Yes", exact=True)).to_be_checked()

    # The page's own Back link goes to the previous step too.
    page.get_by_role("link", name="Back").click()
    expect(page).to_have_url(url_of("/pages/1"))
    expect(question(page, ROLE).get_by_label("Community organisation")).to_be_checked()


def test_an_answer_changed_from_check_answers_shows_there_and_reroutes(
    page, javascript, make_survey, assert_accessible
):
    make_survey()
    to_check_answers(page)
    expect(answer_row(page, DELIVERS).locator("dd.answer")).to_have_text("Yes")
    expect(answer_row(page, OBSTACLES)).to_have_count(1)

    page.get_by_role("link", name=f"Change your answer to: {DELIVERS}").click()
    expect(page).to_have_url(url_of("/pages/2?return=check"))
    expect(heading(page)).to_have_text("Running services")
    expect(question(page, DELIVERS).get_by_label("Yes", exact=True)).to_be_checked()
    expect(question(page, OBSTACLES).get_by_label("Paperwork")).to_be_checked()
    assert_accessible(page)
    question(page, DELIVERS).get_by_label("No", exact=True).check()
    if javascript:
        expect(question(page, OBSTACLES)).to_be_hidden()
    press(page, "Continue")

    expect(page).to_have_url(url_of("/check"))
    expect(heading(page)).to_have_text("Check your answers before sending them")
    expect(answer_row(page, DELIVERS).locator("dd.answer")).to_have_text("No")
    # The follow-up no longer applies, so its answer is gone; the rest are unchanged.
    expect(answer_row(page, OBSTACLES)).to_have_count(0)
    expect(answer_row(page, STORY_PROMPT).locator("dd.answer")).to_have_text(STORY)

    page.get_by_role("link", name=f"Change your answer to: {STORY_PROMPT}").click()
    expect(page).to_have_url(url_of("/pages/4?return=check"))
    expect(page.get_by_label(STORY_PROMPT)).to_have_value(STORY)
    page.get_by_label(STORY_PROMPT).fill("Contracts are too big for us.")
    press(page, "Continue")
    expect(page).to_have_url(url_of("/check"))
    expect(answer_row(page, STORY_PROMPT).locator("dd.answer")).to_have_text(
        "Contracts are too big for us."
    )
    assert_accessible(page)


def test_long_text_is_kept_after_an_error_elsewhere_on_the_page(
    page, javascript, make_survey, assert_accessible
):
    make_survey()
    open_survey(page)
    answer_page_1(page)
    question(page, DELIVERS).get_by_label("No", exact=True).check()
    press(page, "Continue")
    expect(heading(page)).to_have_text("Your views")

    # The required scale is left out and the email is wrong; the story is fine.
    page.get_by_label(STORY_PROMPT).fill(STORY)
    page.get_by_label(FOLLOW_UP_EMAIL).fill("amara at example")
    press(page, "Continue")

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Select a number from 1 to 5")).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("^Enter an email address"))).to_be_visible()
    expect(page).to_have_url(url_of("/pages/4"))
    if javascript:
        expect(summary).to_be_focused()
    expect(page.get_by_label(STORY_PROMPT)).to_have_value(STORY)
    expect(page.get_by_label(FOLLOW_UP_EMAIL)).to_have_value("amara at example")
    assert_accessible(page)

    # Answering the scale and going on keeps the story for when they come back.
    question(page, CONFIDENCE).get_by_label("4", exact=True).check()
    page.get_by_label(FOLLOW_UP_EMAIL).fill("")
    press(page, "Continue")
    expect(page).to_have_url(url_of("/details"))
    page.get_by_role("link", name="Back").click()
    expect(page).to_have_url(url_of("/pages/4"))
    expect(page.get_by_label(STORY_PROMPT)).to_have_value(STORY)
    expect(question(page, CONFIDENCE).get_by_label("4", exact=True)).to_be_checked()


def emailed_link() -> str:
    """The path of the newest "continue later" link the site has emailed."""
    db.session.rollback()  # see what the live server's requests committed
    email = db.session.scalars(
        select(OutboxEmail).filter_by(kind="resume").order_by(OutboxEmail.id.desc())
    ).first()
    assert email is not None, "no link was emailed"
    return re.search(rf"{re.escape(SURVEY)}/resume/\S+", email.body_text).group(0)


def test_a_saved_survey_moves_to_another_device_once_with_the_emailed_link(
    open_page, page, javascript, make_survey, assert_accessible
):
    make_survey()
    open_survey(page)
    answer_page_1(page)
    answer_page_2(page)
    page.get_by_label(STORY_PROMPT).fill(STORY)
    press(page, "Save and come back later")
    expect(page).to_have_url(url_of("/save"))
    expect(heading(page)).to_have_text("Your answers are saved")
    page.get_by_label("Email address").fill(RESPONDENT)
    press(page, "Send me a link")
    expect(page).to_have_url(url_of("/saved"))
    expect(page.get_by_text("The link works once")).to_be_visible()
    link = emailed_link()

    # A phone with a survey of its own in progress is told the saved one replaces it.
    phone = open_page()
    open_survey(phone)
    question(phone, ROLE).get_by_label("Resident").check()
    press(phone, "Continue")
    expect(phone).to_have_url(url_of("/pages/4"))
    visit(phone, link)
    expect(heading(phone)).to_have_text("Continue the survey you saved?")
    expect(phone.locator(".notice")).to_contain_text("You already have a survey in progress")
    assert_accessible(phone)
    mark_document(phone, javascript)
    press(phone, "Continue the survey")

    expect(phone).to_have_url(url_of("/pages/4"))
    expect(heading(phone)).to_have_text("Your views")
    assert_same_document(phone, javascript)
    expect(phone.get_by_label(STORY_PROMPT)).to_have_value(STORY)
    phone.get_by_role("link", name="Back").click()
    expect(phone).to_have_url(url_of("/pages/2"))
    expect(question(phone, OBSTACLES).get_by_label("Paperwork")).to_be_checked()

    # The link, used, shows nothing of the survey; the first device no longer has it.
    visit(page, link, status=404)
    expect(heading(page)).to_have_text("This link has been used or has expired")
    expect(page.get_by_text(STORY)).to_have_count(0)
    assert_accessible(page)
    page.get_by_role("link", name="go to the survey").click()
    expect(page).to_have_url(url_of(""))
    expect(page.get_by_role("button", name="Start now")).to_be_visible()
