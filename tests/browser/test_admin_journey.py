"""An officer at 390x844 signs in, searches, filters, tags, notes and exports; an admin reads
the dashboard's per-day chart and the survey summary's charts.

The issue's acceptance test. Each test runs with JavaScript on (htmx swaps the list's
results into #found and a response's panels into #tags and #notes) and off (plain GETs,
POSTs and 303 redirects with a flashed message). Responses come in through the real
public forms (two survey routes and written evidence, sent by test clients on other days);
an admin defines two tags through the real tags form. axe checks every page the officer
reaches, error states included, and the list, response, summary and dashboard pages must
not scroll sideways at 390 pixels. The CSV is downloaded by the browser and parsed.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from app.admin.exports import DETAIL_COLUMNS
from app.extensions import db
from app.models import OFFICER, SUBMITTED, AdminUser, AuditEvent, Note, Response, Tag
from tests.support.browser import (
    assert_no_sideways_scroll,
    heading,
    mark_document,
    press,
    sign_in,
    visit,
)
from tests.support.clients import START, new_browser
from tests.support.evidence import VALID as VALID_EVIDENCE
from tests.support.evidence import send as send_evidence
from tests.support.factories import OFFICER_EMAIL, OFFICER_PASSWORD, AuthActions, csrf_token
from tests.support.survey import send as send_survey
from tests.support.survey import take_route

pytestmark = pytest.mark.browser

SLUG = "test-consultation"  # make_survey's consultation
TITLE = "Community services review"
RESPONSES_URL = f"/admin/consultations/{SLUG}/responses"
TAGS_URL = f"/admin/consultations/{SLUG}/tags"
WORD = "allotments"  # in the resident's story and in the evidence, not in the councillor's
NOTE = "Rang Pat back: the allotment contract is up for renewal in May."
TAG, OTHER_TAG = "Priority", "Follow up"

RESIDENT_ROUTE = {
    1: {"q_role": "Resident", "q_postcode": "LS6 2AB"},
    4: {"q_confidence": "4", "q_story": f"The {WORD} by the river need a local contractor."},
}
RESIDENT_DETAILS = {
    "respond_as": "individual",
    "name": "Pat Reid",
    "email": "pat@example.org",
    "publish": "named",
    "consent": "y",
}
COUNCIL_ROUTE = {
    1: {"q_role": "Council officer", "q_postcode": "LS1 1UR"},
    3: {"q_commissions": "yes", "q_budget": "40"},
    4: {"q_confidence": "2", "q_story": "Framework contracts shut out small providers."},
}
COUNCIL_DETAILS = {
    "respond_as": "individual",
    "name": "Sam Cole",
    "email": "sam@example.org",
    "publish": "anonymous",
    "consent": "y",
}
EVIDENCE = {
    **VALID_EVIDENCE,
    "name": "Jo Hart",
    "email": "jo@example.org",
    "evidence": f"Our volunteers keep three {WORD} open for the council.",
}


@dataclass
class Received:
    """The references of the responses sent in, and the tags the admin defined."""

    resident: str
    council: str
    evidence: str
    tag_ids: dict[str, int]


def found(page: Page) -> Locator:
    """The list's results: the count, the export links and the table (htmx's #found)."""
    return page.locator("#found")


def result_rows(page: Page) -> Locator:
    return found(page).locator("tbody tr")


def assert_same_document(page: Page, javascript: bool) -> None:
    if javascript:
        assert page.evaluate("window.sameDocument") is True, "the whole page was reloaded"


def stored_reference(name: str) -> str:
    db.session.rollback()
    return db.session.scalars(
        select(Response.reference).filter_by(status=SUBMITTED, name=name)
    ).one()


@pytest.fixture
def received(app: Flask, client, clock, make_survey, admin_user) -> Received:
    """A survey with two survey responses and one written evidence, sent on three days
    through the public forms, two tags added by an admin, and an officer who may sign in.

    The clock ends at conftest's START (1 February 2027, noon), the consultation having
    opened on 25 January.
    """
    make_survey()

    clock.set(START - timedelta(days=5))
    resident = new_browser(app)
    take_route(resident, RESIDENT_ROUTE, RESIDENT_DETAILS)
    assert send_survey(resident, clock).status_code == 303
    clock.set(START - timedelta(days=2))
    assert send_evidence(new_browser(app), clock, EVIDENCE).status_code == 303
    clock.set(START - timedelta(days=2, hours=-1))
    council = new_browser(app)
    take_route(council, COUNCIL_ROUTE, COUNCIL_DETAILS)
    assert send_survey(council, clock).status_code == 303
    clock.set(START)

    admin = new_browser(app)
    assert AuthActions(admin).login().status_code == 303
    token = csrf_token(admin, TAGS_URL)
    for name, description in ((TAG, "Needs an answer soon"), (OTHER_TAG, "")):
        added = admin.post(
            TAGS_URL, data={"csrf_token": token, "name": name, "description": description}
        )
        assert added.status_code == 303, added.get_data(as_text=True)[:500]

    officer = AdminUser(email=OFFICER_EMAIL, role=OFFICER)
    officer.set_password(OFFICER_PASSWORD)
    db.session.add(officer)
    db.session.commit()

    tag_ids = {tag.name: tag.id for tag in db.session.scalars(select(Tag))}
    assert set(tag_ids) == {TAG, OTHER_TAG}
    return Received(
        resident=stored_reference(RESIDENT_DETAILS["name"]),
        council=stored_reference(COUNCIL_DETAILS["name"]),
        evidence=stored_reference(EVIDENCE["name"]),
        tag_ids=tag_ids,
    )


