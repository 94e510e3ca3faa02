"""Exporting a consultation's responses as a CSV or XLSX file, with the list's filters.

One row per submitted response, oldest first. The columns are the same for every row,
whichever way the respondent took part and whichever route they took through the
survey: the respondent's details, then one column per survey question key in question
order, blank where the route skipped the question or the response is not a survey.

Decisions:

- Private notes are not exported. They are the team's working notes about respondents,
  not what respondents sent, and an export travels further (email, shared drives) than
  the admin area, where the notes stay readable.
- Text a spreadsheet would read as a formula gets a leading apostrophe (app.csv_safety)
  in both formats: an XLSX string cell is not run, but a copy saved as CSV or a cell
  edited would be. Answers to number questions are written as numbers, not text, so
  they can be added up; digits alone cannot make a formula.
- XLSX cells drop the control characters XML cannot hold, always hold text as text
  (never a formula or an error value such as "#N/A"), and are cut to the 32,767
  characters a spreadsheet cell holds, saying so; the CSV keeps every character.
- The CSV is streamed a batch of responses at a time, so memory does not grow with
  the number of responses. The XLSX is built in a temporary file, not in memory.
- Which version each row is ("Version", 1 as first sent) and when its respondent last
  changed it come after the questions' columns, then which version of the survey a
  survey response answered ("Survey version"), so that a spreadsheet or script made for
  the columns before them reads them where it always did.
- Each survey response is read with the questions of the survey version it answered. A
  question taken out of the survey keeps its column, after the survey's own.
- Each export is in the audit log with the number of responses and the filters, written
  before the download starts.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import IO, Any

from flask import Response as HttpResponse
from flask import current_app, request, send_file, stream_with_context
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import Row, Select, func, inspect, select

from app.admin import bp
from app.admin.filters import FilterForm, filtered
from app.consultations.lookup import get_for_staff_or_404
from app.extensions import db
from app.formatting import phones
from app.formatting.csv_safety import safe_cell
from app.intake import channels
from app.models import (
    BOOKED,
    Attachment,
    Booking,
    Consultation,
    Question,
    Response,
    Tag,
    record_audit,
    response_tag,
)
from app.runtime import clock
from app.survey import routing, versions
from app.survey.services import RESPOND_AS
from app.web.errors import render_error
from app.web.forms import PUBLISH_CHOICES

BATCH_SIZE = 500
XLSX_CELL_LIMIT = 32_767  # the most characters a spreadsheet cell holds
CUT_NOTE = " [cut: the full text is in the admin area and the CSV export]"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DETAIL_COLUMNS = [
    "Reference",
    "Type",
    "Received",
    "Accepted late",
    "Name",
    "Email address",
    "Organisation",
    "Respondent type",
    "Responding as",
    "Publication",
    "Themes",
    "Evidence",
    "Documents",
    "Subject",
    "Message",
    "Telephone",
    "Call",
    "Tags",
]
# After the questions' columns: see the module's docstring.
VERSION_COLUMNS = ["Version", "Changed by the respondent"]
# Which version of the survey a survey response answered: see app/survey/versions.py.
SURVEY_VERSION_COLUMN = "Survey version"

# What the rows are made of: not the search text (a second copy of every word), tokens
# and the like, which would only make each batch slower to read.
EXPORTED_FIELDS = [
    Response.channel,
    Response.reference,
    Response.submitted_at,
    Response.late,
    Response.name,
    Response.email,
    Response.organisation,
    Response.respondent_type,
    Response.respond_as,
    Response.publish,
    Response.topics,
    Response.evidence_text,
    Response.subject,
    Response.message,
    Response.phone,
    Response.answers,
    Response.version,
    Response.changed_at,
    Response.survey_version,
]

Cell = str | int | float


@bp.get("/consultations/<slug>/responses.<any(csv, xlsx):file_format>")
def export_responses(slug: str, file_format: str):
    """The consultation's responses that pass the list's filters, as a CSV or XLSX file."""
    consultation = get_for_staff_or_404(slug)
    form = FilterForm(consultation, request.args)
    if not form.validate():
        problems = " ".join(message for messages in form.errors.values() for message in messages)
        return render_error(
            422,
            "The filters are not valid",
            f"Go back to the list of responses and change the filters. {problems}",
        )
    chosen = filtered(consultation, form)
    count = db.session.scalar(select(func.count()).select_from(chosen.subquery()))
    record_audit(
        current_user.email,
        "export",
        consultation,
        f"Exported {count} response{'' if count == 1 else 's'} as {file_format.upper()}"
        f" ({form.describe()})",
    )
    db.session.commit()
    asked = _asked_by_version(consultation)
    columns = question_columns(consultation.questions, asked.values())
    header = DETAIL_COLUMNS + columns + VERSION_COLUMNS + [SURVEY_VERSION_COLUMN]
    batches = row_batches(chosen, columns, asked, Asked.of(consultation.questions))
    name = f"{consultation.slug}-responses-{_today(consultation)}.{file_format}"
    if file_format == "csv":
        download = HttpResponse(
            stream_with_context(csv_chunks(header, batches)), mimetype="text/csv"
        )
        download.headers.set("Content-Disposition", "attachment", filename=name)
    else:
        download = send_file(
            xlsx_file(header, batches), mimetype=XLSX_TYPE, as_attachment=True, download_name=name
        )
    download.headers["Cache-Control"] = "no-store"  # respondents' personal data: keep no copy
    return download


def _today(consultation: Consultation) -> str:
    """Today's date where the site is, for the file name."""
    return clock.now().astimezone(current_app.config["SITE_ZONE"]).date().isoformat()


