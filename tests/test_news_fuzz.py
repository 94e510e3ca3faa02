"""Junk thrown at the admin form for news posts (writing one, and changing a draft or a
published one), with hypothesis.

Values may be missing, repeated, empty, enormous, full of control characters, or not
among the consultations the page offered; web addresses may be taken or misshapen; the
CSRF token may be forged; unknown fields come too. For any input:

- never a 5xx;
- a refused post gets a 422 whose error summary links to each field's message on the
  page, with everything typed kept in its field, and nothing is stored or audited;
- a post that is certainly valid is stored as the form reads it, with one audit event
  (none when a change changes nothing).

As in tests/test_admin_updates_fuzz.py, the site drops the characters HTML forbids from
every value, so each property holds for one reading of the input: as sent, or cleaned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.admin.authoring.settings import slug_from_title
from app.extensions import db
from app.models import AuditEvent, NewsPost
from tests.support.audit import audit_actions_since, last_audit_id
from tests.support.clients import START, UncheckedClient, new_browser
from tests.support.factories import (
    ADMIN_EMAIL,
    OFFICER_EMAIL,
    OFFICER_PASSWORD,
    AuthActions,
    csrf_token,
    make_officer,
)
from tests.support.fuzz import ANY_TEXT, READINGS, body, extra_fields, read, sent_as
from tests.support.html_checks import check_page
from tests.support.pages import text_of

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = ("title", "slug", "summary", "body", "author_name", "consultation")
BOXES = ("comments_on", "close_with_consultation")
TAKEN, TARGET = "taken-address", "target-post"
SLUG_SHAPE = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass
class World:
    app: Flask
    clients: dict[str, tuple[FlaskClient, str]]  # actor -> (browser, CSRF token)
    consultations: set[str]  # ids as the select sends them
    target: int  # the post changed by the edit examples
    live: int  # a published post


def signed_in(app: Flask, email: str | None = None, password: str | None = None):
    client = new_browser(app, UncheckedClient)
    auth = AuthActions(client)
    assert (auth.login(email, password) if email else auth.login()).status_code == 303
    return client, csrf_token(client, "/admin/news/new")


def stored(title: str, slug: str, live: bool = False) -> int:
    post = NewsPost(
        title=title,
        slug=slug,
        summary="A summary.",
        body="A body.",
        author_name="Sam Okafor",
        live=live,
        published_at=START if live else None,
        created_at=START,
        updated_at=START,
    )
    db.session.add(post)
    db.session.commit()
    return post.id


@pytest.fixture
def world(request, app_config) -> Iterator[World]:
    """An app whose crashes are 500s the test sees, with two consultations (one a draft),
    a post holding the address TAKEN, a draft and a published post to change; the admin and
    an officer, each signed in with their own client."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    request.getfixturevalue("admin_user")
    make = request.getfixturevalue("make_consultation")
    parks = make(slug="parks", title="Parks and open spaces")
    draft = make(slug="draft", title="A draft", published_at=None)
    stored("Taken address", TAKEN)
    target = stored("Target post", TARGET)
    live = stored("Live post", "live-post", live=True)
    make_officer()
    officer = signed_in(app, OFFICER_EMAIL, OFFICER_PASSWORD)
    yield World(
        app=app,
        clients={"admin": signed_in(app), "officer": officer},
        consultations={str(parks.id), str(draft.id)},
        target=target,
        live=live,
    )


# --- what the form reads ----------------------------------------------------------------------


def first(values: list[str], cleaned: bool) -> str | None:
    return read(values, cleaned)[0] if values else None


def one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def trimmed(text: str | None) -> str:
    return text.strip() if text else ""


def ticked(values: list[str], cleaned: bool) -> bool:
    value = first(values, cleaned)
    return value is not None and value not in ("", "false")


