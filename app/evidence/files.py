"""Checking uploaded documents by what is in them, and storing them safely.

A file's name and the type the browser claims are only hints: the content decides.
A PDF starts with %PDF-; a DOCX is a zip holding a Word document part; an ODT is a
zip whose first entry names the OpenDocument text type; a TXT is text with no
binary bytes. A DOCX or ODT whose zip says it unpacks to far more than the upload limit
is refused too: the site never unpacks it, but the officer's word processor would. Files
are written under random names, outside static/, never served to the public.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TYPE_NAMES = {"pdf": "PDF", "docx": "Word (DOCX)", "odt": "OpenDocument (ODT)", "txt": "text (TXT)"}
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "txt": "text/plain",  # Werkzeug adds the charset
}
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Control characters other than tab, line breaks and form feed do not occur in text files.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
ZIP_SIGNATURE = b"PK\x03\x04"
ZIP_TYPES = ("docx", "odt")
# A word processor unpacks the whole zip to open a document. Real ones unpack to a few
# times their size (pictures hardly shrink; text's markup shrinks to about a tenth), so one
# declaring more than 100 times the upload limit (1,000 MB at the default 10 MB), or more
# than 10,000 parts (a long report with all its pictures has a few hundred), is built to
# exhaust the machine that opens it. Measured against the limit rather than the file's own
# size, so that no small document of repeated markup is refused. The sizes are read from the
# zip's central directory, as a word processor reads them; nothing is unpacked to find them.
# The parts are counted before any is listed: listing a part costs far more than its
# 46 bytes in the directory, so a directory of empty parts costs more than it weighs.
UNPACKED_TIMES_LIMIT = 100
MOST_ZIP_ENTRIES = 10_000
# The zip records read to count the parts: the end of the central directory (and, for a
# zip64, the record it points to, just before its locator) and each directory entry.
END_OF_DIRECTORY = struct.Struct("<4s4H2LH")  # signature, disks, entries, size, offset, comment
END_OF_DIRECTORY_SIGNATURE = b"PK\x05\x06"
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_END = struct.Struct("<4sQ2H2L4Q")  # signature, size, versions, disks, entries, size, offset
ZIP64_END_SIGNATURE = b"PK\x06\x06"
DIRECTORY_ENTRY_SIZE = 46  # before its name, extra field and comment
DIRECTORY_ENTRY_SIGNATURE = b"PK\x01\x02"
LONGEST_ZIP_COMMENT = 0xFFFF
# What store() names files: 16 random bytes in hex. Nothing else in the folder is ours.
STORED_NAME = re.compile(r"[0-9a-f]{32}")


def detect_type(data: bytes) -> str | None:
    """'pdf', 'docx', 'odt' or 'txt' judged by content alone, or None for anything else."""
    if data.startswith(ZIP_SIGNATURE):
        listing = read_zip(data)
        return listing.document_type if listing is not None else None
    return _plain_type(data)


def _plain_type(data: bytes) -> str | None:
    """'pdf' or 'txt' for a file that is not a zip, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data and _is_text(data):
        return "txt"
    return None


@dataclass(frozen=True)
class ZipListing:
    """What a zip's central directory says, read without unpacking anything."""

    entries: int
    # The bytes its entries say they unpack to, in all; None when more than
    # MOST_ZIP_ENTRIES were counted, and nothing more was read.
    unpacked: int | None
    document_type: str | None = None  # 'docx' or 'odt' when it holds one


def read_zip(data: bytes) -> ZipListing | None:
    """The listing of the zip `data`, read once for both its type and its size; None if it
    cannot be read (damaged or cut short). One of more than MOST_ZIP_ENTRIES entries is
    only counted, never listed."""
    entries = _count_entries(data)
    if entries is None:
        return None
    if entries > MOST_ZIP_ENTRIES:
        return ZipListing(entries, None)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            document_type = _zip_document_type(archive, parts)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return ZipListing(len(parts), sum(part.file_size for part in parts), document_type)


def _zip_document_type(archive: zipfile.ZipFile, parts: list[zipfile.ZipInfo]) -> str | None:
    """'odt' or 'docx' by the parts the zip holds, or None."""
    names = {part.filename for part in parts}
    first = parts[0] if parts else None
    # Only a small, uncompressed mimetype entry is read: a compressed one could unpack to
    # gigabytes from a small upload.
    if (
        first is not None
        and first.filename == "mimetype"
        and first.compress_type == zipfile.ZIP_STORED
        and first.file_size == len(ODT_MIMETYPE)
        and _read_part(archive, first) == ODT_MIMETYPE
    ):
        return "odt"
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return "docx"
    return None


def _read_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> bytes | None:
    """The unpacked bytes of a part already known to be small; None if they cannot be read."""
    try:
        return archive.read(part)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError):
        return None


def _count_entries(data: bytes) -> int | None:
    """How many entries the zip `data` has, counted in its central directory no further
    than one past MOST_ZIP_ENTRIES; None if it has no directory that can be read.

    The count in the end-of-directory record comes first, so a zip that says it has too
    many is refused at once. It can understate: zipfile lists every entry the directory
    holds, whatever the count says, so the entries are counted as well (a few bytes read
    for each, nothing made).
    """
    end = _end_of_directory(data)
    if end is None:
        return None
    declared, size, directory_end = end
    if declared > MOST_ZIP_ENTRIES:
        return declared
    position, counted = directory_end - size, 0
    if position < 0:
        return None
    while position < directory_end and counted <= MOST_ZIP_ENTRIES:
        fixed_end = position + DIRECTORY_ENTRY_SIZE
        if fixed_end > len(data) or not data.startswith(DIRECTORY_ENTRY_SIGNATURE, position):
            return None
        name, extra, comment = struct.unpack_from("<3H", data, position + 28)
        position += DIRECTORY_ENTRY_SIZE + name + extra + comment
        counted += 1
    return counted


