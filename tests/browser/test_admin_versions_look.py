"""An admin reads, on a phone, a response its respondent changed twice: the response page's
"Versions" section, with what changed and each earlier version in full, and the
"Changed" tag in the list of responses.

The respondent sends written evidence and changes it twice through the real change form,
from the link in the receipt (with the test client, as tests/test_evidence_changes.py
does): long words that do not break (a web address, an email address, a document's
name) are what would push a narrow page sideways. Each page is checked with axe and for
sideways scroll at 390 and at 320 pixels wide, with JavaScript on and off, with the
earlier versions closed and open. With BROWSER_SCREENSHOTS set to a folder, each page is
also saved there as a PNG, to be looked at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.models import Response
from tests.support import evidence as ev
from tests.support import sample_files as sf
from tests.support.browser import NARROWEST, assert_no_sideways_scroll, sign_in, visit
from tests.support.change_forms import as_shown
from tests.support.clients import new_browser
from tests.support.factories import SLUG
from tests.support.pages import error_messages
from tests.support.pages import page as soup_of
from tests.support.respondents import newest, queued_receipt_link, token_of
from tests.support.responses import LIST_URL

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
REPORT_LINK = "https://www.example.gov.uk/government/publications/community-services-review-2026"
FIRST_CHANGE = {
    "organisation": "Northside Community Pantry and Advice Centre",
    "evidence": f"Payment now arrives 30 days after invoicing. Our figures: {REPORT_LINK}",
}
SECOND_CHANGE = {
    "email": "ada.jones-smith@northside-community-pantry-and-advice-centre.example.org",
    "publish": "no",
}
APPENDIX = "Appendix_B_ward-by-ward_figures_2026_final_version.pdf"


def change_evidence(client, clock, change_url: str, changes: dict, files=(), remove=False):
    """Open the change form, as the response's page leads to it, and send `changes` after
    a person's pause; with `remove`, tick the first document's Remove box too."""
    shown = client.get(change_url)
    assert shown.status_code == 200, shown.status_code
    fields = {**as_shown(shown), **changes}
    if remove:
        fields["remove"] = soup_of(shown).find("input", attrs={"name": "remove"})["value"]
    clock.advance(seconds=5)
    sent = ev.send_form(client, shown, fields, list(files), url=change_url)
    assert sent.status_code == 303, error_messages(sent)


@pytest.fixture
def changed(app, clock, make_survey) -> Response:
    """Written evidence with a document, changed twice by its respondent: the
    organisation, the evidence and the documents; then the address and the choice
    about publishing."""
    make_survey()
    respondent = new_browser(app)
    ev.sent_ok(ev.send(respondent, clock, ev.VALID, [sf.upload("pdf", "Annual report 2026.pdf")]))
    token = token_of(queued_receipt_link(newest("evidence").reference))
    change_url = f"/consultations/{SLUG}/evidence/change/{token}"
    change_evidence(
        respondent, clock, change_url, FIRST_CHANGE, [sf.upload("pdf", APPENDIX)], remove=True
    )
    clock.advance(days=2)
    change_evidence(respondent, clock, change_url, SECOND_CHANGE)
    response = newest("evidence")
    assert response.version == 3
    return response


def test_the_versions_of_a_changed_response_read_well_on_a_phone(
    page, admin_user, changed, assert_accessible, look
):
    sign_in(page, assert_accessible)
    visit(page, f"/admin/responses/{changed.id}")

    versions = page.locator("#versions")
    expect(versions.get_by_role("heading", level=2)).to_have_text("Versions")
    expect(versions.get_by_role("heading", level=3)).to_have_text(["Version 2", "Version 1"])
    first = versions.locator("section.version").nth(1)
    expect(first.locator("dl.changes")).to_contain_text(REPORT_LINK)
    look(page, "versions")

    for summary in versions.locator("summary").all():
        summary.click()
    expect(first.locator("details")).to_have_attribute("open", "")
    expect(first.locator("details")).to_contain_text("Annual report 2026.pdf")
    look(page, "versions-open")


def test_the_list_marks_the_changed_response_on_a_phone(
    page, admin_user, changed, assert_accessible, look
):
    sign_in(page, assert_accessible)
    visit(page, LIST_URL)

    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=changed.reference))
    tag = row.locator(".tag", has_text="Changed")
    expect(tag).to_be_visible()
    look(page, "list")

    # The table scrolls in its own box: scrolled there, the tag and its time are on screen.
    for size in (PHONE, NARROWEST):
        page.set_viewport_size(size)
        tag.scroll_into_view_if_needed()
        expect(tag).to_be_in_viewport()
        assert_no_sideways_scroll(page)
