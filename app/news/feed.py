"""The Atom 1.0 feed of news posts, built as XML elements so that whatever a title or
summary holds stays text.

Links are absolute, built on SITE_URL (never on the Host header a request claims). Each
entry's id is a tag: URI made from the post's id, so it stays the same when the post's
web address is changed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree

from flask import current_app

from app.mail.compose import site_url
from app.models import NewsPost

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
TITLE = "News – Have your say"
# Characters XML 1.0 does not allow in a document, whatever the escaping.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

ElementTree.register_namespace("", ATOM)  # Atom as the default namespace, without a prefix


def xml_text(text: str) -> str:
    """`text` without the characters an XML document may not contain."""
    return NOT_IN_XML.sub("", text or "")


def timestamp(moment: datetime) -> str:
    """An RFC 3339 time in UTC: '2027-02-01T12:00:00Z'."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(post: NewsPost) -> str:
    """'tag:example.org,2027-02-01:news/12': the site's host, the day the post was made,
    and its id."""
    host = urlsplit(current_app.config["SITE_URL"]).hostname or "localhost"
    return f"tag:{host},{post.created_at.astimezone(UTC):%Y-%m-%d}:news/{post.id}"


def _add(parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str):
    element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = xml_text(text)
    return element


def _entry(feed: ElementTree.Element, post: NewsPost) -> None:
    entry = _add(feed, "entry")
    _add(entry, "title", post.title, type="text")
    _add(
        entry, "link", rel="alternate", type="text/html", href=site_url("news.post", slug=post.slug)
    )
    _add(entry, "id", entry_id(post))
    _add(entry, "published", timestamp(post.published_at or post.created_at))
    _add(entry, "updated", timestamp(post.updated_at))
    author = _add(entry, "author")
    _add(author, "name", post.author_name or "Have your say")
    _add(entry, "summary", post.summary, type="text")


def atom(posts: list[NewsPost], now: datetime) -> bytes:
    """The feed of `posts` as a UTF-8 XML document; `now` is its time when it has none."""
    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    _add(feed, "title", TITLE, type="text")
    _add(feed, "id", site_url("news.index"))
    _add(feed, "link", rel="self", type=MEDIA_TYPE, href=site_url("news.feed_atom"))
    _add(feed, "link", rel="alternate", type="text/html", href=site_url("news.index"))
    latest = max((post.updated_at for post in posts), default=now)
    _add(feed, "updated", timestamp(latest))
    author = _add(feed, "author")
    _add(author, "name", "Have your say")
    for post in posts:
        _entry(feed, post)
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
