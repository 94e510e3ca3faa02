"""Documents beyond what a single request sees: files a crash left on disk with no row, and
documents that would unpack to far more than their size when the officer opens them.

A document is written to disk just before the commit that stores its row. A process killed
in between leaves a file no row names; the outbox worker (at most every 10 minutes) and
the purge delete such files once they are an hour old, and never younger ones, since an
upload still in progress has no committed row either. The rules are pure functions
checked here directly; the commands are run on real files in the test's UPLOAD_FOLDER and
a real database. A DOCX or ODT is a zip the site never unpacks, but the officer's word
processor will: one whose central directory declares far more than the upload limit is
refused through the real form.
"""

from __future__ import annotations

import functools
import io
import os
import secrets
import struct
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.evidence import files
from app.extensions import db
from app.models import AuditEvent, utcnow
from app.privacy import retention
from tests.support import sample_files as sf
from tests.support.evidence import (
    CHOOSE_AGAIN,
    MB,
    assert_kept,
    assert_nothing_stored,
    assert_refused_with,
    field_errors,
    files_on_disk,
    send,
    sent_ok,
    the_response,
    upload_folder,
    with_rules,
)
from tests.support.outbox import work
from tests.support.sample_files import Upload

NOW = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
A_STORED_NAME = "0123456789abcdef0123456789abcdef"
ORPHANED = "Removed 1 document left on disk with no response"
LIMIT = 10 * MB  # a consultation's default upload limit
TOO_LARGE = "{} is too large when opened: save it as a PDF and send that instead"
CANNOT_OPEN = "{} cannot be opened: save it again, or save it as a PDF and send that"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- which files are orphans: the rule --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "written", "stored", "removed"),
    [
        pytest.param(A_STORED_NAME, NOW - 2 * HOUR, {A_STORED_NAME}, False, id="named by a row"),
        pytest.param(A_STORED_NAME, NOW - 2 * HOUR, set(), True, id="no row, two hours old"),
        pytest.param(A_STORED_NAME, NOW - HOUR - timedelta(seconds=1), set(), True, id="just over"),
        pytest.param(A_STORED_NAME, NOW - HOUR, set(), False, id="no row, exactly an hour old"),
        pytest.param(A_STORED_NAME, NOW, set(), False, id="no row, being written now"),
        pytest.param(A_STORED_NAME, NOW + HOUR, set(), False, id="written after now"),
        pytest.param("notes.txt", NOW - 100 * HOUR, set(), False, id="not a name we give"),
        pytest.param(A_STORED_NAME.upper(), NOW - 100 * HOUR, set(), False, id="not our case"),
        pytest.param(A_STORED_NAME + "0", NOW - 100 * HOUR, set(), False, id="too long"),
    ],
)
def test_a_file_is_an_orphan_only_with_our_name_no_row_and_over_an_hour_old(
    name, written, stored, removed
):
    assert retention.orphaned_files([(name, written)], stored, NOW) == ([name] if removed else [])


def test_orphans_are_listed_in_order_among_others():
    old, older, fresh, kept = ("a" * 32, "b" * 32, "c" * 32, "d" * 32)
    found = [(older, NOW - 9 * HOUR), (fresh, NOW), (kept, NOW - 9 * HOUR), (old, NOW - 2 * HOUR)]
    assert retention.orphaned_files(found, {kept}, NOW) == [old, older]


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [(None, 0.0, True), (100.0, 100.0, False), (100.0, 699.9, False), (100.0, 700.0, True)],
)
def test_the_worker_looks_for_orphans_at_most_every_ten_minutes(last, now, due):
    assert retention.sweep_due(last, now) is due


@pytest.mark.parametrize(
    ("orphans", "documents", "too_many"),
    [
        pytest.param(20, 20, False, id="20 of 20: a crash's worth"),
        pytest.param(21, 21, True, id="21 of 21: every document"),
        pytest.param(21, 210, False, id="21 of 210: a tenth"),
        pytest.param(21, 209, True, id="21 of 209: over a tenth"),
        pytest.param(100, 5_000, False, id="100 of 5,000"),
        pytest.param(5_000, 5_000, True, id="5,000 of 5,000: another database"),
        pytest.param(0, 0, False, id="nothing"),
    ],
)
def test_a_sweep_removing_over_20_documents_and_over_a_tenth_of_them_is_refused(
    orphans, documents, too_many
):
    assert retention.too_many_orphans(orphans, documents) is too_many


def test_a_folder_not_made_yet_holds_no_files(tmp_path):
    assert files.on_disk(tmp_path / "uploads") == []