def show_responses(page: Page, javascript: bool, status: int = 200) -> None:
    """Press "Show responses": htmx fetches the results into #found, or the page reloads."""
    mark_document(page, javascript)
    with page.expect_response(re.compile(rf"{re.escape(RESPONSES_URL)}\?")) as answer:
        press(page, "Show responses")
    assert answer.value.status == status, answer.value.url
    assert (answer.value.request.headers.get("hx-request") == "true") is javascript
    page.wait_for_load_state()
    assert_same_document(page, javascript)


def open_filters(page: Page) -> None:
    """Unfold "Filter the responses" if it is folded."""
    if not page.get_by_label("Type", exact=True).is_visible():
        page.get_by_text("Filter the responses", exact=True).click()
    expect(page.get_by_label("Type", exact=True)).to_be_visible()


def found_count(page: Page) -> Locator:
    return found(page).get_by_role("status")


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The downloaded CSV as a spreadsheet reads it: BOM dropped, one dict per row."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, *body = rows
    assert header[: len(DETAIL_COLUMNS)] == DETAIL_COLUMNS
    assert all(len(row) == len(header) for row in body), "a row does not fit the header"
    return [dict(zip(header, row, strict=True)) for row in body]


def test_an_officer_searches_filters_tags_notes_and_exports(
    page, javascript, received, assert_accessible
):
    sign_in(page, assert_accessible, OFFICER_EMAIL, OFFICER_PASSWORD)
    # An officer reads; the admin's controls are not offered.
    admin_menu = page.get_by_role("navigation", name="Admin")
    expect(admin_menu.get_by_role("link", name="Consultations")).to_be_visible()
    expect(admin_menu.get_by_role("link", name="Users")).to_have_count(0)
    row = page.locator(f"#consultation-{SLUG}")
    expect(row.get_by_role("button", name="Closed", exact=True)).to_have_count(0)
    expect(row.locator("figure.day-chart")).to_contain_text("3 in all")
    assert_no_sideways_scroll(page)

    # The list: every response, newest first.
    row.get_by_role("link", name=f"Responses to {TITLE}", exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(RESPONSES_URL)}$"))
    expect(heading(page)).to_have_text(f"Responses to {TITLE}")
    expect(found_count(page)).to_have_text("3 responses received.")
    expect(result_rows(page).locator("td:first-child")).to_have_text(
        [received.council, received.evidence, received.resident]
    )
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # Search for a word: the resident's survey and the evidence use it.
    page.get_by_label("Search the responses").fill(WORD.upper())
    show_responses(page, javascript)
    expect(page).to_have_url(re.compile(rf"\?(.*&)?q={WORD.upper()}(&|$)"))
    expect(found_count(page)).to_have_text("2 responses match these filters.")
    expect(result_rows(page).locator("td:first-child")).to_have_text(
        [received.evidence, received.resident]
    )
    assert_accessible(page)

    # ... and only survey responses among them.
    open_filters(page)
    page.get_by_label("Type", exact=True).select_option(label="Survey responses")
    show_responses(page, javascript)
    expect(found_count(page)).to_have_text("1 response matches these filters.")
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page).first).to_contain_text("Pat Reid")
    expect(page.get_by_label("Search the responses")).to_have_value(WORD.upper())
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # Open the response.
    found(page).get_by_role("link", name=received.resident, exact=True).click()
    expect(heading(page)).to_have_text(f"Response {received.resident}")
    expect(page.get_by_text(RESIDENT_ROUTE[4]["q_story"])).to_be_visible()
    expect(page.get_by_role("link", name="Delete this response")).to_have_count(0)
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # Tick a tag and save.
    tags = page.get_by_role("group", name="Tags for this response")
    expect(tags.get_by_role("checkbox")).to_have_count(2)
    tags.get_by_label(TAG, exact=True).check()
    mark_document(page, javascript)
    press(page, "Save tags")
    if javascript:
        expect(page.locator("#tags").get_by_role("status")).to_have_text("Tags saved.")
        assert_same_document(page, javascript)
    else:
        expect(page).to_have_url(re.compile(r"/admin/responses/\d+#tags$"))
        expect(page.locator("#flashes").get_by_role("status")).to_have_text("Tags saved.")
    tags = page.get_by_role("group", name="Tags for this response")
    expect(tags.get_by_label(TAG, exact=True)).to_be_checked()
    expect(tags.get_by_label(OTHER_TAG, exact=True)).not_to_be_checked()
    assert_accessible(page)
    db.session.rollback()
    tagged = db.session.scalars(select(Response).filter_by(reference=received.resident)).one()
    assert [tag.name for tag in tagged.tags] == [TAG]

    # An empty note is refused, with the problem summarised and by the field.
    notes = page.locator("#notes")
    mark_document(page, javascript)
    with page.expect_response(re.compile(r"/admin/responses/\d+/notes$")) as answer:
        press(page, "Add note")
    assert answer.value.status == 422
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter the note")).to_be_visible()
    expect(page.get_by_label("Add a note")).to_have_accessible_description(
        re.compile("Error: Enter the note")
    )
    if javascript:
        assert_same_document(page, javascript)
        expect(summary).to_be_focused()
    else:
        expect(page).to_have_title(f"Error: Response {received.resident} – Have your say")
    assert_accessible(page)

    # A note.
    page.get_by_label("Add a note").fill(NOTE)
    mark_document(page, javascript)
    press(page, "Add note")
    if javascript:
        expect(notes.get_by_role("status")).to_have_text("Note added.")
        assert_same_document(page, javascript)
    else:
        expect(page).to_have_url(re.compile(r"/admin/responses/\d+#notes$"))
        expect(page.locator("#flashes").get_by_role("status")).to_have_text("Note added.")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(notes.get_by_role("listitem")).to_have_count(1)
    expect(notes.get_by_role("listitem")).to_contain_text(NOTE)
    expect(notes.get_by_role("listitem")).to_contain_text(OFFICER_EMAIL)
    expect(page.get_by_label("Add a note")).to_have_value("")
    assert_accessible(page)
    db.session.rollback()
    [note] = db.session.scalars(select(Note)).all()
    assert (note.author, note.text, note.response.reference) == (
        OFFICER_EMAIL,
        NOTE,
        received.resident,
    )

    # Back to the list, filtered by the tag: it finds the tagged response.
    page.get_by_role("link", name="All responses").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(RESPONSES_URL)}$"))
    expect(found_count(page)).to_have_text("3 responses received.")
    open_filters(page)
    page.get_by_label("Tag", exact=True).select_option(label=TAG)
    show_responses(page, javascript)
    expect(found_count(page)).to_have_text("1 response matches these filters.")
    expect(result_rows(page)).to_have_count(1)
    expect(result_rows(page).first.locator("td").first).to_have_text(received.resident)
    expect(result_rows(page).first.locator("td").last).to_have_text(TAG)
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # Download the tagged responses as a CSV: the same filter, the tag in its row.
    csv_link = found(page).get_by_role("link", name="CSV file", exact=True)
    xlsx_link = found(page).get_by_role("link", name="Excel (XLSX) file", exact=True)
    tag_filter = f"tag={received.tag_ids[TAG]}"
    expect(csv_link).to_have_attribute("href", re.compile(rf"/responses\.csv\?{tag_filter}$"))
    expect(xlsx_link).to_have_attribute("href", re.compile(rf"/responses\.xlsx\?{tag_filter}$"))
    with page.expect_download() as download_info:
        csv_link.click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == f"{SLUG}-responses-2027-02-01.csv"
    [row] = csv_rows(Path(download.path()))
    assert row["Reference"] == received.resident
    assert row["Tags"] == TAG
    assert row["Name"] == "Pat Reid"
    assert row["role"] == "Resident"
    db.session.rollback()
    [export] = db.session.scalars(select(AuditEvent).filter_by(action="export")).all()
    assert export.actor == OFFICER_EMAIL
    assert export.detail == f"Exported 1 response as CSV (Tag: {TAG})"

    # A date filter that is not a real date: the problem is summarised, nothing listed.
    # (The page's title says "Error: " twice: see test_admin_fuzz's title test.)
    visit(page, f"{RESPONSES_URL}?q={WORD}&since=2027-02-30", status=422)
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link", name="Enter a real date, like 2027-03-01")).to_be_visible()
    expect(page.get_by_label("Received from")).to_have_attribute("aria-invalid", "true")
    expect(found(page)).to_contain_text("Correct the filters to see the responses.")
    expect(result_rows(page)).to_have_count(0)
    expect(found(page).get_by_role("link", name="CSV file")).to_have_count(0)
    assert_accessible(page)

    # The survey's summary, from the consultation's tabs.
    page.get_by_role("navigation", name=TITLE).get_by_role("link", name="Summary").click()
    expect(heading(page)).to_have_text(f"Summary of {TITLE}")
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # The dashboard again, from the admin menu.
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Consultations").click()
    expect(heading(page)).to_have_text("Consultations")
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # A page only admins may see.
    visit(page, f"/admin/consultations/{SLUG}/dates", status=403)
    assert_accessible(page)