def reading(sent: dict[str, list[str]], cleaned: bool, world: World, taken: set[str]):
    """(the fields as the form reads them, whether it accepts them); `taken`: the web
    addresses of the other posts."""
    shown = {
        "title": one_line(first(sent["title"], cleaned)),
        "slug": trimmed(first(sent["slug"], cleaned)),
        "summary": one_line(first(sent["summary"], cleaned)),
        "body": trimmed(first(sent["body"], cleaned)),
        "author_name": one_line(first(sent["author_name"], cleaned)),
        "consultation": first(sent["consultation"], cleaned),
        "comments_on": ticked(sent["comments_on"], cleaned),
        "close_with_consultation": ticked(sent["close_with_consultation"], cleaned),
    }
    slug = shown["slug"]
    if slug:
        slug_ok = len(slug) <= 80 and bool(SLUG_SHAPE.fullmatch(slug)) and slug not in taken
    else:
        slug_ok = bool(slug_from_title(shown["title"]))
    valid = (
        0 < len(shown["title"]) <= 200
        and 0 < len(shown["summary"]) <= 400
        and len(shown["body"]) <= 50_000
        and 0 < len(shown["author_name"]) <= 100
        and (shown["consultation"] or "") in world.consultations | {""}
        and slug_ok
    )
    return shown, valid


# --- reading what came back and what is stored ---------------------------------------------------


def checked(response) -> BeautifulSoup | None:
    if response.mimetype != "text/html" or 300 <= response.status_code < 400:
        return None
    return check_page(response.get_data(as_text=True))


def shown_on(soup: BeautifulSoup) -> dict:
    """The fields as the page shows them."""
    selected = soup.find(id="consultation").find("option", selected=True)
    return {
        **{name: soup.find(id=name).get("value", "") for name in ("title", "slug", "author_name")},
        **{name: soup.find(id=name).get_text() for name in ("summary", "body")},
        "consultation": selected["value"] if selected else None,
        **{name: soup.find(id=name).has_attr("checked") for name in BOXES},
    }


def assert_refused_with_messages(response) -> BeautifulSoup:
    assert response.status_code == 422, response.status_code
    soup = checked(response)
    assert soup.title.get_text().startswith("Error: ")
    summary = soup.find(class_="error-summary")
    links = summary.find_all("a")
    assert links, "an error summary without links"
    by_fields = [text_of(tag) for tag in soup.find_all(class_="field-error")]
    for link in links:
        assert soup.find(id=link["href"][1:]) is not None, f"no id for {link['href']}"
        assert any(text_of(link) in message for message in by_fields), text_of(link)
    return soup


def posts_now() -> list[tuple]:
    db.session.rollback()
    return [
        (
            p.id,
            p.title,
            p.slug,
            p.summary,
            p.body,
            p.author_name,
            p.consultation_id,
            p.comments_on,
            p.close_with_consultation,
        )
        for p in db.session.scalars(select(NewsPost).order_by(NewsPost.id))
    ]


def as_stored(row: tuple) -> dict:
    _, title, slug, summary, text, author, consultation, comments, closes = row
    return {
        "title": title,
        "slug": slug,
        "summary": summary,
        "body": text,
        "author_name": author,
        "consultation": str(consultation) if consultation else "",
        "comments_on": comments,
        "close_with_consultation": closes,
    }


def matches(row: tuple, shown: dict) -> bool:
    """Whether the stored post is what the form read (a web address left empty is made
    from the title)."""
    kept = as_stored(row)
    shown = {**shown, "consultation": shown["consultation"] or ""}
    if not shown["slug"]:
        made = slug_from_title(shown["title"])[:76].rstrip("-")
        if not kept["slug"].startswith(made):
            return False
        kept["slug"] = shown["slug"]
    return kept == shown


# --- the junk -----------------------------------------------------------------------------------

