"""Junk for hypothesis to send to the forms, and how the site may read it.

What a page can carry: HTML forbids control characters (other than tab, newline, form
feed and carriage return) and noncharacters in a document, so text echoed into a page
is drawn from the rest; the forbidden ones are fuzzed where nothing is echoed, and
through an unchecked client where something is. The site may keep such characters or
drop them on input: the oracles accept either reading of the input (READINGS).
"""

from __future__ import annotations

import unicodedata

from bs4 import BeautifulSoup
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.support.pages import page, text_of


def html_forbidden(char: str) -> bool:
    """Whether `char` may not appear in an HTML document."""
    code = ord(char)
    if unicodedata.category(char) in ("Cc", "Cs"):
        return char not in "\t\n\r\x0c"
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def without_forbidden(text: str) -> str:
    """What the site keeps: no characters HTML forbids, and CRLF line breaks as LF."""
    return "".join(char for char in text if not html_forbidden(char)).replace("\r\n", "\n")


def read(values: list[str], cleaned: bool) -> list[str]:
    """A field's values as the site may read them: as sent, or with the characters HTML
    forbids dropped. Either is fine; the rules must hold for the one the site uses."""
    return [without_forbidden(value) for value in values] if cleaned else values


READINGS = (False, True)  # values as sent, values cleaned


def decoded(raw: bytes) -> str:
    """Bytes as a server would read them from a badly encoded form."""
    return raw.decode("utf-8", errors="replace")


PAGE_SAFE_CHARS = st.characters(
    exclude_categories=("Cs", "Cc"), include_characters="\t\n\r\x0c"
).filter(lambda char: not html_forbidden(char))

CONTROL_CHARS = st.characters(categories=("Cc",)).filter(html_forbidden) | st.sampled_from(
    ["\ufdd0", "\ufffe", "\uffff", "\U0010ffff"]
)

TRICKY = [
    "",
    " ",
    "\t",
    "\r\n",
    "\u00a0",
    "\u3000",
    "\u200b",
    "\ufeff",
    "\u202e",
    "e\u0301",
    "👩\u200d👩\u200d👧",
    "0",
    "null",
    "None",
    "<script>alert(1)</script>",
    '"><b>x</b>',
    "'; DROP TABLE consultation; --",
    "&amp; &lt; &#0;",
    "{{ 7 * 7 }}",
    "%00",
    '=HYPERLINK("http://x")',
]

# Text that is safe to echo: wide alphabet, decoded bytes, known troublemakers, long runs.
PAGE_SAFE_TEXT = st.one_of(
    st.text(PAGE_SAFE_CHARS, max_size=40),
    st.binary(max_size=40).map(decoded).map(without_forbidden),
    st.sampled_from(TRICKY),
    st.text(PAGE_SAFE_CHARS, min_size=1, max_size=4).map(lambda run: run * 5000),
)

# Text with at least one character HTML forbids.
CONTROL_TEXT = st.one_of(
    st.tuples(st.text(PAGE_SAFE_CHARS, max_size=10), CONTROL_CHARS, st.text(max_size=10)).map(
        "".join
    ),
    st.binary(min_size=1, max_size=40)
    .map(decoded)
    .filter(lambda text: any(html_forbidden(char) for char in text)),
)

# Anything at all: for fields that are never written back into a page.
ANY_TEXT = st.one_of(PAGE_SAFE_TEXT, CONTROL_TEXT, st.text(max_size=40))


def sent_as(values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """A field's values in the form body: usually once, sometimes missing or repeated."""
    return st.one_of(values.map(lambda value: [value]), st.lists(values, max_size=3))


def extra_fields(known: set[str]) -> st.SearchStrategy[dict[str, str]]:
    """Fields the form does not have."""
    names = st.text(PAGE_SAFE_CHARS, min_size=1, max_size=15).filter(lambda n: n not in known)
    return st.dictionaries(names, ANY_TEXT, max_size=3)


def body(fields: dict[str, list[str]], extra: dict[str, str], token: str | None) -> MultiDict:
    """The form body, with the CSRF token first."""
    data = MultiDict()
    if token is not None:
        data.add("csrf_token", token)
    for name, values in fields.items():
        for value in values:
            data.add(name, value)
    for name, value in extra.items():
        data.add(name, value)
    return data


def assert_form_error_page(response) -> BeautifulSoup:
    """A 422 whose error summary links to ids on the page, each message also by its field."""
    assert response.status_code == 422
    soup = page(response)
    assert soup.title.get_text().startswith("Error: "), soup.title.get_text()
    summary = soup.find(class_="error-summary")
    assert summary is not None, "no error summary"
    links = summary.find_all("a")
    assert links, "an error summary without links"
    by_fields = [text_of(tag) for tag in soup.find_all(class_="field-error")]
    for link in links:
        assert link["href"].startswith("#"), link
        assert soup.find(id=link["href"][1:]) is not None, f"no id for {link['href']}"
        assert any(text_of(link) in message for message in by_fields), text_of(link)
    return soup
