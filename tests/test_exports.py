"""Exporting responses as CSV and XLSX, as an admin or officer downloads and opens them.

Respondents take part through the real public forms (three survey routes, written
evidence with a document, a message with a booked call), an admin tags one response,
and the files are read back with the csv module and openpyxl and compared cell by cell
with what was sent. The clock is in June, so "Received" shows British Summer Time.
"""

from __future__ import annotations

import csv
import io
import math
import secrets
import tempfile
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import insert, select

from app.admin.exports import (
    BATCH_SIZE,
    CUT_NOTE,
    DETAIL_COLUMNS,
    SURVEY_VERSION_COLUMN,
    VERSION_COLUMNS,
    XLSX_CELL_LIMIT,
)
from app.extensions import db
from app.models import SUBMITTED, AdminUser, AuditEvent, Response, Tag, response_tag
from tests.support import sample_files as sf
from tests.support.contact import VALID_MESSAGE, call_url, choose, publish, send_message
from tests.support.evidence import VALID as VALID_EVIDENCE
from tests.support.evidence import send as send_evidence
from tests.support.factories import AuthActions
from tests.support.pages import h1_text
from tests.support.survey import answer, take_route
from tests.support.survey import send as send_survey

SLUG = "test-consultation"
CSV_URL = f"/admin/consultations/{SLUG}/responses.csv"
XLSX_URL = f"/admin/consultations/{SLUG}/responses.xlsx"
QUESTION_KEYS = [
    "role",
    "postcode",
    "delivers_now",
    "obstacles",
    "commissions",
    "budget",
    "confidence",
    "story",
    "contact_email",
]
HEADER = DETAIL_COLUMNS + QUESTION_KEYS + VERSION_COLUMNS + [SURVEY_VERSION_COLUMN]
JUNE = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # 1pm in London (BST)
CALL_AT = datetime(2027, 6, 2, 9, 0, tzinfo=UTC)  # 10am in London
BOM = b"\xef\xbb\xbf"
FORM_FEED = "\x0c"  # kept by the forms (HTML allows it) but not allowed in XML

OFFICER_ROUTE = {
    1: {"q_role": "Council officer", "q_postcode": "=1+1"},
    3: {"q_commissions": "yes", "q_budget": "12"},
    4: {"q_confidence": "2", "q_story": "@SUM(A1)", "q_contact_email": "sian.work@example.org"},
}
OFFICER_DETAILS = {
    "respond_as": "individual",
    "name": "Siân Prŷs",
    "email": "sian@example.org",
    "publish": "anonymous",
    "consent": "y",
}
WELSH_STORY = "Diolch yn fawr 🙂 — mae’n bwysig i’r gymuned"
ORGANISATION_ROUTE = {
    1: {"q_role": "Community organisation", "q_postcode": "-5"},
    2: {
        "q_delivers_now": "yes",
        "q_obstacles": ["Paperwork", "__other__"],
        "other_obstacles": "Insurance",
    },
    4: {"q_confidence": "4", "q_story": WELSH_STORY},
}
ORGANISATION_DETAILS = {
    "respond_as": "organisation",
    "organisation": "+44 20 7946 0000 Trust",
    "name": "Bob Evans",
    "email": "bob@example.org",
    "publish": "named",
    "consent": "y",
}
RESIDENT_ROUTE = {1: {"q_role": "Resident", "q_postcode": "#N/A"}, 4: {"q_confidence": "3"}}
RESIDENT_DETAILS = {
    "respond_as": "individual",
    "name": "",
    "email": "",
    "publish": "no",
    "consent": "y",
}
EVIDENCE_TEXT = f"Page one about turnips.{FORM_FEED}Page two."
EVIDENCE = {**VALID_EVIDENCE, "evidence": EVIDENCE_TEXT, "publish": "no"}
DOCUMENT_NAME = "\tbudget.txt"
MESSAGE = {
    **VALID_MESSAGE,
    "subject": "=2+3",
    "message": "Ffoniwch fi 📞 os gwelwch yn dda",
}

# Text a spreadsheet would run, and what the export must make of it: (who, column, cell).
FORMULA_CASES = [
    ("officer", "postcode", "'=1+1"),
    ("officer", "story", "'@SUM(A1)"),
    ("organisation", "Organisation", "'+44 20 7946 0000 Trust"),
    ("organisation", "postcode", "'-5"),
    ("evidence", "Documents", "'\tbudget.txt"),
    ("message", "Subject", "'=2+3"),
    ("resident", "postcode", "#N/A"),  # no formula, but openpyxl would make it an error value
]


