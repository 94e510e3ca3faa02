"""The Atom feed of news posts at /news/feed.atom: a valid Atom 1.0 document, parsed here
with xml.etree, holding the 20 newest live posts with absolute links built on SITE_URL, and
whatever a title or summary holds kept as text.

Posts are stored straight with the models: writing them through the admin pages is
tested in tests/test_news_posts.py, and the feed must also cope with text no form lets in.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.models import NewsPost
from tests.support.clients import START

SITE = "https://consult.example.gov.uk"
A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
HOSTILE = [
    "<script>alert(1)</script>",
    "]]><evil/>",
    "Fish & chips &amp; &lt;b&gt;",
    "<![CDATA[x]]>",
    "\"quoted\" 'single'",
    "<?xml version='1.0'?>",
    "&#0; &nbsp; &unknown;",
]


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["SITE_URL"] = SITE + "/"
    return app_config


def store(
    number: int, *, live: bool = True, title: str | None = None, summary: str = ""
) -> NewsPost:
    """Post `number`, published `number` hours after the start and changed a day later."""
    published = START + timedelta(hours=number)
    post = NewsPost(
        title=title if title is not None else f"Post {number}",
        slug=f"post-{number}",
        summary=summary or f"Summary of post {number}.",
        author_name=f"Author {number}",
        published_at=published if live else None,
        live=live,
        created_at=published,
        updated_at=published + timedelta(days=1),
    )
    db.session.add(post)
    db.session.commit()
    return post


def fetch(client, **kwargs) -> ElementTree.Element:
    """The feed, checked as an Atom document must be; its root."""
    answer = client.get("/news/feed.atom", **kwargs)
    assert answer.status_code == 200
    assert answer.mimetype == "application/atom+xml"
    root = ElementTree.fromstring(answer.get_data())
    assert_valid_atom(root)
    return root


def one(element: ElementTree.Element, name: str) -> ElementTree.Element:
    found = element.findall(A + name)
    assert len(found) == 1, f"{len(found)} <{name}> in <{element.tag}>"
    return found[0]


def assert_valid_atom(feed: ElementTree.Element) -> None:
    """RFC 4287's rules for a feed and its entries: one id, title and updated each; the
    times in RFC 3339; ids as absolute IRIs; an author for every entry; text constructs of
    type text with no markup inside."""
    assert feed.tag == A + "feed"
    for element in [feed, *feed.findall(A + "entry")]:
        identifier = one(element, "id").text
        assert re.match(r"(https://|tag:)", identifier), identifier
        assert RFC3339.fullmatch(one(element, "updated").text)
        title = one(element, "title")
        assert title.get("type") == "text" and list(title) == []
        for link in element.findall(A + "link"):
            assert link.get("href").startswith(SITE + "/"), link.get("href")
    assert feed.find(f"{A}author/{A}name").text
    for entry in feed.findall(A + "entry"):
        assert RFC3339.fullmatch(one(entry, "published").text)
        assert one(entry, "summary").get("type") == "text"
        assert list(one(entry, "summary")) == []
        assert one(entry, "author").find(A + "name").text
        alternate = [link for link in entry.findall(A + "link") if link.get("rel") == "alternate"]
        assert len(alternate) == 1
    identifiers = [entry.find(A + "id").text for entry in feed.findall(A + "entry")]
    assert len(identifiers) == len(set(identifiers))


def atom_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_the_feed_holds_the_twenty_newest_live_posts_newest_first(client):
    for number in range(1, 23):
        store(number)
    store(23, live=False)

    feed = fetch(client)

    entries = feed.findall(A + "entry")
    assert [entry.find(A + "title").text for entry in entries] == [
        f"Post {number}" for number in range(22, 2, -1)
    ]
    newest = entries[0]
    assert newest.find(A + "link").get("href") == f"{SITE}/news/post-22"
    assert newest.find(A + "link").get("rel") == "alternate"
    assert newest.find(A + "summary").text == "Summary of post 22."
    assert newest.find(f"{A}author/{A}name").text == "Author 22"
    changed = START + timedelta(hours=22, days=1)
    assert newest.find(A + "updated").text == atom_time(changed)
    assert newest.find(A + "published").text == atom_time(START + timedelta(hours=22))
    assert feed.find(A + "updated").text == atom_time(changed)
    assert re.fullmatch(
        r"tag:consult\.example\.gov\.uk,2027-02-0[12]:news/\d+", newest.find(A + "id").text
    )


def test_the_feed_describes_itself_with_absolute_links(client):
    feed = fetch(client)
    links = {link.get("rel"): link for link in feed.findall(A + "link")}
    assert links["self"].get("href") == f"{SITE}/news/feed.atom"
    assert links["self"].get("type") == "application/atom+xml"
    assert links["alternate"].get("href") == f"{SITE}/news"
    assert feed.find(A + "id").text == f"{SITE}/news"
    assert feed.find(A + "entry") is None


def test_links_ignore_the_host_a_request_claims(client):
    store(1)
    feed = fetch(client, headers={"Host": "evil.example"})
    assert feed.find(f"{A}entry/{A}link").get("href") == f"{SITE}/news/post-1"


def test_an_entry_keeps_its_id_when_its_address_changes(client):
    post = store(1)
    before = fetch(client).find(f"{A}entry/{A}id").text
    post.slug = "a-new-address"
    db.session.commit()
    entry = fetch(client).find(A + "entry")
    assert entry.find(A + "id").text == before
    assert entry.find(A + "link").get("href") == f"{SITE}/news/a-new-address"


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_titles_and_summaries_stay_text(client, hostile):
    store(1, title=hostile, summary=f"Summary: {hostile}")
    entry = fetch(client).find(A + "entry")
    assert entry.find(A + "title").text == hostile
    assert entry.find(A + "summary").text == f"Summary: {hostile}"


def test_characters_xml_cannot_carry_are_dropped(client):
    store(1, title="Tab\there, form\x0cfeed, bell\x07", summary="Start\x01 and \ufffe gone")
    entry = fetch(client).find(A + "entry")
    assert entry.find(A + "title").text == "Tab\there, formfeed, bell"
    assert entry.find(A + "summary").text == "Start and  gone"


# PostgreSQL stores no NUL in text, and no form lets one in; every other character may come.
STORABLE = st.text(st.characters(exclude_characters="\x00"), min_size=1, max_size=200)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(title=STORABLE, summary=STORABLE)
def test_any_title_and_summary_give_a_valid_feed_holding_them_as_text(client, title, summary):
    db.session.query(NewsPost).delete()
    db.session.commit()
    store(1, title=title, summary=summary)
    entry = fetch(client).find(A + "entry")
    assert (entry.find(A + "title").text or "") == as_xml_reads(title)
    assert (entry.find(A + "summary").text or "") == as_xml_reads(summary)


def as_xml_reads(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry, with every line break read as
    a line feed, as an XML parser reads it back."""
    allowed = re.compile("[^\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
    return "".join(allowed.findall(text)).replace("\r\n", "\n").replace("\r", "\n")
