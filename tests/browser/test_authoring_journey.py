"""An admin creates a consultation from nothing in the browser, a colleague without an
account walks through it by its preview link, the admin publishes it, and a respondent's
written evidence reaches the policy officer (issue 18). An officer reads a draft.

Runs with JavaScript on (htmx swaps the page text's preview into the settings form) and
off (the Preview button re-renders the whole form), at a phone's 390x844; the settings
form and the consultation's admin page are also checked at 320 pixels. axe checks every
page in every state the people here see, error states included. Emails are read back
from a real SMTP server.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from app.extensions import db
from app.mail import outbox
from app.models import Consultation, Response
from tests.support.browser import (
    Check,
    assert_fits_narrowest_screen,
    heading,
    mark_document,
    press,
    sign_in,
    visit,
)
from tests.support.factories import OFFICER_EMAIL, OFFICER_PASSWORD, make_officer

pytestmark = pytest.mark.browser

NEW_URL = "/admin/consultations/new"
TITLE = "Buying local: how councils choose providers"
SLUG = "buying-local-how-councils-choose-providers"  # made from the title
ADMIN_PAGE = f"/admin/consultations/{SLUG}"
PUBLIC_PAGE = f"/consultations/{SLUG}"
SUMMARY = "Tell us how councils could buy more of their services from local organisations."
BODY = (
    "## Why we are asking\n\n"
    "Most council contracts go to a few **large** firms.\n\n"
    "- what is changing\n"
    "- where contracts have not delivered"
)
# Typed in UK time. The test's clock says noon on 1 February 2027 (UTC, and UK time in
# winter); the deadline is in British Summer Time, an hour ahead of UTC.
OPENS = "2027-02-01T09:00"
OPENS_UTC = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)
CLOSES = "2027-04-15T17:00"
CLOSES_UTC = datetime(2027, 4, 15, 16, 0, tzinfo=UTC)
DEADLINE = "5pm UK time on 15 April 2027"
OFFICER_NAME = "Ama Mensah"
OFFICER = "ama@example.org"
THEMES = ["Trends shaping public services", "Places doing things differently"]
RESPONDENT = "ruth@example.org"
COLLEAGUE = "kofi@example.org"
BANNER = "This is a preview of a draft consultation. Nothing you send is stored or emailed."
NOT_SENT = "This is a preview: your response was not sent"
REFERENCE = re.compile(r"^EV-[23456789ABCDEFGHJKMNPQRSTWXYZ]{6}$")
CONSENT = "I agree to you keeping my response to analyse it for this consultation"


@pytest.fixture
def links_to_this_server(app: Flask, live_server) -> None:
    """Links the site shows and emails are built on SITE_URL: here, the live server."""
    app.config["SITE_URL"] = live_server.url


def responses_stored() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Response))


def assert_same_document(page: Page, javascript: bool) -> None:
    if javascript:
        assert page.evaluate("window.sameDocument") is True, "the whole page was reloaded"


def preview_region(page: Page):
    return page.get_by_role("region", name="Preview")


def fill_in_evidence(page: Page, check: Check, name: str, email: str) -> None:
    """From the consultation's page, open the evidence form and fill it in."""
    page.get_by_role("link", name="Send written evidence").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(PUBLIC_PAGE)}/evidence$"))
    expect(heading(page)).to_have_text("Send written evidence")
    check(page)
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_role("group", name="Which best describes you?").get_by_label(
        "Community organisation"
    ).check()
    page.get_by_role("group", name="Which themes does your evidence address?").get_by_label(
        THEMES[1]
    ).check()
    page.get_by_label("Your evidence").fill(
        "Our town buys its meals on wheels from a kitchen run by local volunteers."
    )
    page.get_by_role("group", name="May we publish your response?").get_by_label(
        "Yes, anonymously"
    ).check()
    page.get_by_label(CONSENT).check()