# --- helpers ---------------------------------------------------------------------------------


def body(response) -> bytes:
    """The whole download; then the response is closed, as a WSGI server closes it
    once sent (which closes the XLSX's temporary file)."""
    data = response.get_data()
    response.close()
    return data


def csv_rows(response) -> list[list[str]]:
    """The CSV body read as a spreadsheet would: BOM dropped, quoted line breaks kept."""
    text = body(response).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def xlsx_sheet(response):
    """The one sheet of the XLSX body, loaded fully (types included)."""
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    assert workbook.sheetnames == ["Responses"]
    return workbook["Responses"]


def xlsx_values(sheet) -> list[list]:
    """Every row's values; a blank cell as "", as the CSV has it."""
    return [["" if cell.value is None else cell.value for cell in row] for row in sheet.iter_rows()]


def as_rows(expected: list[dict]) -> list[list]:
    """Rows of `expected` column -> value, in HEADER order, blanks filled in; each the
    first version, never changed by its respondent (tests/test_admin_versions.py changes),
    and a survey response the survey's first version."""
    return [
        [{"Version": "1", **_survey_version(row), **row}.get(column, "") for column in HEADER]
        for row in expected
    ]


def _survey_version(row: dict) -> dict:
    return {SURVEY_VERSION_COLUMN: "1"} if row["Type"] == "Survey" else {}


def stored(**where) -> Response:
    db.session.rollback()
    return db.session.scalars(select(Response).filter_by(status=SUBMITTED, **where)).one()


def tag(response: Response, *names: str) -> list[Tag]:
    """Give the response these tags, straight in the database (tagging has its own tests)."""
    tags = [Tag(consultation_id=response.consultation_id, name=name) for name in names]
    db.session.add_all(tags)
    db.session.flush()
    db.session.execute(
        insert(response_tag), [{"response_id": response.id, "tag_id": t.id} for t in tags]
    )
    db.session.commit()
    return tags


def exports() -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(select(AuditEvent).filter_by(action="export").order_by(AuditEvent.id))
    )


def downloaded_name(response) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    return disposition.split("filename=", 1)[1].strip('"')


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def summer(clock):
    clock.set(JUNE)
    return clock


@pytest.fixture
def consultation(summer, make_survey):
    return make_survey()


@pytest.fixture
def browser(app, client):
    """Opens another person's browser: a checked client with its own cookies."""
    return app.test_client


@pytest.fixture
def responses(app, consultation, summer, browser) -> dict[str, Response]:
    """Five responses sent through the forms, not in the order they are dated, and a draft.

    Every submission takes 5 seconds from opening the form, so each is received at
    the minute its clock is set to.
    """

    def survey(route, details, at):
        summer.set(at)
        person = browser()
        take_route(person, route, details)
        sent = send_survey(person, summer)
        assert sent.status_code == 303, sent.status_code

    summer.set(JUNE + timedelta(hours=3))  # 4pm BST
    sent = send_evidence(browser(), summer, EVIDENCE, [sf.upload("txt", filename=DOCUMENT_NAME)])
    assert sent.status_code == 303, sent.status_code
    survey(OFFICER_ROUTE, OFFICER_DETAILS, JUNE + timedelta(minutes=30))
    survey(ORGANISATION_ROUTE, ORGANISATION_DETAILS, JUNE + timedelta(hours=1))
    summer.set(JUNE + timedelta(hours=2))
    [slot] = publish(consultation, CALL_AT)
    person = browser()
    booked = choose(person, call_url(send_message(person, summer, MESSAGE)), slot)
    assert booked.status_code == 303, booked.status_code
    survey(RESIDENT_ROUTE, RESIDENT_DETAILS, JUNE + timedelta(hours=4))
    # Someone who has started the survey and not sent it: not a response yet.
    answer(browser(), 1, {"q_role": "Resident", "q_postcode": "DRAFT 1"})
    found = {
        "officer": stored(name=OFFICER_DETAILS["name"]),
        "organisation": stored(name=ORGANISATION_DETAILS["name"]),
        "resident": stored(channel="survey", name=""),
        "message": stored(channel="contact"),
        "evidence": stored(channel="evidence"),
    }
    tag(found["officer"], "Priority", "Follow up")
    summer.set(datetime(2027, 6, 1, 23, 30, tzinfo=UTC))  # already 2 June in London
    return found


