"""Small real files of each type the evidence form takes, and disguised ones it must refuse.

Each builder returns the file's bytes. The documents are genuine: the PDF has a cross-
reference table a reader can follow, the DOCX and the ODT are the zip packages Word and
LibreOffice write (the ODT's first entry is its uncompressed `mimetype`). The disguised
files carry real headers (a Windows executable, an ELF binary, a plain zip) under names
that claim something else. Zip bombs are real documents with a part that unpacks to far
more than the file's size, in truth or only by what the zip declares.
"""

from __future__ import annotations

import io
import secrets
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

PDF_TEXT = "Evidence about local services"
DOCX_TEXT = "Evidence written in Word"
ODT_TEXT = "Evidence written in LibreOffice"
TXT_TEXT = "Evidence in plain text: café, naïve, 10 £ — “quoted”.\n"
ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"


def pdf(text: str = PDF_TEXT, padding: int = 0) -> bytes:
    """A one-page PDF showing `text`, with an optional comment of `padding` bytes to make
    it larger without making it any less a PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    if padding:
        out.write(b"%" + b"x" * padding + b"\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def pdf_of_size(size: int) -> bytes:
    """A valid PDF of exactly `size` bytes (at least the size of the smallest one)."""
    data = pdf()
    padding = max(size - len(data) - 2, 1)
    for _ in range(5):  # the trailer's numbers may grow a digit: adjust until exact
        data = pdf(padding=padding)
        if len(data) == size:
            return data
        padding += size - len(data)
    raise ValueError(f"cannot make a PDF of {size} bytes")


def _zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, compression in entries:
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2027, 1, 1, 0, 0, 0)),
                data,
                compress_type=compression,
            )
    return buffer.getvalue()


def docx(text: str = DOCX_TEXT) -> bytes:
    """A minimal Word document: content types, the package relationships, one paragraph."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/>'
        "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="word/document.xml"/>'
        "</Relationships>"
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"
    )
    return _zip(
        [
            ("[Content_Types].xml", content_types.encode(), zipfile.ZIP_DEFLATED),
            ("_rels/.rels", rels.encode(), zipfile.ZIP_DEFLATED),
            ("word/document.xml", document.encode(), zipfile.ZIP_DEFLATED),
        ]
    )


def odt(text: str = ODT_TEXT) -> bytes:
    """A minimal OpenDocument text: `mimetype` first and stored, then content and manifest."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:text><text:p>{text}</text:p></office:text></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODT_MIMETYPE}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    return _zip(
        [
            ("mimetype", ODT_MIMETYPE.encode(), zipfile.ZIP_STORED),
            ("content.xml", content.encode(), zipfile.ZIP_DEFLATED),
            ("META-INF/manifest.xml", manifest.encode(), zipfile.ZIP_DEFLATED),
        ]
    )


def txt(text: str = TXT_TEXT) -> bytes:
    """A UTF-8 text file."""
    return text.encode("utf-8")


# Disguised files: real headers of things that are not documents.


def windows_exe() -> bytes:
    """The start of a Windows executable: the MZ header, its DOS stub and a PE signature."""
    header = bytearray(128)
    header[0:2] = b"MZ"
    header[0x3C:0x40] = (0x80).to_bytes(4, "little")  # where the PE header starts
    stub = b"This program cannot be run in DOS mode.\r\r\n$"
    header[0x4E : 0x4E + len(stub)] = stub
    return bytes(header) + b"PE\x00\x00" + b"\x4c\x01\x03\x00" + bytes(64)


def elf_binary() -> bytes:
    """The start of a Linux executable: the ELF header of a 64-bit little-endian binary."""
    ident = b"\x7fELF\x02\x01\x01\x00" + bytes(8)
    return ident + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + bytes(48)


def plain_zip() -> bytes:
    """A zip archive of ordinary files: not a Word document whatever its name says."""
    return _zip(
        [
            ("notes.txt", b"Just some notes", zipfile.ZIP_DEFLATED),
            ("photos/readme.md", b"# Photos", zipfile.ZIP_DEFLATED),
        ]
    )


def empty() -> bytes:
    return b""


# Zip bombs: documents that open to far more than their size.


def with_zeros(document: bytes, size: int, name: str = "word/media/padding.bin") -> bytes:
    """The zip `document` with one more part: `size` bytes of zeros, deflated (to about a
    thousandth of that), written a megabyte at a time so the zeros are never all in memory."""
    buffer = io.BytesIO(document)
    with zipfile.ZipFile(buffer, "a") as archive:
        part = zipfile.ZipInfo(name, date_time=(2027, 1, 1, 0, 0, 0))
        part.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(part, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as out:
            chunk = bytes(1024 * 1024)
            for start in range(0, size, len(chunk)):
                out.write(chunk[: size - start])
    return buffer.getvalue()


def declaring(document: bytes, name: str, size: int) -> bytes:
    """The zip `document` with its part `name` saying it unpacks to `size` bytes (under
    4 GiB), in its local header and in the central directory, whatever it really holds:
    what anyone making a bomb by hand can write."""
    out = bytearray(document)
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        local = archive.getinfo(name).header_offset
    struct.pack_into("<I", out, local + 22, size)
    end = document.rindex(b"PK\x05\x06")
    (position,) = struct.unpack_from("<I", document, end + 16)
    while document[position : position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from(
            "<HHH", document, position + 28
        )
        if document[position + 46 : position + 46 + name_length] == name.encode():
            struct.pack_into("<I", out, position + 24, size)
        position += 46 + name_length + extra_length + comment_length
    return bytes(out)


def with_parts(document: bytes, count: int) -> bytes:
    """The zip `document` with `count` more parts of a few bytes each."""
    buffer = io.BytesIO(document)
    with zipfile.ZipFile(buffer, "a") as archive:
        for number in range(count):
            archive.writestr(
                zipfile.ZipInfo(f"word/parts/{number}.xml", date_time=(2027, 1, 1, 0, 0, 0)),
                b"<a/>",
            )
    return buffer.getvalue()


def unpacked(document: bytes) -> int:
    """The bytes a zip's central directory says its parts unpack to, in all."""
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        return sum(part.file_size for part in archive.infolist())


