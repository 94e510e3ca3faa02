"""What the admin sees of a response its respondent has changed: the response page says
so and keeps every earlier version with what changed, the list marks it, the exports say
which version each row is, and the audit log says the respondent did it.

Responses are sent through the public forms; the respondent's changes are made with
app.intake.changes.apply_change, the service their change pages call, carrying the link
from their receipt. The clock is in February, so times are GMT and read as UTC.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select

from app.admin.exports import DETAIL_COLUMNS, SURVEY_VERSION_COLUMN, VERSION_COLUMNS
from app.extensions import db
from app.intake.changes import ChangeSending, Outcome, apply_change
from app.intake.submissions import new_token
from app.models import SUBMITTED, Response
from tests.support.actors import Respondent
from tests.support.clients import Clock
from tests.support.evidence import VALID as EVIDENCE
from tests.support.factories import SLUG, TITLE
from tests.support.pages import error_messages, h1_text, page, text_of
from tests.support.respondents import queued_receipt_link, token_of
from tests.support.responses import LIST_URL
from tests.support.survey import OFFICER_ROUTE

SENT_AT = datetime(2027, 2, 1, 12, 0, 5, tzinfo=UTC)  # the clock's start and 5 seconds to fill in
FIRST_CHANGE = datetime(2027, 2, 3, 9, 30, tzinfo=UTC)
SECOND_CHANGE = datetime(2027, 2, 10, 17, 0, tzinfo=UTC)
DEADLINE = datetime(2027, 2, 20, 17, 0, tzinfo=UTC)
NEW_EVIDENCE = "Payment now arrives 30 days after invoicing.\nWe no longer borrow."


# --- the respondent's side --------------------------------------------------------------------


def stored(channel: str) -> Response:
    db.session.rollback()
    return db.session.scalars(select(Response).filter_by(channel=channel, status=SUBMITTED)).one()


def receipt_token(reference: str) -> str:
    """The token of the respondent's link in the receipt for `reference`."""
    return token_of(queued_receipt_link(reference))


def change(response: Response, token: str, at: datetime, late: bool = False, **values) -> None:
    """The respondent changes `values` from a form loaded with the current version."""
    sending = ChangeSending(new_token(), response.version, at, late, token)

    def edit(item: Response) -> None:
        for name, value in values.items():
            setattr(item, name, value)

    assert apply_change(response, sending, edit) is Outcome.CHANGED


def send_evidence(app, clock: Clock, **fields) -> Response:
    sent = Respondent(app, clock).sends_evidence({**EVIDENCE, **fields})
    assert sent.status_code == 303, error_messages(sent)
    return stored("evidence")


# --- reading the admin's pages ----------------------------------------------------------------


def version_section(soup, number: int):
    heading = soup.find("h3", id=f"version-{number}")
    assert heading is not None, f"no version {number}"
    return heading.find_parent("section")


def changes_in(section) -> dict[str, str]:
    """What changed, as shown: label -> "Before: ... After: ..."."""
    listed = section.find("dl", class_="changes")
    return {text_of(row.find("dt")): text_of(row.find("dd")) for row in listed.select("dl > div")}


def in_full(section) -> dict[str, str]:
    """The version as it read, from its <details>."""
    details = section.find("details")
    return {text_of(row.find("dt")): text_of(row.find("dd")) for row in details.select("dl > div")}


def list_row(admin, reference: str) -> list[str]:
    rows = page(admin.get(LIST_URL)).find("tbody").find_all("tr")
    cells = {text_of(row.find("td")): row.find_all("td") for row in rows}
    return [text_of(cell) for cell in cells[reference]]


def export(admin, file_format: str):
    download = admin.get(f"/admin/consultations/{SLUG}/responses.{file_format}")
    assert download.status_code == 200
    data = download.get_data()
    download.close()
    return data


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def consultation(make_survey):
    return make_survey(closes_at=DEADLINE)