def expected(responses: dict[str, Response]) -> list[dict]:
    """What each row must hold, column by column, oldest first; CSV text throughout."""
    return [
        {
            "Reference": responses["officer"].reference,
            "Type": "Survey",
            "Received": "2027-06-01 13:30",
            "Accepted late": "No",
            "Name": "Siân Prŷs",
            "Email address": "sian@example.org",
            "Responding as": "As an individual",
            "Publication": "Yes, anonymously",
            "Tags": "Follow up; Priority",
            "role": "Council officer",
            "postcode": "'=1+1",
            "commissions": "yes",
            "budget": "12",
            "confidence": "2",
            "story": "'@SUM(A1)",
            "contact_email": "sian.work@example.org",
        },
        {
            "Reference": responses["organisation"].reference,
            "Type": "Survey",
            "Received": "2027-06-01 14:00",
            "Accepted late": "No",
            "Name": "Bob Evans",
            "Email address": "bob@example.org",
            "Organisation": "'+44 20 7946 0000 Trust",
            "Responding as": "For an organisation",
            "Publication": "Yes, with my name",
            "role": "Community organisation",
            "postcode": "'-5",
            "delivers_now": "yes",
            "obstacles": "Paperwork; Other: Insurance",
            "confidence": "4",
            "story": WELSH_STORY,
        },
        {
            "Reference": responses["message"].reference,
            "Type": "Message",
            "Received": "2027-06-01 15:00",
            "Accepted late": "No",
            "Name": "Ann Example",
            "Email address": "ann@example.org",
            "Organisation": "Riverside Tenants",
            "Subject": "'=2+3",
            "Message": "Ffoniwch fi 📞 os gwelwch yn dda",
            "Telephone": "020 7946 0123",
            "Call": "2027-06-02 10:00",
        },
        {
            "Reference": responses["evidence"].reference,
            "Type": "Written evidence",
            "Received": "2027-06-01 16:00",
            "Accepted late": "No",
            "Name": "Ada Jones",
            "Email address": "ada@example.org",
            "Organisation": "Northside Food Bank",
            "Respondent type": "Community organisation",
            "Publication": "No, do not publish",
            "Themes": "Trends; Local successes",
            "Evidence": EVIDENCE_TEXT,
            "Documents": "'" + DOCUMENT_NAME,
        },
        {
            "Reference": responses["resident"].reference,
            "Type": "Survey",
            "Received": "2027-06-01 17:00",
            "Accepted late": "No",
            "Responding as": "As an individual",
            "Publication": "No, do not publish",
            "role": "Resident",
            "postcode": "#N/A",
            "confidence": "3",
        },
    ]


# --- CSV -------------------------------------------------------------------------------------


def test_the_csv_has_a_row_per_response_with_the_same_columns_whatever_the_route(admin, responses):
    download = admin.get(CSV_URL)

    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert downloaded_name(download) == "test-consultation-responses-2027-06-02.csv"
    assert download.headers["Cache-Control"] == "no-store"
    assert body(download).startswith(BOM)
    rows = csv_rows(download)
    assert rows[0] == HEADER
    assert all(len(row) == len(HEADER) for row in rows)
    assert rows[1:] == as_rows(expected(responses))


def test_the_csv_ends_lines_with_crlf_and_keeps_line_breaks_inside_a_cell(admin, responses):
    data = body(admin.get(CSV_URL))

    lines = data.split(b"\r\n")
    assert lines[0] == BOM + ",".join(HEADER).encode()
    assert lines[-1] == b""  # the last row ends with CRLF too
    assert len(lines) == 1 + 5 + 1


def test_formula_like_text_is_neutralised_in_the_csv(admin, responses):
    rows = {row[0]: dict(zip(HEADER, row, strict=True)) for row in csv_rows(admin.get(CSV_URL))}

    for who, column, text in FORMULA_CASES:
        assert (who, column, rows[responses[who].reference][column]) == (who, column, text)
    # What was stored is what the respondent sent: only the export adds the apostrophe.
    assert responses["officer"].answers["postcode"] == "=1+1"
    assert responses["evidence"].attachments[0].original_name == DOCUMENT_NAME


# --- XLSX ------------------------------------------------------------------------------------


