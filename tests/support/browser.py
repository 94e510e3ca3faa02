"""Steps the journeys in tests/browser share: a person at a phone's screen in Chromium.

The pages are Playwright's; `check` is the browser conftest's `assert_accessible`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.support.factories import ADMIN_EMAIL, ADMIN_PASSWORD

Check = Callable[[Page], None]

# A consultation like the demo's.
DEMO_SLUG = "local-services-local-providers"
DEMO_TITLE = "Local services, local providers"
DEMO_DEADLINE = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
DEMO_LIKE = {
    "slug": DEMO_SLUG,
    "title": DEMO_TITLE,
    "summary": "How should councils buy public services so that local organisations can take part?",
    "body": "We want to understand:\n\n- what is changing\n- where contracts have not delivered",
    "opens_at": datetime(2027, 1, 10, 9, 0, tzinfo=UTC),
    "closes_at": DEMO_DEADLINE,
}


def visit(page: Page, path: str, status: int = 200) -> None:
    """Load `path` as a person typing the address would, and check the status."""
    response = page.goto(path)
    assert response is not None, f"no response for {path}"
    assert response.status == status, f"{path} answered {response.status}, expected {status}"


def sign_in(
    admin: Page, check: Check, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD
) -> None:
    """Sign in through the real form (as the admin, unless told who) and land on the
    dashboard."""
    visit(admin, "/admin/login")
    check(admin)
    admin.get_by_label("Email address").fill(email)
    admin.get_by_label("Password").fill(password)
    admin.get_by_role("button", name="Sign in").click()
    expect(admin).to_have_url(re.compile(r"/admin/$"))
    expect(admin.get_by_role("heading", level=1)).to_have_text("Consultations")
    check(admin)


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def press(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def mark_document(page: Page, javascript: bool) -> None:
    """With JavaScript, mark the window: a full page load would lose the mark."""
    if javascript:
        page.evaluate("window.sameDocument = true")


def assert_no_sideways_scroll(page: Page) -> None:
    """The page fits the viewport's width as it is now."""
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.scrollingElement.scrollWidth")
    assert scroll_width <= width + 1, f"{page.url} is {scroll_width}px wide at {width}px"


NARROWEST = {"width": 320, "height": 640}  # WCAG 1.4.10: reflow at 320 CSS pixels


def assert_fits_narrowest_screen(page: Page) -> None:
    """No sideways scroll at 320 pixels wide (and at 400% zoom of 1280), then back."""
    before = page.viewport_size
    page.set_viewport_size(NARROWEST)
    try:
        assert_no_sideways_scroll(page)
    finally:
        page.set_viewport_size(before)


def pictures(page: Page, stem: Path) -> None:
    """Save the whole page as PNGs one screen high each (<stem>-1.png, <stem>-2.png...),
    any frames drawn, and leave the page scrolled as it was."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    scrolled = page.evaluate("window.scrollY")
    # Headless Chromium draws a frame of another origin (a sandboxed preview) only once
    # it has been pictured on screen: without this, the frame is blank in the pictures.
    for frame in page.locator("iframe").all():
        frame.screenshot()
    size = page.viewport_size
    height = page.evaluate("document.scrollingElement.scrollHeight")
    for number, top in enumerate(range(0, height, size["height"]), start=1):
        clip = {
            "x": 0,
            "y": top,
            "width": size["width"],
            "height": min(size["height"], height - top),
        }
        page.screenshot(path=f"{stem}-{number}.png", full_page=True, clip=clip)
    # It also sends a click to such a frame by where it was last drawn: draw the page
    # again where it was, or the next click on the page may land in the frame.
    page.evaluate("y => window.scrollTo(0, y)", scrolled)
    page.screenshot()