def test_a_date_range_the_wrong_way_round_is_explained_by_the_fields(
    request, page, javascript, received, assert_accessible
):
    """Dates chosen in the filters, the end before the start: an error summary at the top
    and the message by the field, with JavaScript (htmx) as without."""
    sign_in(page, lambda _: None, OFFICER_EMAIL, OFFICER_PASSWORD)
    visit(page, RESPONSES_URL)
    open_filters(page)
    page.get_by_label("Received from").fill("2027-01-31")
    page.get_by_label("Received up to").fill("2027-01-27")
    show_responses(page, javascript, status=422)

    message = "The end date must be the same as or after the start date"
    expect(found(page)).to_contain_text("Correct the filters to see the responses.")
    expect(result_rows(page)).to_have_count(0)
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary.get_by_role("link", name=message)).to_be_visible()
    expect(page.get_by_label("Received up to")).to_have_accessible_description(
        re.compile(f"Error: {message}")
    )
    # What was chosen is kept.
    expect(page.get_by_label("Received from")).to_have_value("2027-01-31")
    expect(page.get_by_label("Received up to")).to_have_value("2027-01-27")
    assert_accessible(page)


def test_an_admin_sees_the_per_day_chart_the_survey_charts_and_adds_a_tag(
    page, received, assert_accessible
):
    sign_in(page, assert_accessible)

    # Responses per day since the opening on 25 January: 1 on the 27th, 2 on the 30th.
    chart = page.locator(f"#consultation-{SLUG} figure.day-chart")
    expect(chart.locator("figcaption")).to_have_text(
        "Responses per day, Mon 25 Jan to Mon 1 Feb: 3 in all"
    )
    columns = chart.locator("svg rect.bar")
    expect(columns).to_have_count(8)
    heights = [float(columns.nth(n).get_attribute("height")) for n in range(8)]
    assert heights[5] == max(heights) > heights[2] > 0, heights
    assert [n for n, height in enumerate(heights) if height == 0] == [0, 1, 3, 4, 6, 7], heights
    chart.get_by_text("Numbers per day").click()
    per_day = chart.get_by_role("table", name=f"Responses per day to {TITLE}")
    expect(per_day.locator("tbody tr")).to_have_count(8)
    expect(per_day.locator("tbody tr").filter(has_text="Sat 30 Jan")).to_contain_text("2")
    expect(per_day.locator("tbody tr").filter(has_text="Wed 27 Jan")).to_contain_text("1")
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # The survey's summary: a chart and a table for each choice question.
    page.get_by_role("link", name=f"Summary of {TITLE}", exact=True).click()
    expect(heading(page)).to_have_text(f"Summary of {TITLE}")
    expect(page.get_by_text("2 survey responses.", exact=False)).to_be_visible()
    role = page.get_by_role("region", name="Which best describes you?", exact=True)
    expect(role.locator("svg.bar-chart rect.bar")).to_have_count(3)
    numbers = role.get_by_role("table", name="Which best describes you?")
    expect(numbers.locator("tbody tr")).to_have_text(
        [
            re.compile(r"Community organisation\s*0\s*0%"),
            re.compile(r"Council officer\s*1\s*50%"),
            re.compile(r"Resident\s*1\s*50%"),
        ]
    )
    confidence = page.get_by_role(
        "region", name="How far do you agree that services are bought well?", exact=True
    )
    expect(confidence.get_by_text("2 answered.")).to_be_visible()
    assert_accessible(page)
    assert_no_sideways_scroll(page)

    # Tags: a name is needed; then a third tag is added.
    page.get_by_role("navigation", name=TITLE).get_by_role("link", name="Tags").click()
    expect(heading(page)).to_have_text(f"Tags for {TITLE}")
    assert_accessible(page)
    press(page, "Add tag")
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("link", name="Enter a name for the tag")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Tag", exact=True).fill("  Cost   of living ")
    press(page, "Add tag")
    expect(page.get_by_role("status")).to_have_text("Tag Cost of living added.")
    table = page.get_by_role("table", name="Tags and how many responses carry each")
    expect(table.locator("tbody tr td:first-child")).to_have_text(
        ["Cost of living", OTHER_TAG, TAG]
    )
    assert_accessible(page)
    assert_no_sideways_scroll(page)