TITLES = st.one_of(
    st.sampled_from(
        ["New plans for parks", "  Two\nlines  ", "t" * 200, "t" * 201, "¿¡…!?", "", "\u3000"]
    ),
    ANY_TEXT,
)
SLUGS = st.one_of(
    st.sampled_from(
        ["", "", TAKEN, TARGET, "good-one", "Bad Slug", "a" * 80, "a" * 81, "-x", "x--y", " ok "]
    ),
    ANY_TEXT,
)
SUMMARIES = st.one_of(st.sampled_from(["A summary.", "s" * 400, "s" * 401, "", " \n "]), ANY_TEXT)
BODIES = st.one_of(
    st.sampled_from(["## Heading\n\nText.", "<script>alert(1)</script>", "z" * 50_001, ""]),
    ANY_TEXT,
)
AUTHORS = st.one_of(st.sampled_from(["Sam Okafor", "a" * 100, "a" * 101, ""]), ANY_TEXT)
CONSULTATIONS = st.one_of(st.sampled_from(["", "1", "2", "3", " 1", "1.0", "-1"]), ANY_TEXT)
BOX_VALUES = st.one_of(st.sampled_from(["y", "false", "", "on"]), ANY_TEXT)


def mostly(good: list[str], junk: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """A field's values: five times in six a good one sent once, so that whole forms are
    often valid; otherwise junk, missing or repeated."""
    return st.integers(0, 5).flatmap(
        lambda n: st.sampled_from(good).map(lambda value: [value]) if n else sent_as(junk)
    )


GOOD = {
    "title": ["New plans for parks"],
    "slug": [""],
    "summary": ["A summary."],
    "body": ["Text."],
    "author_name": ["Sam Okafor"],
    "consultation": ["1"],
    "comments_on": ["y"],
    "close_with_consultation": [],
}


@FUZZ
@given(
    actor=st.sampled_from(["admin", "admin", "officer"]),
    target=st.sampled_from(["new", "new", "draft", "live"]),
    title=mostly(GOOD["title"], TITLES),
    slug=mostly(["", "", "a-good-address"], SLUGS),
    summary=mostly(GOOD["summary"], SUMMARIES),
    text=mostly(GOOD["body"], BODIES),
    author=mostly(GOOD["author_name"], AUTHORS),
    consultation=mostly(["", "1", "2"], CONSULTATIONS),
    comments_on=mostly(["y", "y", ""], BOX_VALUES),
    closes=mostly(["y", "y", ""], BOX_VALUES),
    token_ok=st.sampled_from([True] * 9 + [False]),
    extra=extra_fields(set(FIELDS) | set(BOXES) | {"csrf_token"}),
)
@example(
    actor="admin",
    target="new",
    title=GOOD["title"],
    slug=GOOD["slug"],
    summary=GOOD["summary"],
    text=GOOD["body"],
    author=GOOD["author_name"],
    consultation=[],
    comments_on=GOOD["comments_on"],
    closes=[],
    token_ok=True,
    extra={},
)
@example(
    actor="officer",
    target="draft",
    title=["Target post"],
    slug=[TAKEN],
    summary=["s" * 401],
    text=["z"],
    author=[""],
    consultation=["x"],
    comments_on=["false"],
    closes=["y"],
    token_ok=True,
    extra={},
)
def test_the_news_form_survives_junk(
    world,
    actor,
    target,
    title,
    slug,
    summary,
    text,
    author,
    consultation,
    comments_on,
    closes,
    token_ok,
    extra,
):
    client, token = world.clients[actor]
    editing = {"new": None, "draft": world.target, "live": world.live}[target]
    url = "/admin/news/new" if editing is None else f"/admin/news/{editing}"
    sent = {
        "title": title,
        "slug": slug,
        "summary": summary,
        "body": text,
        "author_name": author,
        "consultation": consultation,
        "comments_on": comments_on,
        "close_with_consultation": closes,
    }
    before, since = posts_now(), last_audit_id()
    taken = {row[2] for row in before if row[0] != editing}

    response = client.post(url, data=body(sent, extra, token if token_ok else "x"))

    status = response.status_code
    event(f"{target} {status}")
    assert status < 500
    after = posts_now()
    if not token_ok:
        assert status == 400 and after == before and audit_actions_since(since) == []
        return
    readings = [reading(sent, cleaned, world, taken) for cleaned in READINGS]
    assert status in {303 if valid else 422 for _, valid in readings}
    if status == 422:
        soup = assert_refused_with_messages(response)
        on_page = shown_on(soup)
        offered = world.consultations | {""}
        expected = [
            {
                **shown,
                "consultation": shown["consultation"] if shown["consultation"] in offered else None,
            }
            for shown, _ in readings
        ]
        assert on_page in expected, on_page
        assert after == before and audit_actions_since(since) == []
        return
    accepted = [shown for shown, valid in readings if valid]
    if editing is None:
        [row] = [row for row in after if row not in before]
        assert urlsplit(response.headers["Location"]).path == f"/admin/news/{row[0]}/preview"
        assert audit_actions_since(since) == ["news_draft"]
    else:
        [row] = [row for row in after if row[0] == editing]
        changed = row not in before
        assert audit_actions_since(since) == (["news_change"] if changed else [])
    assert any(matches(row, shown) for shown in accepted), (as_stored(row), accepted)
    assert checked(client.get(response.headers["Location"])) is not None


def test_the_form_filled_in_well_is_saved(world):
    """A guard on the oracle: what GOOD sends is stored as a draft by the admin."""
    client, token = world.clients["admin"]
    since = last_audit_id()
    answer = client.post("/admin/news/new", data=body(GOOD, {}, token))
    assert answer.status_code == 303
    assert posts_now()[-1][1:3] == ("New plans for parks", "new-plans-for-parks")
    db.session.rollback()
    [event_row] = db.session.scalars(select(AuditEvent).where(AuditEvent.id > since))
    assert (event_row.actor, event_row.action) == (ADMIN_EMAIL, "news_draft")


# --- the publish and unpublish buttons ---------------------------------------------------------

BUTTON_FIELDS = st.dictionaries(
    st.sampled_from(["live", "published_at", "title", "slug", "post_id"]), sent_as(ANY_TEXT)
)
WHICH = st.sampled_from(["draft", "live", "draft", "live", "gone", "junk"])


def live_now(post_id: int) -> bool | None:
    db.session.rollback()
    post = db.session.get(NewsPost, post_id)
    return None if post is None else post.live


@FUZZ
@given(
    actor=st.sampled_from(["admin", "officer"]),
    action=st.sampled_from(["publish", "unpublish"]),
    which=WHICH,
    junk_id=ANY_TEXT,
    token_ok=st.sampled_from([True] * 4 + [False]),
    fields=BUTTON_FIELDS,
    extra=extra_fields({"csrf_token", "live", "published_at", "title", "slug", "post_id"}),
)
@example(
    actor="admin",
    action="publish",
    which="draft",
    junk_id="",
    token_ok=True,
    fields={},
    extra={},
)
def test_the_publish_buttons_survive_junk(
    world, actor, action, which, junk_id, token_ok, fields, extra
):
    """Publishing and unpublishing are one-button forms: with a good token the post is
    live (or not) afterwards, with one audit event if that changed it; anything else
    changes nothing; never a 5xx."""
    client, token = world.clients[actor]
    post_id = {"draft": world.target, "live": world.live}.get(which)
    segment = {"gone": "999999", "junk": quote(junk_id, safe="")}.get(which, str(post_id))
    url = f"/admin/news/{segment}/{action}"
    was = {world.target: live_now(world.target), world.live: live_now(world.live)}
    since = last_audit_id()

    response = client.post(url, data=body(fields, extra, token if token_ok else "x"))

    status = response.status_code
    event(f"{action} {which} {status}")
    assert status < 500
    assert status in {303, 400, 404, 405}, status
    now = {world.target: live_now(world.target), world.live: live_now(world.live)}
    if status != 303:
        assert now == was and audit_actions_since(since) == []
        if not token_ok:
            assert status == 400
        return
    assert token_ok and post_id is not None
    assert urlsplit(response.headers["Location"]).path == f"/admin/news/{post_id}/preview"
    assert now[post_id] is (action == "publish")
    changed = was[post_id] != now[post_id]
    assert audit_actions_since(since) == ([f"news_{action}"] if changed else [])
    assert checked(client.get(response.headers["Location"])) is not None