@pytest.fixture
def changed(app, clock, consultation) -> Response:
    """Written evidence its respondent has changed twice: the organisation and the
    evidence, then the publication choice."""
    response = send_evidence(app, clock)
    token = receipt_token(response.reference)
    change(
        response,
        token,
        FIRST_CHANGE,
        organisation="Northside Community Pantry",
        evidence_text=NEW_EVIDENCE,
    )
    change(stored("evidence"), token, SECOND_CHANGE, publish="no")
    clock.set(SECOND_CHANGE + timedelta(days=1))
    return stored("evidence")


# --- the response page ------------------------------------------------------------------------


def test_the_page_says_the_respondent_changed_it_and_when(admin, changed):
    shown = admin.get(f"/admin/responses/{changed.id}")

    assert shown.status_code == 200
    soup = page(shown)
    assert h1_text(shown) == f"Response {changed.reference}"
    assert "Received midday UK time on 1 February 2027." in text_of(soup)
    assert (
        "Changed by the respondent on Wednesday 10 February 2027 at 5pm UK time (version 3)."
        in text_of(soup)
    )
    # What the page shows above the versions is what the respondent sent last.
    assert "Northside Community Pantry" in text_of(soup.find("main"))
    assert soup.find("h2", string="Versions") is not None


def test_each_older_version_is_listed_newest_first_with_what_changed_next(admin, changed):
    soup = page(admin.get(f"/admin/responses/{changed.id}"))

    versions = soup.find("section", id="versions")
    assert [text_of(h) for h in versions.find_all("h3")] == ["Version 2", "Version 1"]
    second, first = version_section(soup, 2), version_section(soup, 1)
    assert "Changed on Wednesday 3 February 2027 at 9:30am UK time." in text_of(second)
    assert "Sent on Monday 1 February 2027 at midday UK time." in text_of(first)
    assert "What changed in version 3, on Wednesday 10 February 2027 at 5pm UK time" in (
        text_of(second)
    )
    assert changes_in(second) == {
        "May we publish your response?": "Before: Yes, anonymously After: No, do not publish",
    }
    assert changes_in(first) == {
        "Organisation": "Before: Northside Food Bank After: Northside Community Pantry",
        "Evidence": " ".join(f"Before: {EVIDENCE['evidence']} After: {NEW_EVIDENCE}".split()),
    }
    # Before and after each on a line of its own, named alike for everyone.
    publish = second.find("dl", class_="changes").find("dd")
    assert [text_of(line) for line in publish.find_all("div")] == [
        "Before: Yes, anonymously",
        "After: No, do not publish",
    ]
    assert publish.select(".visually-hidden, [aria-hidden]") == []


def test_each_older_version_can_be_read_in_full(admin, changed):
    soup = page(admin.get(f"/admin/responses/{changed.id}"))

    first = version_section(soup, 1)
    assert text_of(first.find("details").find("summary")) == "Version 1 in full"
    assert in_full(first) == {
        "Name": "Ada Jones",
        "Email address": "ada@example.org",
        "Which best describes you?": "Community organisation",
        "Organisation": "Northside Food Bank",
        "Themes": "Trends; Local successes",
        "Evidence": " ".join(EVIDENCE["evidence"].split()),
        "May we publish your response?": "Yes, anonymously",
    }
    assert in_full(version_section(soup, 2))["Organisation"] == "Northside Community Pantry"


def test_a_response_never_changed_has_no_versions(app, admin, clock, consultation):
    response = send_evidence(app, clock)

    soup = page(admin.get(f"/admin/responses/{response.id}"))

    assert soup.find(id="versions") is None
    assert "Changed by the respondent" not in text_of(soup)


def test_a_change_in_the_grace_period_is_flagged_late_and_the_first_sending_is_not(
    app, admin, clock, consultation
):
    response = send_evidence(app, clock)
    clock.set(DEADLINE + timedelta(minutes=10))

    change(response, receipt_token(response.reference), clock.now, late=True, publish="no")

    soup = page(admin.get(f"/admin/responses/{response.id}"))
    assert "Received midday UK time on 1 February 2027." in text_of(soup)
    assert (
        "Changed by the respondent on Saturday 20 February 2027 at 5:10pm UK time (version 2),"
        " after the deadline within the grace period." in text_of(soup)
    )
    assert "grace period" not in text_of(version_section(soup, 1))