# Reading the rows.


def question_columns(questions: Sequence[Question], earlier: Iterable[Asked]) -> list[str]:
    """The questions' columns: the survey's keys in order, then those of questions an
    earlier version asked and the survey no longer has, in the order first asked."""
    columns = [q.key for q in questions]
    for version in earlier:
        columns += [q.key for q in version.questions if q.key not in columns]
    return columns


@dataclass(frozen=True)
class Asked:
    """The questions of one survey version, as the rows read them."""

    questions: Sequence[Any]
    numbers: frozenset[str]  # the keys of its number questions

    @classmethod
    def of(cls, questions: Sequence[Any]) -> Asked:
        copies = _plain_copies(questions)
        return cls(copies, frozenset(q.key for q in copies if q.type == "number"))


def _asked_by_version(consultation: Consultation) -> dict[int, Asked]:
    """Each survey version's questions, by number, oldest first."""
    return {
        number: Asked.of(questions)
        for number, questions in versions.by_number(consultation).items()
    }


def row_batches(
    chosen: Select, columns: list[str], asked: dict[int, Asked], current: Asked
) -> Iterator[list[list[Cell]]]:
    """The rows, oldest response first, read and built a batch at a time. Each survey
    response's answers are read with the questions of the version it answered
    (`asked`), or else the survey's `current` ones.

    Rows are read as plain columns, not as ORM objects: for 100,000 responses that
    halves the time. Each batch's tags, documents and booked calls come in one query
    each, and the batch is let go before the next is read.
    """
    zone = current_app.config["SITE_ZONE"]
    region = current_app.config["PHONE_REGION"]
    ordered = (
        chosen.with_only_columns(Response.id, *EXPORTED_FIELDS)
        .order_by(Response.submitted_at, Response.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for batch in db.session.execute(ordered).partitions():
        ids = [row.id for row in batch]
        tags = _names_by_response(
            select(response_tag.c.response_id, Tag.name)
            .join(Tag, Tag.id == response_tag.c.tag_id)
            .where(response_tag.c.response_id.in_(ids))
            .order_by(Tag.name)
        )
        documents = _names_by_response(
            select(Attachment.response_id, Attachment.original_name)
            .where(Attachment.response_id.in_(ids))
            .order_by(Attachment.id)
        )
        calls = _booked_calls([row.id for row in batch if row.channel == "contact"])
        yield [
            _details(
                row,
                documents.get(row.id, []),
                tags.get(row.id, []),
                calls.get(row.id),
                zone,
                region,
            )
            + _answers(row, columns, asked.get(row.survey_version, current))
            + _version(row, zone)
            for row in batch
        ]


def _plain_copies(questions: Sequence[Any]) -> list[SimpleNamespace]:
    """The questions' columns as plain attributes.

    Each is read for every row, and an ORM attribute read costs several plain ones.
    """
    columns = [column.key for column in inspect(Question).column_attrs]
    return [SimpleNamespace(**{name: getattr(q, name) for name in columns}) for q in questions]


def _names_by_response(query: Select) -> dict[int, list[str]]:
    """{response id: [name, …]} from rows of (response id, name), in the query's order."""
    names: dict[int, list[str]] = {}
    for response_id, name in db.session.execute(query):
        names.setdefault(response_id, []).append(name)
    return names


def _booked_calls(message_ids: list[int]) -> dict[int, datetime]:
    """When each of these messages' booked call starts (a message holds one at most)."""
    if not message_ids:
        return {}
    rows = db.session.execute(
        select(Booking.response_id, Booking.starts_at).where(
            Booking.response_id.in_(message_ids), Booking.status == BOOKED
        )
    )
    return {response_id: starts_at for response_id, starts_at in rows}


def _local(moment: datetime | None, zone) -> str:
    """'2027-03-01 14:30', in the site's time zone: sortable, and read as a date."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _details(
    response: Row, documents: list[str], tags: list[str], call: datetime | None, zone, region: str
) -> list[Cell]:
    """The DETAIL_COLUMNS of one response."""
    return [
        response.reference or "",
        channels.named(response.channel).label,
        _local(response.submitted_at, zone),
        "Yes" if response.late else "No",
        response.name,
        response.email,
        response.organisation,
        response.respondent_type,
        RESPOND_AS.get(response.respond_as, ""),
        PUBLISH_CHOICES.get(response.publish, ""),
        "; ".join(response.topics or []),
        response.evidence_text,
        "; ".join(documents),
        response.subject,
        response.message,
        phones.display(response.phone, region),
        _local(call, zone),
        "; ".join(tags),
    ]


def _answers(response: Row, columns: list[str], asked: Asked) -> list[Cell]:
    """One cell per question column: the answer on the respondent's route, or blank.

    A question the version answered did not ask has the answer the respondent gave it
    in an earlier version, if any: answers to questions taken out stay with the response.
    A number question's answer stays a number, so a spreadsheet can add them up.
    """
    answers = response.answers or {}
    texts = routing.export_row(asked.questions, answers)
    cells: list[Cell] = []
    for key in columns:
        text = texts.get(key)
        value = answers.get(key)
        if text is None:
            cells.append(routing.format_answer(value))
        elif key in asked.numbers and text and _is_number(value):
            cells.append(int(value) if float(value).is_integer() else value)
        else:
            cells.append(text)
    return cells


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _version(response: Row, zone) -> list[Cell]:
    """The VERSION_COLUMNS and the survey version answered: numbers in a spreadsheet,
    and when the respondent last changed it."""
    return [response.version, _local(response.changed_at, zone), response.survey_version or ""]


# Writing the files.


def _csv_text(value: Cell) -> str:
    """A cell for the CSV: a number as written, text safe from formula injection."""
    if isinstance(value, int | float):
        return routing.format_answer(value)
    return safe_cell(value)


def csv_chunks(header: list[str], batches: Iterator[list[list[Cell]]]) -> Iterator[bytes]:
    """The CSV, a batch of rows at a time, starting with the BOM that makes Excel read UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # CRLF line ends, as RFC 4180 and Excel expect
    writer.writerow([safe_cell(name) for name in header])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_csv_text(value) for value in row] for row in batch)
        yield buffer.getvalue().encode("utf-8")