def create_from_nothing(admin: Page, javascript: bool, check: Check) -> None:
    """From the empty dashboard, through the form's errors and the preview, to the draft."""
    expect(admin.locator("main").get_by_text("There are no consultations yet.")).to_be_visible()
    admin.get_by_role("link", name="Create a consultation").click()
    expect(admin).to_have_url(re.compile(rf"{re.escape(NEW_URL)}$"))
    expect(heading(admin)).to_have_text("Create a consultation")
    check(admin)
    assert_fits_narrowest_screen(admin)

    # Saved with nothing typed but a wrong email address: every problem, by its field.
    admin.get_by_label("Email address", exact=True).fill("ama at example")
    with admin.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == NEW_URL
    ) as answer:
        press(admin, "Save as a draft")
    assert answer.value.status == 422
    expect(admin).to_have_title(re.compile(r"^Error: Create a consultation"))
    summary = admin.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    by_field = {
        "Title": "Enter a title",
        "Summary": "Enter a summary",
        "Opening time": "Enter the opening date and time",
        "Deadline": "Enter the deadline date and time",
        "Name": "Enter the policy officer's name",
        "Email address": (
            "Enter the policy officer's email address in the correct format, like"
            " name@example.org. You entered 'ama at example'"
        ),
    }
    for label, message in by_field.items():
        expect(summary.get_by_role("link", name=message, exact=True)).to_be_visible()
        expect(admin.get_by_label(label, exact=True)).to_have_accessible_description(
            re.compile(re.escape(f"Error: {message}"))
        )
    expect(admin.get_by_label("Email address", exact=True)).to_have_value("ama at example")
    check(admin)
    assert_fits_narrowest_screen(admin)

    # The title, summary and page text, and the page text's preview.
    check_area = admin.locator("#settings-check")
    # The web address made from the title is suggested by its field, as its hint.
    web_address = admin.get_by_label("Web address (optional)")
    suggestion = re.compile(re.escape(f"If you leave it empty, it will be /consultations/{SLUG},"))
    mark_document(admin, javascript)
    admin.get_by_label("Title", exact=True).fill(TITLE)
    if javascript:  # htmx checks what is typed once it changes
        admin.get_by_label("Title", exact=True).blur()
        expect(web_address).to_have_accessible_description(suggestion)
    admin.get_by_label("Summary").fill(SUMMARY)
    admin.get_by_label("Page text (optional)").fill(BODY)
    preview_url = f"{NEW_URL}/check" if javascript else NEW_URL
    with admin.expect_response(
        lambda r: r.request.method == "POST" and urlsplit(r.url).path == preview_url
    ) as answer:
        press(admin, "Preview")
    assert answer.value.status == 200
    assert (answer.value.request.headers.get("hx-request") == "true") is javascript
    shown = check_area.get_by_role("region", name="Preview of the page text")
    # Without JavaScript the page comes back whole, at the preview rather than at the top.
    expect(shown).to_be_in_viewport()
    if not javascript:
        expect(admin).to_have_url(re.compile(rf"{re.escape(NEW_URL)}#settings-check$"))
    expect(shown.get_by_role("heading", name="Why we are asking")).to_be_visible()
    expect(shown.locator("strong")).to_have_text("large")
    expect(shown.get_by_role("listitem")).to_have_text(
        ["what is changing", "where contracts have not delivered"]
    )
    assert_same_document(admin, javascript)
    # The web address it will have, made from the title, and what it still needs.
    expect(web_address).to_have_accessible_description(suggestion)
    expect(check_area).not_to_contain_text(f"/consultations/{SLUG}")
    expect(check_area.locator("#checklist")).to_contain_text(
        "Choose at least one way of taking part"
    )
    expect(admin.get_by_label("Title", exact=True)).to_have_value(TITLE)
    expect(admin.get_by_label("Page text (optional)")).to_have_value(BODY)
    check(admin)
    assert_fits_narrowest_screen(admin)

    # Dates in UK time, the officer, written evidence only, and its themes.
    admin.get_by_label("Opening time").fill(OPENS)
    admin.get_by_label("Deadline").fill(CLOSES)
    admin.get_by_label("Name", exact=True).fill(OFFICER_NAME)
    admin.get_by_label("Email address", exact=True).fill(OFFICER)
    ways = admin.get_by_role("group", name="Ways of taking part")
    ways.get_by_label("Send written evidence").check()
    expect(ways.get_by_role("checkbox", checked=True)).to_have_count(1)
    checklist = check_area.locator("#checklist")
    if javascript:  # the checklist follows what is typed, without a reload
        expect(checklist.get_by_role("listitem")).to_have_text(
            ["Add at least one theme for written evidence"]
        )
    admin.get_by_label("Themes").fill("\n".join(THEMES))
    if javascript:
        admin.get_by_label("Themes").blur()
        expect(checklist).to_have_text("Ready to publish")
        assert_same_document(admin, javascript)
    press(admin, "Save as a draft")

    expect(admin).to_have_url(re.compile(rf"{re.escape(ADMIN_PAGE)}$"))
    expect(heading(admin)).to_have_text(TITLE)
    expect(admin.locator("#flashes")).to_contain_text(
        f"{TITLE} is saved as a draft. The public cannot see it yet."
    )


