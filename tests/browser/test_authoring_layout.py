"""How the authoring pages lay out on a phone: a title of one long word wraps instead of
widening the page, the page text sits in a box of its own with smaller headings, the
preview banner stands clear of the header, and an error summary's items are spaced.

Measured in Chromium, with JavaScript on and off, at 320 pixels (WCAG 1.4.10) and at
the phone's 390.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import (
    NARROWEST,
    assert_fits_narrowest_screen,
    assert_no_sideways_scroll,
    heading,
    press,
    sign_in,
    visit,
)
from tests.support.factories import SLUG

pytestmark = pytest.mark.browser

LONG_TITLE = "Supercalifragilisticexpialidociousnessreviewofcommunityservices 2027"
ADMIN_PAGE = f"/admin/consultations/{SLUG}"
BANNER = "This is a preview of a draft consultation. Nothing you send is stored or emailed."


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def font_size(page: Page, selector: str) -> float:
    size = page.locator(selector).first.evaluate("e => getComputedStyle(e).fontSize")
    return float(size.removesuffix("px"))


@pytest.fixture
def long_titles(make_consultation):
    """A draft and a published consultation, each titled with one very long word."""
    make_consultation(title=LONG_TITLE, published_at=None)
    make_consultation(slug="published-long", title=LONG_TITLE)


def test_a_title_of_one_long_word_wraps_on_every_page_that_shows_it(
    page, admin_user, long_titles, assert_accessible
):
    sign_in(page, assert_accessible)
    for path in (
        "/admin/",
        ADMIN_PAGE,
        f"{ADMIN_PAGE}/copy",
        f"{ADMIN_PAGE}/settings",
        "/admin/consultations/published-long/unpublish",
        "/",
        "/consultations/published-long",
    ):
        visit(page, path)
        assert_no_sideways_scroll(page)
        assert_fits_narrowest_screen(page)
    page.set_viewport_size(NARROWEST)
    visit(page, ADMIN_PAGE)
    expect(heading(page)).to_have_text(LONG_TITLE)
    title = box(page, "h1")
    assert title["x"] + title["width"] <= NARROWEST["width"], title
    assert_accessible(page)


def test_the_page_text_is_boxed_with_headings_smaller_than_the_pages_own(
    page, admin_user, make_consultation, assert_accessible
):
    make_consultation(published_at=None)  # its page text has "## Why we are asking"
    sign_in(page, assert_accessible)
    visit(page, ADMIN_PAGE)

    text = page.locator("#setting-body .prose-box")
    expect(text.get_by_role("heading", name="Why we are asking")).to_be_visible()
    border = text.evaluate("e => getComputedStyle(e).borderTopWidth")
    assert float(border.removesuffix("px")) >= 1, border
    own = font_size(page, "main > h2")  # "Publishing", "Settings"…
    assert font_size(page, "#setting-body .prose-box h2") < own
    assert_accessible(page)


def test_the_preview_banner_stands_clear_of_the_header(
    page, open_page, admin_user, make_consultation, assert_accessible
):
    make_consultation(published_at=None)
    sign_in(page, assert_accessible)
    visit(page, ADMIN_PAGE)
    press(page, "Make a preview link")
    link = urlsplit(page.get_by_label("Your new preview link").input_value()).path

    colleague = open_page()
    visit(colleague, link)
    expect(colleague.get_by_role("region", name="Preview")).to_contain_text(BANNER)
    for width in (NARROWEST["width"], 390):
        colleague.set_viewport_size({**NARROWEST, "width": width})
        header = box(colleague, ".site-header")
        banner = box(colleague, ".preview-banner")
        gap = banner["y"] - (header["y"] + header["height"])
        assert gap >= 16, f"the banner is {gap}px below the header at {width}px"


def test_the_error_summarys_items_are_spaced_on_the_narrowest_screen(
    page, admin_user, make_consultation, assert_accessible
):
    make_consultation(published_at=None)
    sign_in(page, assert_accessible)
    visit(page, f"{ADMIN_PAGE}/copy")
    page.get_by_label("Title of the copy").fill("")
    page.get_by_label("Web address of the copy (optional)").fill("a" * 81)
    press(page, "Make the copy")
    items = page.locator(".error-summary li")
    expect(items).to_have_count(2)
    page.set_viewport_size(NARROWEST)

    first, second = items.nth(0).bounding_box(), items.nth(1).bounding_box()
    gap = second["y"] - (first["y"] + first["height"])
    assert gap >= 8, f"the summary's items are {gap}px apart"
    assert_accessible(page)