# --- which files are orphans: real files, a real database, the real commands ------------------


def age(path: Path, by: timedelta) -> None:
    """Make the file look last written `by` ago, by the filesystem's clock."""
    moment = time.time() - by.total_seconds()
    os.utime(path, (moment, moment))


@dataclass
class Folder:
    kept: str  # a document sent with evidence, two days old: its row keeps it
    fresh: str  # no row, just written: an upload in progress looks the same
    old: str  # no row, two hours old: what a killed worker leaves
    not_ours: str  # another name, two days old: nothing the site wrote


@pytest.fixture
def folder(app, client, clock, make_survey) -> Folder:
    make_survey()
    sent_ok(send(client, clock, files=[sf.upload("pdf")]))
    uploads = upload_folder(app)
    kept = the_response().attachments[0].stored_name
    age(uploads / kept, timedelta(days=2))
    fresh, old = secrets.token_hex(16), secrets.token_hex(16)
    (uploads / fresh).write_bytes(sf.pdf())
    (uploads / old).write_bytes(sf.pdf())
    age(uploads / old, 2 * HOUR)
    (uploads / "notes.txt").write_text("an operator's notes")
    age(uploads / "notes.txt", timedelta(days=2))
    return Folder(kept, fresh, old, "notes.txt")


def audit(action: str) -> list[tuple[str, str]]:
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id))
    return [(event.actor, event.detail) for event in events]


def test_the_outbox_worker_removes_an_old_file_no_row_names_and_nothing_else(app, runner, folder):
    output = work(runner, rounds=1)

    assert f"{ORPHANED}." in output.splitlines()
    assert files_on_disk(app) == sorted([folder.kept, folder.fresh, folder.not_ours])
    assert audit("remove_orphaned_files") == [("housekeeping", ORPHANED)]


def test_the_purge_removes_an_old_file_no_row_names_and_nothing_else(app, runner, folder):
    result = runner.invoke(args=["purge", "--older-than", "30"])

    assert result.exit_code == 0, (result.output, result.exception)
    assert f"{ORPHANED}." in result.output.splitlines()
    assert files_on_disk(app) == sorted([folder.kept, folder.fresh, folder.not_ours])
    assert audit("remove_orphaned_files") == [("purge command", ORPHANED)]
    # Nothing left to remove: the second run says nothing about documents.
    again = runner.invoke(args=["purge", "--older-than", "30"])
    assert "document" not in again.output
    assert len(audit("remove_orphaned_files")) == 1


@pytest.mark.parametrize("command", ["purge", "worker"])
def test_a_sweep_on_a_database_naming_none_of_many_old_documents_removes_none_and_says_so(
    app, runner, caplog, command
):
    """The purge or the worker pointed at the wrong database, migrated but naming none of
    the folder's documents, would take them all for orphans."""
    uploads = upload_folder(app)
    uploads.mkdir(parents=True, exist_ok=True)
    for _ in range(30):
        document = uploads / secrets.token_hex(16)
        document.write_bytes(sf.pdf())
        age(document, timedelta(days=2))
    before = files_on_disk(app)

    if command == "purge":
        result = runner.invoke(args=["purge", "--older-than", "30"])
        assert result.exit_code == 0, (result.output, result.exception)
    else:
        work(runner, rounds=1)

    assert files_on_disk(app) == before
    assert audit("remove_orphaned_files") == []
    said = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == retention.__name__]
    assert said == [
        (
            "ERROR",
            f"Removed no documents: 30 of the 30 documents in {uploads} are named by no"
            " response, far more than crashes leave. Check that DATABASE_URL and"
            " UPLOAD_FOLDER are this site's, from the same backup.",
        )
    ]


def test_an_upload_whose_row_is_not_committed_yet_keeps_its_file(
    app, client, clock, make_survey, monkeypatch
):
    """A worker looks for orphans at the worst moment: the document is on disk, its row
    not yet committed."""
    make_survey()
    real_store, removed = files.store, []

    def store_then_sweep(folder: Path, file: files.CheckedFile) -> str:
        name = real_store(folder, file)
        with app.app_context():  # another process: a session of its own
            removed.append(retention.remove_orphaned_files(utcnow()))
        return name

    monkeypatch.setattr(files, "store", store_then_sweep)
    sent_ok(send(client, clock, files=[sf.upload("pdf")]))

    assert removed == [0]
    assert files_on_disk(app) == [the_response().attachments[0].stored_name]


