"""A respondent sends written evidence with a PDF; an admin downloads the same bytes.

Runs with JavaScript on and off at a phone's 390x844. axe checks the form, the form with
its errors and the confirmation (and the admin's pages); the officer's alert and the
receipt are read back from a real SMTP server.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.mail import outbox
from tests.support import sample_files as sf
from tests.support.browser import sign_in, visit

pytestmark = pytest.mark.browser

SLUG = "test-consultation"  # make_survey's consultation
TITLE = "Community services review"
EVIDENCE_URL = f"/consultations/{SLUG}/evidence"
OFFICER = "officer@example.org"
RESPONDENT = "amara@example.org"
NAME = "Amara Okoye"
ORGANISATION = "Riverside Community Trust"
EVIDENCE = (
    "We have delivered the council's youth contract since 2024.\n"
    "The tender asked for three years of audited accounts, which most small groups lack."
)
FILE_NAME = "Our findings 2026.pdf"
REFERENCE = re.compile(r"^EV-[23456789ABCDEFGHJKMNPQRSTWXYZ]{6}$")
CONSENT = "I agree to you keeping my response to analyse it for this consultation"


def send_button(page: Page):
    return page.get_by_role("button", name="Send evidence")


def fill_in(page: Page, pdf: Path, javascript: bool) -> None:
    """Answer every question and choose the PDF, as a person would."""
    page.get_by_label("Full name").fill(NAME)
    page.get_by_label("Email address").fill(RESPONDENT)
    page.get_by_role("group", name="Which best describes you?").get_by_label(
        "Community organisation"
    ).check()
    page.get_by_label("Organisation (optional)").fill(ORGANISATION)
    themes = page.get_by_role("group", name="Which themes does your evidence address?")
    themes.get_by_label("Trends").check()
    themes.get_by_label("Failures").check()
    page.get_by_label("Your evidence").fill(EVIDENCE)
    counter = page.locator("#evidence-count")
    if javascript:
        expect(counter).to_have_text(f"You have {20_000 - len(EVIDENCE)} characters remaining")
    else:
        expect(counter).to_have_text("You can enter up to 20000 characters")
    page.get_by_label("Attach documents (optional)").set_input_files(pdf)
    page.get_by_role("group", name="May we publish your response?").get_by_label(
        "Yes, anonymously"
    ).check()
    page.get_by_label(CONSENT).check()


def test_a_respondent_sends_evidence_with_a_pdf_and_an_admin_downloads_it(
    app,
    page,
    open_page,
    javascript,
    clock,
    make_survey,
    smtp_server,
    admin_user,
    assert_accessible,
    tmp_path,
):
    make_survey()
    pdf_bytes = sf.pdf("Findings of the youth contract review")
    pdf = tmp_path / FILE_NAME
    pdf.write_bytes(pdf_bytes)

    # From the consultation page to the form.
    visit(page, f"/consultations/{SLUG}")
    page.get_by_role("link", name="Send written evidence").click()
    expect(page).to_have_url(re.compile(f"{re.escape(EVIDENCE_URL)}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Send written evidence")
    expect(page.get_by_text("You can attach up to 3 files, each 10 MB or smaller")).to_be_visible()
    assert_accessible(page)

    # Sent empty: every problem is listed, and the page is still accessible.
    clock.advance(seconds=10)
    send_button(page).click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page).to_have_title("Error: Send written evidence – Have your say")
    for message in (
        "Enter your full name",
        "Enter your email address",
        "Select which best describes you",
        "Select at least one theme",
        "Enter your evidence",
        "Select whether we may publish your response",
        "Confirm that you agree to us keeping your response",
    ):
        expect(page.get_by_role("link", name=message)).to_be_visible()
    assert_accessible(page)

    # Filled in properly, with the PDF, after the time a person takes.
    fill_in(page, pdf, javascript)
    clock.advance(seconds=10)
    send_button(page).click()

    expect(page).to_have_url(re.compile(f"{re.escape(EVIDENCE_URL)}/confirmation$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence sent")
    reference = page.locator(".reference").inner_text().strip()
    assert REFERENCE.match(reference), reference
    expect(
        page.get_by_text(f"We have sent a receipt with a copy of your evidence to {RESPONDENT}")
    ).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=FILE_NAME)).to_be_visible()
    assert_accessible(page)

    # The outbox worker delivers the officer's alert and the receipt.
    assert outbox.deliver_due(clock.now) == (2, 0)
    [alert] = smtp_server.to(OFFICER)
    [receipt] = smtp_server.to(RESPONDENT)
    alert_text = alert.text.replace("\r\n", "\n")
    assert f'Written evidence {reference} for "{TITLE}"' in alert_text
    assert f"From: {NAME}" in alert_text
    assert "Themes\nTrends; Failures" in alert_text
    assert f"Attachments: {FILE_NAME}" in alert_text
    receipt_text = receipt.text.replace("\r\n", "\n")
    assert f"Your reference number is {reference}." in receipt_text
    assert "The tender asked for three years of audited accounts" in receipt_text
    assert f"Attachments: {FILE_NAME}" in receipt_text

    # An admin finds the response and downloads the document.
    admin = open_page()
    sign_in(admin, assert_accessible)
    admin.get_by_role("link", name=f"Responses to {TITLE}").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Responses to {TITLE}")
    assert_accessible(admin)
    admin.get_by_role("link", name=reference).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(f"Response {reference}")
    expect(admin.get_by_text(ORGANISATION)).to_be_visible()
    assert_accessible(admin)
    with admin.expect_download() as info:
        admin.get_by_role("link", name=FILE_NAME).click()
    download = info.value
    assert download.suggested_filename == FILE_NAME
    assert Path(download.path()).read_bytes() == pdf_bytes

    # The respondent, not signed in, cannot fetch it.
    attachment_path = admin.get_by_role("link", name=FILE_NAME).get_attribute("href")
    response = page.request.get(attachment_path, max_redirects=0)
    assert response.status == 302
    assert response.headers["location"].startswith("/admin/login")