def test_an_admin_creates_previews_and_publishes_and_evidence_reaches_the_officer(
    app,
    page,
    open_page,
    javascript,
    clock,
    admin_user,
    smtp_server,
    links_to_this_server,
    assert_accessible,
):
    admin = page
    sign_in(admin, assert_accessible)
    create_from_nothing(admin, javascript, assert_accessible)

    # The draft's page: its tag and a checklist with nothing missing.
    expect(admin.locator("main .meta")).to_contain_text("Draft The public cannot see it yet.")
    expect(admin.locator("#checklist")).to_have_text("Ready to publish")
    expect(admin.locator("#setting-opens_at dd")).to_have_text("9am UK time on 1 February 2027")
    expect(admin.locator("#setting-closes_at dd")).to_have_text(DEADLINE)
    db.session.rollback()
    stored = db.session.scalars(select(Consultation).filter_by(slug=SLUG)).one()
    assert (stored.opens_at, stored.closes_at) == (OPENS_UTC, CLOSES_UTC)
    expect(admin.locator("#setting-evidence")).to_contain_text(f"Themes: {', '.join(THEMES)}")
    assert_accessible(admin)
    assert_fits_narrowest_screen(admin)

    # A preview link, shown once.
    press(admin, "Make a preview link")
    link_field = admin.get_by_label("Your new preview link")
    expect(link_field).to_be_visible()
    expect(admin.locator("#preview-link")).to_contain_text(
        "Made at midday UK time on 1 February 2027."
    )
    link = link_field.input_value()
    assert link.startswith(f"{app.config['SITE_URL']}/preview/"), link
    assert_accessible(admin)
    assert_fits_narrowest_screen(admin)

    # A colleague with no account follows it: the draft, with the banner, and its form.
    colleague = open_page()
    visit(colleague, link)
    expect(colleague).to_have_url(re.compile(rf"{re.escape(PUBLIC_PAGE)}$"))
    expect(heading(colleague)).to_have_text(TITLE)
    expect(preview_region(colleague)).to_contain_text(BANNER)
    expect(colleague.get_by_role("heading", name="Why we are asking")).to_be_visible()
    assert_accessible(colleague)
    fill_in_evidence(colleague, assert_accessible, "Kofi Boateng", COLLEAGUE)
    expect(preview_region(colleague)).to_contain_text(BANNER)
    clock.advance(seconds=10)  # the time a person takes
    press(colleague, "Send evidence")
    expect(heading(colleague)).to_have_text(NOT_SENT)
    expect(preview_region(colleague)).to_contain_text(BANNER)
    expect(colleague.locator("main")).to_contain_text(
        f"{OFFICER_NAME} would get an email about it, at {OFFICER}."
    )
    assert_accessible(colleague)
    # Nothing stored, nothing sent, even once the outbox worker has run.
    assert outbox.deliver_due(clock.now) == (0, 0)
    assert smtp_server.received == []
    assert responses_stored() == 0

    # Out of the preview, the public site knows nothing of the draft.
    press(colleague, "Leave the preview")
    expect(colleague).to_have_url(re.compile(r"://[^/]+/$"))
    expect(heading(colleague)).to_have_text("Consultations")
    expect(preview_region(colleague)).to_have_count(0)
    expect(colleague.get_by_text(TITLE)).to_have_count(0)
    assert_accessible(colleague)
    visit(colleague, PUBLIC_PAGE, status=404)
    expect(colleague.get_by_text(TITLE)).to_have_count(0)
    assert_accessible(colleague)

    # The admin publishes: it is open at once.
    press(admin, "Publish")
    expect(admin).to_have_url(re.compile(rf"{re.escape(ADMIN_PAGE)}$"))
    expect(admin.locator("#flashes")).to_contain_text(
        f"{TITLE} is published. It is open now, until {DEADLINE}."
    )
    meta = admin.locator("main .meta")
    expect(meta).to_contain_text("Published on 1 February 2027")
    expect(meta).to_contain_text("Open")
    expect(admin.locator("#checklist")).to_have_count(0)
    expect(admin.locator("#preview-link")).to_have_count(0)
    assert_accessible(admin)
    assert_fits_narrowest_screen(admin)

    # The old preview link gives nothing now; the list shows the consultation.
    visit(colleague, link, status=404)
    expect(heading(colleague)).to_have_text("This preview link does not work")
    expect(preview_region(colleague)).to_have_count(0)
    assert_accessible(colleague)
    visit(colleague, "/")
    open_now = colleague.get_by_role("region", name="Open for responses")
    expect(open_now.get_by_role("link", name=TITLE)).to_be_visible()
    assert_accessible(colleague)

    # A respondent sends written evidence for real.
    respondent = open_page()
    visit(respondent, "/")
    respondent.get_by_role("link", name=TITLE).click()
    expect(respondent).to_have_url(re.compile(rf"{re.escape(PUBLIC_PAGE)}$"))
    expect(preview_region(respondent)).to_have_count(0)
    expect(respondent.locator(".deadline-box")).to_contain_text(f"Closes {DEADLINE}")
    assert_accessible(respondent)
    fill_in_evidence(respondent, assert_accessible, "Ruth Adeyemi", RESPONDENT)
    clock.advance(seconds=10)
    press(respondent, "Send evidence")
    expect(respondent).to_have_url(re.compile(rf"{re.escape(PUBLIC_PAGE)}/evidence/confirmation$"))
    expect(heading(respondent)).to_have_text("Evidence sent")
    reference = respondent.locator(".reference").inner_text().strip()
    assert REFERENCE.match(reference), reference
    assert_accessible(respondent)
    assert responses_stored() == 1

    # The outbox worker delivers the officer's alert and the respondent's receipt.
    assert outbox.deliver_due(clock.now) == (2, 0)
    [alert] = smtp_server.to(OFFICER)
    [receipt] = smtp_server.to(RESPONDENT)
    assert alert.rcpt_tos == [OFFICER]
    assert receipt.rcpt_tos == [RESPONDENT]
    alert_text = alert.text.replace("\r\n", "\n")
    assert f'Written evidence {reference} for "{TITLE}"' in alert_text
    assert "From: Ruth Adeyemi" in alert_text
    receipt_text = receipt.text.replace("\r\n", "\n")
    assert f"Your reference number is {reference}." in receipt_text
    assert TITLE in receipt_text
    assert smtp_server.to(COLLEAGUE) == []

    # The audit log has the making, the preview link and the publishing.
    admin.get_by_role("navigation", name="Admin").get_by_role("link", name="Audit log").click()
    expect(heading(admin)).to_have_text("Audit log")
    rows = admin.get_by_role("region", name="Audit log").locator("tbody tr")
    made, linked, published = (
        f"Create: Created as a draft: {TITLE}",
        "Preview link: Made a link",
        "Publish: Published",
    )
    # Newest first: who, what, and which consultation.
    expect(rows).to_have_text(
        [
            re.compile(rf"{re.escape(admin_user.email)}\s+{re.escape(what)}\s+{re.escape(TITLE)}")
            for what in (published, linked, made)
        ]
    )
    assert_accessible(admin)


