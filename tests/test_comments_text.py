"""A comment's text as HTML (app.comments.text), for any text typed: the only markup is
the paragraphs, line breaks and links it makes; every link is http(s) and marked as the
reader's; and what a browser shows is exactly what was typed."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup, NavigableString
from hypothesis import given
from hypothesis import strategies as st

from app.comments.text import comment_html, plain_text
from tests.support.fuzz import without_forbidden

PIECES = st.sampled_from(
    [
        "http://",
        "https://",
        "HTTPS://",
        "www.",
        "WWW.",
        "example.org",
        "/path?a=1&b=2#top",
        "<a href='http://x.org'>x</a>",
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "</p><p>",
        "<br>",
        "javascript:alert(1)",
        "data:text/html,hi",
        "mailto:ada@example.org",
        "ada@example.org",
        "//evil.example",
        "ftp://files.example",
        "&amp;",
        "&lt;",
        "{{ 7 * 7 }}",
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        " ",
        "\t",
        ".",
        ",",
        ")",
        "(",
        '"',
        "'",
    ]
)
# The controls that make text read in another direction than it is stored: embeddings
# and overrides (U+202A to U+202E) and isolates (U+2066 to U+2069).
BIDI_CONTROLS = [chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
TYPED = st.one_of(
    st.text(),
    st.lists(
        st.one_of(PIECES, st.sampled_from(BIDI_CONTROLS), st.text(max_size=8)), max_size=30
    ).map("".join),
)


def as_shown(html: str) -> BeautifulSoup:
    """The HTML parsed as a browser parses it, inside an element of its own."""
    return BeautifulSoup(f"<div id=comment>{html}</div>", "html5lib").find(id="comment")


def seen(root) -> str:
    """The text a reader sees, with paragraphs and line breaks as typed line breaks."""
    paragraphs = []
    for paragraph in root.children:
        assert paragraph.name == "p", f"{paragraph!r} outside a paragraph"
        text = ""
        for node in paragraph.children:
            if isinstance(node, NavigableString):
                text += str(node)
            elif node.name == "br":
                text += "\n"
            else:
                assert node.name == "a", node
                text += node.get_text()
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


def expected(typed: str) -> str:
    """What the reader typed, as the site shows it: line breaks as line feeds, without the
    characters an HTML page may not carry or the controls that change the text's direction."""
    text = without_forbidden(typed.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(char for char in text if char not in BIDI_CONTROLS)


@given(TYPED)
def test_only_paragraphs_line_breaks_and_web_links_are_markup(typed):
    root = as_shown(comment_html(typed))
    for element in root.find_all(True):
        assert element.name in {"p", "br", "a"}, element.name
        if element.name == "a":
            assert set(element.attrs) == {"href", "rel"}
            assert element["rel"] == ["nofollow", "ugc", "noopener"]
            assert element["href"].startswith(("http://", "https://")), element["href"]
            assert element.find(True) is None
        else:
            assert not element.attrs


@given(TYPED)
def test_what_is_shown_is_what_was_typed(typed):
    assert seen(as_shown(comment_html(typed))) == expected(typed)
    assert plain_text(typed) == expected(typed)


@given(TYPED)
def test_no_control_of_the_text_direction_is_shown(typed):
    html = str(comment_html(typed))
    assert not any(char in html for char in BIDI_CONTROLS)
    assert not any(char in plain_text(typed) for char in BIDI_CONTROLS)


@pytest.mark.parametrize("control", BIDI_CONTROLS)
def test_a_link_reads_as_the_address_it_goes_to(control):
    """An override cannot make a link's text read as another address than its href."""
    typed = f"https://example.org/{control}gro.live//:sptth"
    [link] = as_shown(comment_html(typed)).find_all("a")
    assert link.get_text() == link["href"] == "https://example.org/gro.live//:sptth"


@pytest.mark.parametrize(
    ("typed", "href", "shown"),
    [
        ("see https://example.org/a?b=1&c=2.", "https://example.org/a?b=1&c=2", None),
        ("at www.example.org today", "http://www.example.org", "www.example.org"),
        ("HTTP://Example.org/X", "http://Example.org/X", "HTTP://Example.org/X"),
    ],
)
def test_web_addresses_become_links(typed, href, shown):
    [link] = as_shown(comment_html(typed)).find_all("a")
    assert link["href"] == href
    assert link.get_text() == (shown or href)


@pytest.mark.parametrize(
    "typed",
    [
        "javascript:alert(1)",
        "mailto:ada@example.org",
        "ada@example.org",
        "ftp://files.example/x",
        "//evil.example/x",
        "example.org",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_other_addresses_stay_text(typed):
    root = as_shown(comment_html(typed))
    assert root.find("a") is None
    assert seen(root) == typed


def test_markup_typed_is_shown_as_typed():
    typed = '<script>alert(1)</script> <b onclick="x()">bold</b>'
    html = str(comment_html(typed))
    assert "<script" not in html and "<b" not in html
    assert seen(as_shown(html)) == typed


def test_a_blank_line_starts_a_paragraph_and_a_line_break_is_kept():
    root = as_shown(comment_html("one\ntwo\n\nthree"))
    assert [p.get_text() for p in root.find_all("p")] == ["onetwo", "three"]
    assert len(root.find_all("br")) == 1