def _xlsx_text(value: str) -> str:
    """Text an XLSX cell can hold: safe from formulas, no control characters, not too long."""
    text = ILLEGAL_CHARACTERS_RE.sub("", safe_cell(value))
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - len(CUT_NOTE)] + CUT_NOTE
    return text


def _xlsx_cell(sheet, value: Cell) -> Cell | WriteOnlyCell:
    """A number as a number; text always as text, whatever it looks like."""
    if isinstance(value, int | float):
        return value
    text = _xlsx_text(value)
    if text.startswith("=") or text in ERROR_CODES:
        # openpyxl reads such text as a formula or an error value ("#N/A") unless told.
        cell = WriteOnlyCell(sheet, text)
        cell.data_type = "s"
        return cell
    return text  # a plain string is stored as a string, without the cost of a cell object


def _header_cell(sheet, name: str) -> WriteOnlyCell:
    """A column name, in bold."""
    cell = WriteOnlyCell(sheet, _xlsx_text(name))
    cell.data_type = "s"
    cell.font = Font(bold=True)
    return cell


def xlsx_file(header: list[str], batches: Iterator[list[list[Cell]]]) -> IO[bytes]:
    """The XLSX workbook in an unnamed temporary file, ready to read from the start.

    The file has no name on disk, so it goes when the download closes it, even if the
    download is abandoned; the write-only workbook keeps its rows on disk too.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Responses")
    sheet.freeze_panes = "A2"  # the header stays in view when scrolling
    sheet.append([_header_cell(sheet, name) for name in header])
    for batch in batches:
        for row in batch:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    handle = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        workbook.save(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle
