"""The survey builder's pages as a phone shows them, with JavaScript on and off: axe at
390 and 320 pixels, no sideways scroll; with JavaScript, a move swaps in the new order
without a reload and gives focus back to what moved, and the question form says what
saving it would do as the admin ticks an answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import mark_document, sign_in, visit
from tests.support.factories import SLUG

pytestmark = pytest.mark.browser

BUILDER = f"/admin/consultations/{SLUG}/survey"


def test_the_survey_moves_a_question_in_place(
    page, survey, admin_user, assert_accessible, look, javascript
):
    sign_in(page, assert_accessible)
    visit(page, BUILDER)
    look(page, "builder-survey")
    mark_document(page, javascript)

    page.locator("#question-story").get_by_role("button", name="Move up").click()

    expect(page.locator("#page-4 [data-movable]").first).to_have_id("question-story")
    expect(page.get_by_text("Your change is saved.")).to_be_visible()
    if javascript:
        assert page.evaluate("window.sameDocument === true"), "the page was reloaded"
        expect(page.locator("#question-story")).to_be_focused()
    assert_accessible(page)


def test_the_question_form_says_what_saving_would_do(
    page, survey, admin_user, assert_accessible, look, javascript
):
    sign_in(page, assert_accessible)
    visit(page, f"{BUILDER}/questions/story")
    look(page, "builder-question")

    page.get_by_label("Council officer").check()

    if javascript:
        checks = page.locator("#checks")
        expect(checks).to_contain_text("Changes who sees 'Tell us about your experience'.")
        # Only the settings of the type chosen are shown.
        expect(page.get_by_label("Options")).to_be_hidden()
        expect(page.get_by_label("Longest answer, in characters")).to_be_visible()
    else:
        expect(page.get_by_label("Options")).to_be_visible()
    page.get_by_label("Single choice").check()
    page.get_by_role("button", name="Save the question").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator("#options-error")).to_contain_text("Enter at least 2 options")
    look(page, "builder-question-error")
