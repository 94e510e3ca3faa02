"""Junk for the written evidence form, for hypothesis: the fields, the files and the
seconds taken, drawn as tests/test_evidence_fuzz.py and the change form's fuzz test in
tests/test_evidence_changes.py send them, against a consultation with small limits (2
files of 1 MB, 400 characters), so that junk crosses them often."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.support import sample_files as sf
from tests.support.evidence import RESPONDENT_TYPES, TOPICS
from tests.support.fuzz import html_forbidden
from tests.support.sample_files import Upload

MAX_FILES = 2
MAX_MB = 1
MAX_LENGTH = 400
MB = 1024 * 1024
PUBLISH = {"named", "anonymous", "no"}

FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def cleaned(text: str) -> str:
    """A value as the site keeps it: read from the body as UTF-8 (a lone surrogate goes as
    bytes that are not UTF-8, read as U+FFFD), without what HTML forbids, CRLF as LF."""
    received = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return "".join(c for c in received if not html_forbidden(c)).replace("\r\n", "\n")


# --- strategies --------------------------------------------------------------------------------

TRICKY = [
    "",
    " ",
    "\t\r\n",
    "\u00a0",
    "\u200b",
    "\ufeff",
    "\u202e",
    "e\u0301",
    "<script>alert(1)</script>",
    '"><b>x</b>',
    "'; DROP TABLE response; --",
    "{{ 7 * 7 }}",
    "%00",
    "\x00",
    "\x1b[31m",
    "\ud800",
    '=HYPERLINK("http://x")',
]
# Anything at all, control characters and lone surrogates included.
ANY_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(TRICKY),
    st.binary(max_size=40).map(lambda raw: raw.decode("utf-8", errors="replace")),
    st.text(min_size=1, max_size=3).map(lambda run: run * 3000),  # huge
)
PAGE_SAFE_CHARS = st.characters(exclude_categories=("Cs", "Cc")).filter(
    lambda char: not html_forbidden(char)
)


def mostly(good: st.SearchStrategy, junk: st.SearchStrategy, odds: int = 6) -> st.SearchStrategy:
    """Usually (`odds` to one) what a person would send, often enough junk. (one_of would
    choose evenly between its branches, however often one is repeated.)"""
    return st.sampled_from([True] * odds + [False]).flatmap(lambda ok: good if ok else junk)


def sent_as(values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """A field's values in the body: usually once, sometimes missing or repeated."""
    return mostly(values.map(lambda value: [value]), st.lists(values, max_size=3), odds=4)


EMAILS = st.sampled_from(
    ["ada@example.org", "Ada@EXAMPLE.org", " ada@example.org ", "a@b.co", "ada@", "@x", "ada"]
)
FIELDS = st.fixed_dictionaries(
    {
        "name": sent_as(mostly(st.sampled_from(["Ada Jones", " Ada "]), ANY_TEXT)),
        "email": sent_as(mostly(EMAILS, ANY_TEXT)),
        "respondent_type": sent_as(mostly(st.sampled_from(RESPONDENT_TYPES), ANY_TEXT)),
        "organisation": sent_as(mostly(st.sampled_from(["", "Northside Food Bank"]), ANY_TEXT)),
        "topics": mostly(
            st.lists(st.sampled_from(TOPICS), min_size=1, max_size=3, unique=True),
            st.lists(mostly(st.sampled_from(TOPICS), ANY_TEXT, odds=2), max_size=4),
            odds=3,
        ),
        "evidence": sent_as(
            mostly(
                st.sampled_from(["Evidence.", "x" * MAX_LENGTH, "x" * (MAX_LENGTH + 1)]),
                ANY_TEXT,
            )
        ),
        "publish": sent_as(mostly(st.sampled_from(sorted(PUBLISH)), ANY_TEXT)),
        "consent": sent_as(mostly(st.just("y"), st.sampled_from(["", "n", "yes", "0"]))),
    }
)
# The hidden fields: as served, or forged.
REAL_DOCUMENTS = st.sampled_from([builder for _name, builder in sf.ALLOWED.values()])
DISGUISES = st.sampled_from([builder for _name, builder in sf.DISGUISED.values()])
CONTENTS = st.one_of(
    REAL_DOCUMENTS.map(lambda build: build()),
    DISGUISES.map(lambda build: build()),
    st.binary(max_size=2048),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.just(b"%PDF-"),
    st.just(b"PK\x03\x04garbage"),
    st.integers(MAX_MB * MB - 5, MAX_MB * MB + 5).map(sf.pdf_of_size),
)
EXTENSIONS = st.sampled_from(["pdf", "docx", "odt", "txt", "PDF", "exe", "zip", "", "pdf.exe"])


def file_names(chars: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.builds(
            lambda stem, ext: f"{stem}.{ext}" if ext else stem,
            st.text(chars, max_size=30),
            EXTENSIONS,
        ),
        st.sampled_from(
            ["", ".", ".pdf", "../../etc/passwd.pdf", "C:\\x\\y.txt", "a/b/c.docx", "x" * 300]
        ),
    )


CLAIMED_TYPES = st.sampled_from(["application/pdf", "application/octet-stream", "text/plain"])


def uploads(chars: st.SearchStrategy[str]) -> st.SearchStrategy[list[Upload]]:
    """Files: a real document under a name with its extension, or anything at all."""
    real = st.builds(
        lambda stem, kind, claimed: Upload(f"{stem}.{kind}", sf.ALLOWED[kind][1](), claimed),
        st.text(chars, min_size=1, max_size=30),
        st.sampled_from(sorted(sf.ALLOWED)),
        CLAIMED_TYPES,
    )
    anything = st.builds(Upload, file_names(chars), CONTENTS, CLAIMED_TYPES)
    return st.lists(mostly(real, anything, odds=2), max_size=MAX_FILES + 1)


SECONDS = mostly(st.sampled_from([3, 5, 60]), st.sampled_from([0, 1, 2.9]), odds=12)