def test_the_worker_looks_once_however_many_rounds_it_runs_in_ten_minutes(app, runner, monkeypatch):
    calls = []
    monkeypatch.setattr(retention, "remove_orphaned_files", lambda now: calls.append(now) or 0)
    work(runner, rounds=5)
    assert len(calls) == 1


def test_a_failed_look_for_orphans_is_logged_and_the_worker_goes_on(
    app, runner, monkeypatch, caplog
):
    def fail(now: datetime) -> int:
        raise PermissionError("uploads folder not readable")

    monkeypatch.setattr(retention, "remove_orphaned_files", fail)
    work(runner, rounds=2)
    assert "removing orphaned documents failed" in caplog.text


# --- documents that open to far more than their size: the rule --------------------------------


@pytest.mark.parametrize(
    ("unpacked", "entries", "refused"),
    [
        (100 * LIMIT, 4, False),
        (100 * LIMIT + 1, 4, True),
        (1024, 10_000, False),
        (1024, 10_001, True),
    ],
)
def test_a_zip_is_too_large_when_opened_beyond_100_times_the_limit_or_10000_parts(
    unpacked, entries, refused
):
    assert files.opens_too_large(unpacked, entries, LIMIT) is refused


def test_the_unpacked_size_is_read_from_the_central_directory_without_unpacking():
    bomb = sf.declaring(sf.with_zeros(sf.docx(), 1024), "word/media/padding.bin", 2**30)
    assert files.unpacked_size(bomb) == (sf.unpacked(bomb), 4)
    assert sf.unpacked(bomb) > 2**30
    assert files.unpacked_size(sf.docx()[:200]) is None


@functools.cache
def many_parts(count: int) -> bytes:
    """A DOCX with `count` more parts, empty and short-named: about 85 bytes each, so
    105,000 of them fit in a 9 MB upload."""
    buffer = io.BytesIO(sf.docx())
    with zipfile.ZipFile(buffer, "a") as archive:
        for number in range(count):
            archive.writestr(zipfile.ZipInfo(f"{number:x}", date_time=(2027, 1, 1, 0, 0, 0)), b"")
    return buffer.getvalue()


# With this many entries a zip's count is in a zip64 end record, not the plain one.
ZIP64_ENTRIES = 0xFFFF + 1
ZIP64_END = b"PK\x06\x06"


def saying_it_has(data: bytes, entries: int) -> bytes:
    """The zip `data` with its end-of-directory record declaring `entries` entries."""
    out = bytearray(data)
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", out, end + 8, entries, entries)
    return bytes(out)


@pytest.mark.parametrize(
    ("parts", "says", "zip64"),
    [
        pytest.param(20_000, None, False, id="saying so"),
        pytest.param(20_000, 3, False, id="saying it has three"),
        pytest.param(ZIP64_ENTRIES, None, True, id="a zip64, saying so"),
    ],
)
def test_a_zip_of_too_many_parts_is_refused_before_any_part_is_listed(
    parts, says, zip64, monkeypatch
):
    """Listing a part costs far more than its bytes in the upload: the parts are counted
    in the zip's own records before zipfile lists any (a ZipInfo for each)."""
    data = many_parts(parts - 3)  # a DOCX has three parts of its own
    if says is not None:
        data = saying_it_has(data, says)
    assert (ZIP64_END in data) is zip64
    listed = []

    class Counted(zipfile.ZipInfo):
        __slots__ = ()

        def __init__(self, *args, **kwargs) -> None:
            listed.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(zipfile, "ZipInfo", Counted)

    problem = files.problem_with("parts.docx", data, ["pdf", "docx"], LIMIT)

    assert problem == TOO_LARGE.format("parts.docx")
    assert listed == []


def test_a_zip_with_as_many_parts_as_a_document_may_have_is_counted_right():
    at_most = many_parts(files.MOST_ZIP_ENTRIES - 3)  # a DOCX has three parts of its own
    assert files.read_zip(at_most).entries == files.MOST_ZIP_ENTRIES
    assert files.read_zip(at_most).document_type == "docx"
    assert files.problem_with("parts.docx", at_most, ["docx"], LIMIT) is None
    # Saying it has fewer changes nothing: the parts themselves are counted.
    assert files.read_zip(saying_it_has(at_most, 3)).entries == files.MOST_ZIP_ENTRIES