def test_a_survey_answer_changed_is_shown_by_its_question(app, admin, clock, consultation):
    respondent = Respondent(app, clock)
    respondent.takes_route(OFFICER_ROUTE)
    assert respondent.sends().status_code == 303
    response = stored("survey")

    change(
        response,
        receipt_token(response.reference),
        FIRST_CHANGE,
        answers={**response.answers, "postcode": "ZZ9 9ZZ"},
    )

    soup = page(admin.get(f"/admin/responses/{response.id}"))
    assert changes_in(version_section(soup, 1)) == {
        "What is your postcode?": "Before: AB1 2CD After: ZZ9 9ZZ"
    }


# --- the list, the exports and the audit log --------------------------------------------------


def test_the_list_marks_a_changed_response_with_when(app, admin, clock, changed):
    clock.set(SENT_AT + timedelta(days=1))
    other = Respondent(app, clock).sends_evidence({**EVIDENCE, "email": "bo@example.org"})
    assert other.status_code == 303
    unchanged = db.session.scalars(
        select(Response).where(Response.id != changed.id, Response.channel == "evidence")
    ).one()

    assert list_row(admin, changed.reference)[3] == (
        "midday UK time on 1 February 2027 Changed 5pm UK time on 10 February 2027"
    )
    assert list_row(admin, unchanged.reference)[3] == "midday UK time on 2 February 2027"


def test_the_csv_ends_each_row_with_its_version_and_when_it_was_last_changed(
    app, admin, clock, changed
):
    clock.set(SENT_AT + timedelta(days=1))
    assert Respondent(app, clock).sends_evidence(EVIDENCE).status_code == 303

    rows = list(csv.reader(io.StringIO(export(admin, "csv").decode("utf-8-sig"), newline="")))

    header = rows[0]
    assert header[: len(DETAIL_COLUMNS)] == DETAIL_COLUMNS
    assert header[-3:-1] == VERSION_COLUMNS == ["Version", "Changed by the respondent"]
    assert header[-1] == SURVEY_VERSION_COLUMN == "Survey version"
    by_reference = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    mine = by_reference.pop(changed.reference)
    assert (mine["Version"], mine["Changed by the respondent"]) == ("3", "2027-02-10 17:00")
    # The row holds the response as it is now.
    assert mine["Organisation"] == "Northside Community Pantry"
    assert mine["Publication"] == "No, do not publish"
    [other] = by_reference.values()
    assert (other["Version"], other["Changed by the respondent"]) == ("1", "")


def test_the_xlsx_ends_each_row_with_its_version_as_a_number(admin, changed):
    sheet = openpyxl.load_workbook(io.BytesIO(export(admin, "xlsx")))["Responses"]

    header, row = [[cell.value for cell in line] for line in sheet.iter_rows()]
    assert header[-3:] == [*VERSION_COLUMNS, SURVEY_VERSION_COLUMN]
    assert row[0] == changed.reference
    assert row[-3:-1] == [3, "2027-02-10 17:00"]


def test_the_audit_log_says_the_respondent_changed_it(admin, changed):
    rows = page(admin.get("/admin/audit")).find("tbody").find_all("tr")

    cells = [[text_of(cell) for cell in row.find_all("td")] for row in rows]
    assert [row[1:] for row in cells][:2] == [
        [
            "The respondent",
            f"Response changed: Response {changed.reference} (Written evidence) changed by the"
            " respondent: now version 3",
            TITLE,
        ],
        [
            "The respondent",
            f"Response changed: Response {changed.reference} (Written evidence) changed by the"
            " respondent: now version 2",
            TITLE,
        ],
    ]
    assert "Ada" not in text_of(page(admin.get("/admin/audit")))
