"""An admin changes a deadline and the email alerts, then reads the audit log and the outbox.

Runs with JavaScript on and off; axe checks every page, including each form with its errors.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import DEMO_LIKE, NARROWEST, assert_no_sideways_scroll, sign_in, visit
from tests.support.browser import DEMO_SLUG as SLUG
from tests.support.browser import DEMO_TITLE as TITLE
from tests.support.factories import make_officer
from tests.support.responses import insert_response

pytestmark = pytest.mark.browser


def test_admin_moves_the_deadline_and_chooses_a_daily_digest(
    page, make_consultation, admin_user, assert_accessible
):
    make_consultation(**DEMO_LIKE)
    sign_in(page, assert_accessible)

    page.get_by_role("link", name=f"Change dates for {TITLE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change dates")
    assert_accessible(page)
    page.get_by_label("Deadline").fill("2027-01-01T17:00")
    page.get_by_role("button", name="Save dates").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page).to_have_title("Error: Change dates – Have your say")
    assert_accessible(page)

    page.get_by_label("Deadline").fill("2027-03-08T17:00")
    page.get_by_role("button", name="Save dates").click()
    expect(page.get_by_text("Dates saved.")).to_be_visible()
    expect(page.locator(f"#consultation-{SLUG}")).to_contain_text("5pm UK time on 8 March 2027")

    page.get_by_role("link", name=f"Email alerts for {TITLE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email alerts")
    assert_accessible(page)
    page.get_by_label("One email a day", exact=False).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Email alerts saved.")).to_be_visible()

    page.get_by_role("link", name="Audit log").click()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Change dates")
    expect(table).to_contain_text("Set alerts")
    assert_accessible(page)

    page.get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Outbox")
    expect(page.get_by_text("No failed emails.")).to_be_visible()
    assert_accessible(page)


def test_sign_in_errors_are_accessible(page, admin_user, assert_accessible):
    visit(page, "/admin/login")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_role("link", name="Enter your email address")).to_be_visible()
    assert_accessible(page)


def test_admin_tables_scroll_inside_their_box_at_320px(
    page, make_consultation, admin_user, clock, assert_accessible
):
    """A wide table scrolls within its own region; the page itself never scrolls sideways.

    The users table carries a visually hidden heading in its last column; positioned
    against the page rather than the table's box, it once made the whole page 440px wide.
    """
    consultation = make_consultation(**DEMO_LIKE)
    response = insert_response(consultation, clock.now, 1)
    make_officer()
    page.set_viewport_size(NARROWEST)
    sign_in(page, assert_accessible)
    for path in (
        "/admin/",
        "/admin/users",
        "/admin/audit",
        "/admin/outbox",
        f"/admin/consultations/{SLUG}/responses",
        f"/admin/consultations/{SLUG}/summary",
        f"/admin/consultations/{SLUG}/tags",
        f"/admin/consultations/{SLUG}/calls",
        f"/admin/responses/{response.id}",
    ):
        visit(page, path)
        assert_no_sideways_scroll(page)
