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
UNPACKED_TIMES_LIMIT = 100
MOST_ZIP_ENTRIES = 10_000
# What store() names files: 16 random bytes in hex. Nothing else in the folder is ours.
STORED_NAME = re.compile(r"[0-9a-f]{32}")


def detect_type(data: bytes) -> str | None:
    """'pdf', 'docx', 'odt' or 'txt' judged by content alone, or None for anything else."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(ZIP_SIGNATURE):
        return _zip_document_type(data)
    if data and _is_text(data):
        return "txt"
    return None


def _zip_document_type(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = [entry.filename for entry in entries]
            # Only a small, uncompressed mimetype entry is read: a compressed one could
            # unpack to gigabytes from a small upload.
            first = entries[0] if entries else None
            if (
                first is not None
                and first.filename == "mimetype"
                and first.compress_type == zipfile.ZIP_STORED
                and first.file_size == len(ODT_MIMETYPE)
                and archive.read(first) == ODT_MIMETYPE
            ):
                return "odt"
            if "[Content_Types].xml" in names and "word/document.xml" in names:
                return "docx"
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError):
        return None
    return None


def unpacked_size(data: bytes) -> tuple[int, int] | None:
    """How many bytes a zip's entries say they unpack to in all, and how many entries it
    has, from its central directory without unpacking anything; None if it cannot be read."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return None
    return sum(entry.file_size for entry in entries), len(entries)


def opens_too_large(unpacked: int, entries: int, max_bytes: int) -> bool:
    """Whether a zip that unpacks to `unpacked` bytes in `entries` parts is a zip bomb
    rather than a document, for an upload limit of `max_bytes`."""
    return unpacked > UNPACKED_TIMES_LIMIT * max_bytes or entries > MOST_ZIP_ENTRIES


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
    found = detect_type(data)
    unpacked = unpacked_size(data) if data.startswith(ZIP_SIGNATURE) else None
    if found is None and unpacked is None and data.startswith(ZIP_SIGNATURE):
        if any(t in ZIP_TYPES for t in allowed):  # a damaged document, or one cut short
            return f"{filename} cannot be opened: save it again, or save it as a PDF and send that"
    if found is None or found not in allowed:
        return f"{filename} must be a {kinds} file"
    if found in ZIP_TYPES and unpacked is not None and opens_too_large(*unpacked, max_bytes):
        return f"{filename} is too large when opened: save it as a PDF and send that instead"
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