ALLOWED = {
    "pdf": ("evidence.pdf", pdf),
    "docx": ("evidence.docx", docx),
    "odt": ("evidence.odt", odt),
    "txt": ("evidence.txt", txt),
}
# (file name, builder, how it is disguised)
DISGUISED = {
    "exe-as-pdf": ("report.pdf", windows_exe),
    "elf-as-txt": ("notes.txt", elf_binary),
    "zip-as-docx": ("letter.docx", plain_zip),
    "pdf-as-docx": ("letter.docx", pdf),
    "empty": ("blank.pdf", empty),
}


# Sending files as a browser does.


@dataclass(frozen=True)
class Upload:
    """A file chosen in a form's file input: its name, its bytes, the type the browser claims."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


def upload(kind: str, filename: str | None = None, content_type: str | None = None) -> Upload:
    """One of the allowed kinds (pdf, docx, odt, txt) or disguised files, as an Upload."""
    default_name, build = ALLOWED[kind] if kind in ALLOWED else DISGUISED[kind]
    return Upload(filename or default_name, build(), content_type or "application/octet-stream")


def _quoted_filename(name: str) -> bytes:
    """A file name in a part header the way browsers write it (the HTML standard's
    multipart/form-data encoding): quote, CR and LF percent-encoded, the rest as UTF-8.
    A backslash is escaped as in any quoted string, so the server reads it as sent."""
    return (
        name.replace("\\", "\\\\")
        .replace('"', "%22")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
        .encode("utf-8", "surrogatepass")
    )


def multipart(fields: Iterable[tuple[str, str | Upload]]) -> tuple[bytes, str]:
    """A multipart/form-data body holding `fields` in order, and its Content-Type.

    Built in memory (the test client's own encoder spools large bodies to a temporary
    file that it never closes), so a test controls every byte of what is sent.
    """
    boundary = "----EvidenceFormBoundary" + secrets.token_hex(12)
    out = io.BytesIO()
    for name, value in fields:
        out.write(b"--" + boundary.encode() + b"\r\n")
        disposition = b'Content-Disposition: form-data; name="' + _quoted_filename(name) + b'"'
        if isinstance(value, Upload):
            out.write(disposition + b'; filename="' + _quoted_filename(value.filename) + b'"\r\n')
            out.write(b"Content-Type: " + value.content_type.encode() + b"\r\n\r\n")
            out.write(value.data)
        else:
            out.write(disposition + b"\r\n\r\n")
            out.write(value.encode("utf-8", "surrogatepass"))
        out.write(b"\r\n")
    out.write(b"--" + boundary.encode() + b"--\r\n")
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"
