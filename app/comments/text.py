"""A comment's text as readers see it: pure functions of the text typed.

On a page a comment is plain text made safe: every character is escaped, line breaks
are kept (a blank line starts a new paragraph), and web addresses that start with
http://, https:// or www. become links marked as the reader's, not ours
(rel="nofollow ugc noopener"). Nothing else ever becomes markup: text that looks like a
tag is shown as the characters typed. Emails get the plain text.
"""

from __future__ import annotations

import re
import threading

from linkify_it import LinkifyIt
from markupsafe import Markup, escape

REL = "nofollow ugc noopener"
WEB_SCHEMES = ("http:", "https:")

# Characters HTML does not allow in a document (controls other than tab, line feed and
# form feed, lone surrogates and the noncharacters): nobody types them, so they are not
# shown. Nor are the controls that make text read in another direction than it is stored
# (embeddings and overrides, U+202A to U+202E, and isolates, U+2066 to U+2069): with one,
# a link's text could read as another address than the one it goes to.
_NONCHARACTERS = "".join(
    chr(plane * 0x10000 + 0xFFFE) + chr(plane * 0x10000 + 0xFFFF) for plane in range(0x11)
)
_NOT_SHOWN = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\u202a-\u202e\u2066-\u2069"
    + re.escape(_NONCHARACTERS)
    + "]"
)

# A LinkifyIt keeps the state of its last search in itself: one per thread.
_finders = threading.local()


def _finder() -> LinkifyIt:
    finder = getattr(_finders, "finder", None)
    if finder is None:
        finder = _finders.finder = LinkifyIt()
    return finder


def plain_text(body: str) -> str:
    """The text as typed, as shown: line breaks as line feeds, without the characters HTML
    cannot carry or the controls of the text's direction. This is what an email's plain
    text part shows."""
    return _NOT_SHOWN.sub("", body.replace("\r\n", "\n").replace("\r", "\n"))


def comment_html(body: str) -> Markup:
    """The comment as HTML: paragraphs, line breaks, links, and everything else escaped."""
    text = plain_text(body)
    parts: list[str] = []
    start = 0
    for match in _finder().match(text) or []:
        if not _web_link(match):
            continue
        parts.append(_escaped(text[start : match.index]))
        parts.append(_link(match.url, match.text))
        start = match.last_index
    parts.append(_escaped(text[start:]))
    return Markup("<p>" + "".join(parts) + "</p>")  # noqa: S704 (every part escaped above)


def _web_link(match) -> bool:
    """An address with http:// or https://, or one starting www. (no mail, FTP or bare
    domain: "example.org" in a sentence is not offered as a link)."""
    schema = match.schema.lower()
    return schema in WEB_SCHEMES or (schema == "" and match.text.lower().startswith("www."))


def _link(url: str, shown: str) -> str:
    scheme, _, rest = url.partition("://")
    href = f"{scheme.lower()}://{rest}"
    return f'<a href="{escape(href)}" rel="{REL}">{escape(shown)}</a>'


def _escaped(text: str) -> str:
    """Plain text as HTML: a blank line ends a paragraph, a line break is a <br>."""
    return str(escape(text)).replace("\n\n", "</p><p>").replace("\n", "<br>")
