"""Documents that would unpack to far more than their size when the officer opens them.

A DOCX or ODT is a zip the site never unpacks, but the officer's word processor will: one
whose central directory declares far more than the upload limit, or far more parts than
any document has, is refused through the real form, as is one that cannot be read at all.
"""

from __future__ import annotations

import pytest

from app.evidence import files
from tests import sample_files as sf
from tests.sample_files import Upload
from tests.test_evidence import (
    CHOOSE_AGAIN,
    MB,
    assert_kept,
    assert_nothing_stored,
    assert_refused_with,
    field_errors,
    send,
    sent_ok,
    the_response,
    upload_folder,
    with_rules,
)

LIMIT = 10 * MB  # a consultation's default upload limit
TOO_LARGE = "{} is too large when opened: save it as a PDF and send that instead"
CANNOT_OPEN = "{} cannot be opened: save it again, or save it as a PDF and send that"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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