def test_a_damaged_zip_cannot_be_opened_only_where_documents_are_taken():
    damaged, bomb = sf.docx()[:-40], bomb_1_gib().data
    assert files.problem_with("a.docx", damaged, ["pdf", "docx"], LIMIT) == CANNOT_OPEN.format(
        "a.docx"
    )
    assert files.problem_with("a.odt", damaged, ["odt"], LIMIT) == CANNOT_OPEN.format("a.odt")
    # No advice about opening a document the consultation would not take anyway.
    assert files.problem_with("a.docx", damaged, ["pdf"], LIMIT) == "a.docx must be a PDF file"
    assert files.problem_with("a.docx", bomb, ["pdf"], LIMIT) == "a.docx must be a PDF file"
    # A zip that opens but is no document is still refused as no document.
    assert files.problem_with("a.docx", sf.plain_zip(), ["docx"], LIMIT) == (
        "a.docx must be a Word (DOCX) file"
    )


# --- documents that open to far more than their size: through the form ------------------------


def padded_to(document: bytes, total: int) -> bytes:
    """The document with a part of zeros declared so that all its parts unpack to `total`."""
    padded = sf.with_zeros(document, 1024)
    return sf.declaring(padded, "word/media/padding.bin", total - sf.unpacked(padded) + 1024)


def bomb_1_gib() -> Upload:
    """The finding: a DOCX of a few kilobytes that says it opens to 1 GiB."""
    data = sf.declaring(sf.with_zeros(sf.docx(), 1024), "word/media/padding.bin", 2**30)
    return Upload("report.docx", data, DOCX_TYPE)


def test_a_docx_saying_it_opens_to_a_gigabyte_is_refused_by_the_field_and_everything_typed_stays(
    app, client, clock, make_survey
):
    make_survey()  # the default limit: 10 MB a file
    refused = send(client, clock, files=[bomb_1_gib()])

    assert_refused_with(refused, "documents", TOO_LARGE.format("report.docx"))
    assert CHOOSE_AGAIN in field_errors(refused, "documents")
    assert_kept(refused)
    assert_nothing_stored(app)


def test_a_docx_really_unpacking_to_over_100_times_the_limit_is_refused(
    app, client, clock, make_survey
):
    with_rules(make_survey, max_files=1, max_mb=1)
    data = sf.with_zeros(sf.docx(), 100 * MB + 1)  # deflated to about 100 KB
    assert len(data) < MB

    refused = send(client, clock, files=[Upload("zeros.docx", data)])

    assert_refused_with(refused, "documents", TOO_LARGE.format("zeros.docx"))
    assert_kept(refused)
    assert_nothing_stored(app)


def test_an_odt_really_unpacking_to_over_100_times_the_limit_is_refused(
    app, client, clock, make_survey
):
    with_rules(make_survey, max_files=1, max_mb=1)
    data = sf.with_zeros(sf.odt(), 100 * MB + 1, name="Pictures/zeros.png")

    refused = send(client, clock, files=[Upload("zeros.odt", data)])

    assert_refused_with(refused, "documents", TOO_LARGE.format("zeros.odt"))
    assert_kept(refused)
    assert_nothing_stored(app)


def test_a_docx_of_over_10000_parts_is_refused(app, client, clock, make_survey):
    make_survey()
    data = sf.with_parts(sf.docx(), 10_001 - 3)  # a DOCX has three parts of its own

    refused = send(client, clock, files=[Upload("parts.docx", data)])

    assert_refused_with(refused, "documents", TOO_LARGE.format("parts.docx"))
    assert_nothing_stored(app)


def test_a_docx_opening_to_exactly_100_times_the_limit_is_taken_and_one_byte_more_is_not(
    app, client, clock, make_survey
):
    make_survey()
    at_limit = padded_to(sf.docx(), 100 * LIMIT)
    over = padded_to(sf.docx(), 100 * LIMIT + 1)

    refused = send(client, clock, files=[Upload("over.docx", over)])
    assert_refused_with(refused, "documents", TOO_LARGE.format("over.docx"))
    assert_nothing_stored(app)

    sent_ok(send(client, clock, files=[Upload("at-limit.docx", at_limit)]))
    assert (upload_folder(app) / the_response().attachments[0].stored_name).read_bytes() == (
        at_limit
    )


def test_a_damaged_docx_is_refused_as_one_that_cannot_be_opened(app, client, clock, make_survey):
    make_survey()
    damaged = Upload("cut-short.docx", sf.docx()[:-40], DOCX_TYPE)  # its central directory cut

    refused = send(client, clock, files=[damaged])

    assert_refused_with(refused, "documents", CANNOT_OPEN.format("cut-short.docx"))
    assert_kept(refused)
    assert_nothing_stored(app)