def _end_of_directory(data: bytes) -> tuple[int, int, int] | None:
    """From a zip's end-of-central-directory record (its zip64 one if it has one): how many
    entries it declares, the directory's size, and where the directory ends; None if there
    is no such record. Found as zipfile finds it: at the very end, or else the last one in
    the space a comment may take."""
    at = len(data) - END_OF_DIRECTORY.size
    if at < 0:
        return None
    if not (data.startswith(END_OF_DIRECTORY_SIGNATURE, at) and data.endswith(b"\0\0")):
        at = data.rfind(END_OF_DIRECTORY_SIGNATURE, max(0, at - LONGEST_ZIP_COMMENT))
        if at < 0 or at + END_OF_DIRECTORY.size > len(data):
            return None
    *_, entries, size, _offset, _comment = END_OF_DIRECTORY.unpack_from(data, at)
    # A zip64 has its own end record just before a locator, just before this one.
    zip64_at = at - ZIP64_LOCATOR.size - ZIP64_END.size
    if (
        zip64_at >= 0
        and data.startswith(ZIP64_LOCATOR_SIGNATURE, at - ZIP64_LOCATOR.size)
        and data.startswith(ZIP64_END_SIGNATURE, zip64_at)
    ):
        *_, entries, size, _offset = ZIP64_END.unpack_from(data, zip64_at)
        return entries, size, zip64_at
    return entries, size, at


def unpacked_size(data: bytes) -> tuple[int, int] | None:
    """How many bytes a zip's entries say they unpack to in all, and how many entries it
    has, from its central directory without unpacking anything; None if it cannot be read
    or has more than MOST_ZIP_ENTRIES entries (then its size is never read)."""
    listing = read_zip(data)
    if listing is None or listing.unpacked is None:
        return None
    return listing.unpacked, listing.entries


def opens_too_large(unpacked: int | None, entries: int, max_bytes: int) -> bool:
    """Whether a zip that unpacks to `unpacked` bytes (None: not read) in `entries` parts
    is a zip bomb rather than a document, for an upload limit of `max_bytes`."""
    if entries > MOST_ZIP_ENTRIES:
        return True
    return unpacked is not None and unpacked > UNPACKED_TIMES_LIMIT * max_bytes


def _is_text(data: bytes) -> bool:
    if BINARY_BYTES.search(data):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            data.decode("cp1252")  # text saved by older Windows programs
        except UnicodeDecodeError:
            return False
    return True


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def safe_name(filename: str, file_type: str) -> str:
    """A name fit to offer for download: no folders, no control or quote characters,
    not too long, ending in the extension its content has."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" and c not in "\"'<>:|?*;")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip(" .")[:120] or "document"
    return f"{stem}.{file_type}"


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks, held in memory until it is stored."""

    original_name: str
    file_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def too_large(filename: str, max_bytes: int) -> str:
    return f"{filename} must be {max_bytes // (1024 * 1024)} MB or smaller"


def problem_with(filename: str, data: bytes, allowed: list[str], max_bytes: int) -> str | None:
    """What is wrong with an upload, in words for the person who chose it, or None."""
    names = [TYPE_NAMES[t] for t in allowed]
    kinds = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    if not data:
        return f"{filename} is empty"
    if len(data) > max_bytes:
        return too_large(filename, max_bytes)
    opens_too_large_text = (
        f"{filename} is too large when opened: save it as a PDF and send that instead"
    )
    is_zip = data.startswith(ZIP_SIGNATURE)
    listing = read_zip(data) if is_zip else None
    if is_zip and any(t in ZIP_TYPES for t in allowed):
        if listing is None:  # a damaged document, or one cut short
            return f"{filename} cannot be opened: save it again, or save it as a PDF and send that"
        if listing.unpacked is None:  # too many parts even to list, so of no known type
            return opens_too_large_text
    found = (listing.document_type if listing else None) if is_zip else _plain_type(data)
    if found is None or found not in allowed:
        return f"{filename} must be a {kinds} file"
    if listing is not None and opens_too_large(listing.unpacked, listing.entries, max_bytes):
        return opens_too_large_text
    if extension(filename) not in (found, ""):  # some phones give names without one
        return f"{filename} is a {TYPE_NAMES[found]} file: give it a name ending .{found}"
    return None


def store(folder: Path, file: CheckedFile) -> str:
    """Write the file under a new random name, flushed to disk; return that name.

    A write that fails (a full disk) leaves nothing behind.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    path = folder / stored_name
    try:
        with open(path, "xb") as handle:  # x: never overwrite
            handle.write(file.data)
            handle.flush()
            os.fsync(handle.fileno())
        _sync_folder(folder)  # so the new name itself survives a power cut
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return stored_name


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def remove(folder: Path, stored_names: list[str]) -> int:
    """Delete stored files, ignoring those already gone; how many this call deleted."""
    removed = 0
    for name in stored_names:
        try:
            (folder / name).unlink()
        except FileNotFoundError:
            continue
        removed += 1
    return removed


def on_disk(folder: Path) -> list[tuple[str, datetime]]:
    """Each file directly in the folder, with when it was last written (in UTC, by the
    filesystem's clock); none if the folder does not exist yet."""
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    written = entry.stat(follow_symlinks=False).st_mtime
                except FileNotFoundError:  # deleted while the folder was read
                    continue
                found.append((entry.name, datetime.fromtimestamp(written, UTC)))
    except FileNotFoundError:
        return []
    return found