def test_the_xlsx_holds_the_same_cells_with_text_as_text_and_numbers_as_numbers(admin, responses):
    download = admin.get(XLSX_URL)

    assert download.status_code == 200
    assert download.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert downloaded_name(download) == "test-consultation-responses-2027-06-02.xlsx"
    assert download.headers["Cache-Control"] == "no-store"
    sheet = xlsx_sheet(download)
    wanted = as_rows(expected(responses))
    budget = HEADER.index("budget")
    evidence = HEADER.index("Evidence")
    wanted[0][budget] = 12  # a number question's answer, as a number
    wanted[3][evidence] = EVIDENCE_TEXT.replace(FORM_FEED, "")  # XML cannot hold it
    for row in wanted:
        row[HEADER.index("Version")] = 1  # a number, as a number
        if row[HEADER.index(SURVEY_VERSION_COLUMN)]:
            row[HEADER.index(SURVEY_VERSION_COLUMN)] = 1
    assert xlsx_values(sheet) == [HEADER, *wanted]
    cells = list(sheet.iter_rows())
    assert cells[1][budget].data_type == "n"
    assert {cell.data_type for row in cells for cell in row if isinstance(cell.value, str)} == {"s"}


def test_formula_like_text_is_a_neutralised_string_in_the_xlsx(admin, responses):
    sheet = xlsx_sheet(admin.get(XLSX_URL))

    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    for who, column, text in FORMULA_CASES:
        cell = rows[responses[who].reference][HEADER.index(column)]
        assert (who, column, cell.value) == (who, column, text)
        assert cell.data_type == "s", (who, column)  # never "f" (formula) or "e" (error)


def test_text_longer_than_a_spreadsheet_cell_is_cut_in_the_xlsx_and_whole_in_the_csv(
    client, auth, summer, make_survey
):
    make_survey(evidence={"topics": ["Trends"], "max_length": 40_000})
    long_text = "Evidence " + "x" * 35_000
    fields = {**VALID_EVIDENCE, "topics": ["Trends"], "evidence": long_text}
    assert send_evidence(client.application.test_client(), summer, fields).status_code == 303
    auth.login()

    [_, row] = xlsx_values(xlsx_sheet(client.get(XLSX_URL)))
    [_, csv_row] = csv_rows(client.get(CSV_URL))

    cut = row[HEADER.index("Evidence")]
    assert len(cut) == XLSX_CELL_LIMIT
    assert cut == long_text[: XLSX_CELL_LIMIT - len(CUT_NOTE)] + CUT_NOTE
    assert csv_row[HEADER.index("Evidence")] == long_text


