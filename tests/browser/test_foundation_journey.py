"""A respondent reads a consultation; an admin closes it; the deadline closes another by itself.

Each test runs with JavaScript on and off, and every page a journey reaches is checked by axe.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.support.browser import DEMO_DEADLINE as DEADLINE
from tests.support.browser import DEMO_LIKE, sign_in, visit
from tests.support.browser import DEMO_SLUG as SLUG
from tests.support.browser import DEMO_TITLE as TITLE

pytestmark = pytest.mark.browser

DEADLINE_TEXT = "5pm UK time on 1 March 2027"
PASSED = "The deadline for responses has passed"


def test_admin_closes_a_consultation_the_respondent_was_reading(
    page, open_page, javascript, make_consultation, admin_user, assert_accessible
):
    make_consultation(**DEMO_LIKE)
    respondent = page

    visit(respondent, "/")
    assert_accessible(respondent)
    respondent.get_by_role("link", name=TITLE).click()
    expect(respondent).to_have_url(re.compile(f"/consultations/{SLUG}$"))
    expect(respondent.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(respondent.get_by_text(f"Closes {DEADLINE_TEXT}")).to_be_visible()
    assert_accessible(respondent)

    admin = open_page()
    sign_in(admin, assert_accessible)
    row = admin.locator(f"#consultation-{SLUG}")
    closed = row.get_by_role("button", name="Closed", exact=True)
    expect(closed).to_have_attribute("aria-pressed", "false")

    if javascript:
        admin.evaluate("window.sameDocument = true")
        with admin.expect_response(re.compile(f"/admin/consultations/{SLUG}/state$")) as answer:
            closed.click()
        assert answer.value.request.headers.get("hx-request") == "true"
        expect(closed).to_have_attribute("aria-pressed", "true")
        # A full page load would have started a new window object without the marker.
        assert admin.evaluate("window.sameDocument") is True
    else:
        with admin.expect_navigation():
            closed.click()
        expect(admin).to_have_url(re.compile(r"/admin/$"))
        expect(admin.get_by_role("status")).to_contain_text(f"{TITLE} now: Closed.")
        expect(closed).to_have_attribute("aria-pressed", "true")
    expect(row.get_by_text("set by hand")).to_be_visible()
    assert_accessible(admin)

    visit(respondent, f"/consultations/{SLUG}")
    expect(respondent.get_by_role("heading", name="This consultation is closed")).to_be_visible()
    expect(respondent.get_by_role("heading", name="How to take part")).to_have_count(0)
    assert_accessible(respondent)

    visit(respondent, f"/consultations/{SLUG}/survey", status=410)
    expect(respondent.get_by_role("heading", level=1)).to_have_text("This consultation is closed")
    expect(respondent.locator("form")).to_have_count(0)
    assert_accessible(respondent)


def test_the_consultation_closes_by_itself_at_the_deadline(
    page, clock, make_consultation, assert_accessible
):
    make_consultation(**DEMO_LIKE)

    clock.set(DEADLINE - timedelta(hours=2))
    visit(page, f"/consultations/{SLUG}")
    expect(page.get_by_text("2 hours left to respond.")).to_be_visible()
    assert_accessible(page)

    clock.set(DEADLINE)
    visit(page, f"/consultations/{SLUG}")
    expect(page.get_by_role("heading", name=PASSED)).to_be_visible()
    expect(page.get_by_text(f"This consultation closed {DEADLINE_TEXT}.")).to_be_visible()
    assert_accessible(page)

    visit(page, f"/consultations/{SLUG}/survey", status=410)
    expect(page.get_by_role("heading", level=1)).to_have_text(PASSED)
    expect(page.locator("form")).to_have_count(0)
    assert_accessible(page)

    visit(page, "/")
    closed_section = page.get_by_role("region", name="Closed")
    expect(closed_section.get_by_role("link", name=TITLE)).to_be_visible()
    assert_accessible(page)


def test_the_first_tab_shows_the_skip_link(page, make_consultation, assert_accessible):
    make_consultation(**DEMO_LIKE)
    visit(page, "/")
    assert_accessible(page)

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Skip to main content")
    expect(skip_link).to_be_focused()
    box = skip_link.bounding_box()
    assert box is not None and box["width"] > 1 and box["height"] > 1, box
    assert 0 <= box["x"] and box["x"] + box["width"] <= page.viewport_size["width"], box
    assert 0 <= box["y"] and box["y"] + box["height"] <= page.viewport_size["height"], box

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize("path", ["/", f"/consultations/{SLUG}"])
def test_no_sideways_scrolling_at_320_pixels(page, path, make_consultation, assert_accessible):
    make_consultation(**DEMO_LIKE)
    page.set_viewport_size({"width": 320, "height": 640})
    visit(page, path)
    assert_accessible(page)
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= 320 + 1, f"{path} is {scroll_width}px wide at 320px"
