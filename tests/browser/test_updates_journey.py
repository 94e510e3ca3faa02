"""Someone signs up for email updates from the home page, and someone follows a consultation
from its page: each confirms from the email a real SMTP server received, sees what they get,
and stops it from the page an unsubscribe link opens.

With JavaScript on and off, at a phone's 390x844; every page is checked with axe and for
sideways scrolling at 390 and 320 pixels wide.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models import UNSUBSCRIBED, Subscriber
from app.updates import subscriptions
from tests.browser.test_respondent_journey import deliver, newest_to
from tests.support.browser import (
    assert_fits_narrowest_screen,
    assert_no_sideways_scroll,
    heading,
    press,
    visit,
)
from tests.support.factories import SLUG, TITLE

pytestmark = pytest.mark.browser

ADA = "ada@example.org"
CONFIRM_LINK = re.compile(r"https?://\S+(/updates/confirm/\S+)")


@pytest.fixture
def look(assert_accessible):
    """Check the page as it is now: axe, and no sideways scroll at 390 or 320 pixels."""

    def check(page: Page) -> None:
        assert_accessible(page)
        assert_no_sideways_scroll(page)
        assert_fits_narrowest_screen(page)

    return check


def region(page: Page, name: str):
    return page.get_by_role("region", name=name)


def confirm_from_email(page: Page, smtp_server, clock, look) -> None:
    """Open the link in the confirmation email, which changes nothing, and press its button."""
    deliver(clock)
    email = newest_to(smtp_server, ADA, "Confirm you want email updates")
    visit(page, CONFIRM_LINK.search(email.text).group(1))
    expect(heading(page)).to_have_text("Confirm your email address")
    look(page)
    assert not stored().confirmed
    press(page, "Confirm your email address")


def stored() -> Subscriber:
    db.session.rollback()
    return db.session.scalar(
        select(Subscriber).filter_by(email_hash=subscriptions.address_hash(ADA))
    )


def test_someone_signs_up_from_the_home_page_and_unsubscribes(
    page, make_consultation, clock, smtp_server, look
):
    make_consultation()
    visit(page, "/")
    look(page)
    box = region(page, "Get email updates")
    box.get_by_label("Email address").fill(ADA)
    box.get_by_label("Your name (optional)").fill("Ada Jones")
    clock.advance(seconds=10)

    box.get_by_role("button", name="Sign up").click()

    expect(heading(page)).to_have_text("Check your email")
    expect(page.get_by_text(f"We have sent an email to {ADA}.")).to_be_visible()
    look(page)
    confirm_from_email(page, smtp_server, clock, look)
    expect(heading(page)).to_have_text("Your email address is confirmed")
    look(page)
    page.get_by_role("link", name="change what you get or unsubscribe").click()
    expect(heading(page)).to_have_text("Your email updates")
    look(page)
    press(page, "Unsubscribe from all emails")
    expect(heading(page)).to_have_text("You have unsubscribed")
    look(page)
    assert stored().status == UNSUBSCRIBED


def test_someone_follows_a_consultation_and_stops_following_it(
    page, make_consultation, clock, smtp_server, look
):
    consultation = make_consultation()
    visit(page, f"/consultations/{SLUG}")
    box = region(page, "Follow this consultation")
    clock.advance(seconds=10)
    box.get_by_role("button", name="Follow this consultation").click()  # no address yet

    expect(heading(page)).to_have_text("Follow this consultation")
    error = page.get_by_role("alert").get_by_role("link", name="Enter your email address")
    expect(error).to_be_visible()
    look(page)
    page.get_by_label("Email address").fill(ADA)
    clock.advance(seconds=10)
    press(page, "Follow this consultation")
    expect(heading(page)).to_have_text("Check your email")
    confirm_from_email(page, smtp_server, clock, look)
    expect(page.get_by_text(f"News of {TITLE}.")).to_be_visible()
    visit(page, urlsplit(subscriptions.manage_url(stored(), consultation.id)).path)
    look(page)

    press(page, f"Stop following {TITLE}")

    expect(heading(page)).to_have_text(f"You no longer follow {TITLE}")
    look(page)
    assert stored().status == UNSUBSCRIBED  # it was all this address got