def test_an_officer_reads_a_draft_and_can_change_nothing(
    page, make_consultation, assert_accessible
):
    make_consultation(
        slug=SLUG,
        title=TITLE,
        published_at=None,
        channels=["evidence"],
        officer_email=OFFICER,
        evidence_settings={"topics": THEMES},
    )
    make_officer()

    sign_in(page, assert_accessible, OFFICER_EMAIL, OFFICER_PASSWORD)
    expect(page.get_by_role("link", name="Create a consultation")).to_have_count(0)
    row = page.locator(f"#consultation-{SLUG}")
    expect(row.locator(".tag")).to_have_text("Draft")
    row.get_by_role("link", name=TITLE, exact=True).click()

    expect(page).to_have_url(re.compile(rf"{re.escape(ADMIN_PAGE)}$"))
    expect(heading(page)).to_have_text(TITLE)
    expect(page.locator("main .meta")).to_contain_text("Draft")
    expect(page.locator("#checklist")).to_have_text("Ready to publish")
    expect(page.get_by_text("Only an admin can publish it.")).to_be_visible()
    expect(page.get_by_text("Only an admin can make or stop a preview link.")).to_be_visible()
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    expect(page.get_by_role("button", name="Make a preview link")).to_have_count(0)
    expect(page.get_by_role("link", name="Change settings")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Make a copy"))).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Download as a file"))).to_have_count(0)
    assert_accessible(page)
    assert_fits_narrowest_screen(page)