def test_the_xlsx_leaves_no_file_behind(admin, responses, monkeypatch, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    download = admin.get(XLSX_URL)
    assert len(xlsx_values(xlsx_sheet(download))) == 6
    download.close()

    assert list(scratch.iterdir()) == []


# --- filters ---------------------------------------------------------------------------------


def references(rows: list[list]) -> list[str]:
    return [row[0] for row in rows[1:]]


def test_only_the_type_chosen_is_exported(admin, responses):
    evidence = csv_rows(admin.get(f"{CSV_URL}?channel=evidence"))
    calls = xlsx_values(xlsx_sheet(admin.get(f"{XLSX_URL}?channel=calls")))
    surveys = csv_rows(admin.get(f"{CSV_URL}?channel=survey"))

    assert evidence[0] == HEADER
    assert references(evidence) == [responses["evidence"].reference]
    assert references(calls) == [responses["message"].reference]
    assert references(surveys) == [
        responses[who].reference for who in ("officer", "organisation", "resident")
    ]


def test_a_search_and_a_tag_filter_the_export(admin, responses):
    priority = db.session.scalars(select(Tag).filter_by(name="Priority")).one()

    by_word = csv_rows(admin.get(f"{CSV_URL}?q=turnips"))
    by_answer = csv_rows(admin.get(f"{CSV_URL}?q=insurance"))
    by_tag = xlsx_values(xlsx_sheet(admin.get(f"{XLSX_URL}?tag={priority.id}")))
    untagged = csv_rows(admin.get(f"{CSV_URL}?tag=none&channel=survey"))

    assert references(by_word) == [responses["evidence"].reference]
    assert references(by_answer) == [responses["organisation"].reference]
    assert references(by_tag) == [responses["officer"].reference]
    assert references(untagged) == [
        responses[who].reference for who in ("organisation", "resident")
    ]


def test_dates_are_read_in_the_site_time_zone(admin, responses):
    # 2 June in London starts at 23:00 UTC on 1 June: nothing was received that day.
    assert references(csv_rows(admin.get(f"{CSV_URL}?since=2027-06-02"))) == []
    assert len(references(csv_rows(admin.get(f"{CSV_URL}?until=2027-06-01")))) == 5


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
@pytest.mark.parametrize(
    "query",
    [
        "channel=everything",
        "since=2027-02-30",
        "since=2027-06-05&until=2027-06-01",
        "tag=12345",
        "q=" + "x" * 201,
    ],
)
def test_filters_that_are_not_valid_are_refused_without_a_file(admin, consultation, url, query):
    refused = admin.get(f"{url}?{query}")

    assert refused.status_code == 422
    assert refused.mimetype == "text/html"
    assert "Content-Disposition" not in refused.headers
    assert h1_text(refused) == "The filters are not valid"
    assert exports() == []


# --- who may export, and the record of it ----------------------------------------------------


def test_an_officer_can_export(client, consultation, responses):
    officer = AdminUser(email="reader@example.org", role="officer")
    officer.set_password("another long password")
    db.session.add(officer)
    db.session.commit()
    AuthActions(client).login("reader@example.org", "another long password")

    assert len(csv_rows(client.get(CSV_URL))) == 6
    assert exports()[0].actor == "reader@example.org"


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_someone_not_signed_in_is_sent_to_sign_in(client, consultation, url):
    refused = client.get(url)

    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/admin/login")
    assert exports() == []


def test_an_unknown_consultation_is_not_found(admin, consultation):
    assert admin.get("/admin/consultations/no-such-thing/responses.csv").status_code == 404
    assert admin.get(f"/admin/consultations/{SLUG}/responses.pdf").status_code == 404


def test_each_export_is_audited_with_its_count_and_filters(admin, responses, consultation):
    body(admin.get(CSV_URL))
    body(admin.get(f"{XLSX_URL}?channel=evidence"))
    body(admin.get(f"{CSV_URL}?channel=survey&late=no"))

    events = exports()
    assert [event.detail for event in events] == [
        "Exported 5 responses as CSV (no filters)",
        "Exported 1 response as XLSX (Type: Written evidence)",
        "Exported 3 responses as CSV (Type: Survey responses; Deadline: On time)",
    ]
    assert {event.actor for event in events} == {"admin@example.org"}
    assert {event.consultation_id for event in events} == {consultation.id}


def test_an_exports_audit_says_a_search_was_used_but_not_its_words(admin, responses):
    """A search for someone's name or email address must not outlive their deletion."""
    body(admin.get(f"{CSV_URL}?q=ada%40example.org+Jones"))

    (event,) = exports()
    assert event.detail.endswith("(Search: 2 words)")
    assert "ada" not in event.detail.lower() and "jones" not in event.detail.lower()


# --- no responses, many responses ------------------------------------------------------------


def test_a_consultation_without_responses_exports_just_the_header(admin, consultation):
    download = admin.get(CSV_URL)

    assert body(download) == BOM + ",".join(HEADER).encode() + b"\r\n"
    assert csv_rows(download) == [HEADER]
    assert xlsx_values(xlsx_sheet(admin.get(XLSX_URL))) == [HEADER]
    assert [event.detail for event in exports()] == [
        "Exported 0 responses as CSV (no filters)",
        "Exported 0 responses as XLSX (no filters)",
    ]


def insert_responses(consultation, count: int) -> None:
    """`count` submitted survey responses, a minute apart, inserted in one statement."""
    db.session.execute(
        insert(Response),
        [
            {
                "consultation_id": consultation.id,
                "channel": "survey",
                "status": SUBMITTED,
                "token": secrets.token_urlsafe(16),
                "reference": f"SV-{number:06d}",
                "answers": {"role": "Resident", "postcode": f"N{number}", "confidence": "3"},
                "pages_done": [1, 4],
                "respond_as": "individual",
                "publish": "no",
                "consent": True,
                "started_at": JUNE,
                "updated_at": JUNE,
                "submitted_at": JUNE + timedelta(minutes=number),
            }
            for number in range(count)
        ],
    )
    db.session.commit()


def test_the_csv_is_streamed_a_batch_of_responses_at_a_time(admin, consultation):
    total = 1_200
    insert_responses(consultation, total)

    download = admin.get(CSV_URL)
    assert download.is_streamed
    chunks = list(download.response)
    download.close()

    # The header, then one piece per batch read from the database.
    assert len(chunks) == 1 + math.ceil(total / BATCH_SIZE)
    assert all(chunk.count(b"\r\n") <= BATCH_SIZE for chunk in chunks)
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER
    assert [row[0] for row in rows[1:]] == [f"SV-{number:06d}" for number in range(total)]
    assert {row[HEADER.index("postcode")] for row in rows[1:3]} == {"N0", "N1"}
    assert [event.detail for event in exports()] == ["Exported 1200 responses as CSV (no filters)"]
