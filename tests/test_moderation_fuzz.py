"""Junk thrown at every moderation form, with hypothesis: removing a comment with a reason,
showing it again, dismissing its reports, blocking a reader (with a reason and a choice
about their comments) and unblocking them.

Values may be missing, repeated, empty, enormous, full of control characters or not among
the choices the page offered; the CSRF token may be forged; unknown fields come too; the
comment or reader may be gone. For any input:

- never a 5xx;
- a forged token changes nothing (400); something gone is a 404 page that changes nothing;
- a refused form is a 422 whose error summary links to each field's message, with what was
  typed kept in the page (tidied on one line, as the form reads it), and nothing changed or
  audited;
- an accepted one does what the form read, with one audit event.

As in tests/test_admin_updates_fuzz.py, the site drops the characters HTML forbids from
every value, so each property holds for one reading of the input: as sent, or cleaned.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.extensions import db
from app.models import Comment, CommentReport, NewsPost, Reader
from app.models.news import HELD, REMOVED, VISIBLE
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
from tests.support.fuzz import (
    ANY_TEXT,
    READINGS,
    assert_form_error_page,
    body,
    extra_fields,
    read,
    sent_as,
)
from tests.support.html_checks import check_page
from tests.support.pages import text_of
from tests.support.readers import make_reader

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REASON_LENGTH = 200
ACTORS = st.sampled_from(["admin", "officer"])
TOKENS = st.sampled_from([True] * 9 + [False])  # the page's CSRF token, or a forged one
TARGETS = st.sampled_from(["there"] * 9 + ["gone"])  # the comment or reader, or one deleted


@dataclass
class World:
    app: Flask
    post: NewsPost
    clients: dict[str, tuple[FlaskClient, str]]


def signed_in(app: Flask, email: str, password: str | None = None) -> tuple[FlaskClient, str]:
    client = new_browser(app, UncheckedClient)
    auth = AuthActions(client)
    answer = auth.login(email, password) if password else auth.login()
    assert answer.status_code == 303
    return client, csrf_token(client, "/admin/")


@pytest.fixture
def world(request, app_config) -> Iterator[World]:
    """An app whose crashes are 500s the test sees, a live post, and the admin and an
    officer each signed in with their own client."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    request.getfixturevalue("admin_user")
    make_officer()
    post = NewsPost(slug="spring", title="Spring plans", live=True, published_at=START)
    db.session.add(post)
    db.session.commit()
    yield World(
        app=app,
        post=post,
        clients={
            "admin": signed_in(app, ADMIN_EMAIL),
            "officer": signed_in(app, OFFICER_EMAIL, OFFICER_PASSWORD),
        },
    )


# --- arranging and reading back ---------------------------------------------------------------


def a_reader() -> Reader:
    return make_reader(f"{secrets.token_hex(6)}@example.org", "Sam Reader")


def a_comment(post_id: int, reader: Reader | None, status: str, reports: int) -> int:
    comment = Comment(
        post_id=post_id,
        reader=reader,
        body="A comment.",
        status=status,
        removed_reason="Spam" if status == REMOVED else "",
        created_at=START - timedelta(hours=1),
    )
    db.session.add(comment)
    db.session.flush()
    for _ in range(reports):
        db.session.add(
            CommentReport(comment_id=comment.id, reason="spam", reporter=secrets.token_hex(16))
        )
    db.session.commit()
    return comment.id


def gone(model, row_id: int) -> None:
    db.session.execute(model.__table__.delete().where(model.id == row_id))
    db.session.commit()


def comment_state(comment_id: int) -> tuple | None:
    db.session.rollback()
    comment = db.session.scalar(select(Comment).where(Comment.id == comment_id))
    if comment is None:
        return None
    open_reports = db.session.scalar(
        select(func.count())
        .select_from(CommentReport)
        .where(CommentReport.comment_id == comment_id, CommentReport.dismissed_at.is_(None))
    )
    return comment.status, comment.removed_reason, open_reports


def reader_state(reader_id: int) -> tuple | None:
    db.session.rollback()
    reader = db.session.scalar(select(Reader).where(Reader.id == reader_id))
    if reader is None:
        return None
    comments = db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.reader_id == reader_id)
    )
    return reader.blocked, reader.blocked_reason, comments


def checked(response) -> BeautifulSoup | None:
    """The structural checks every page passes, on an HTML answer; the parsed page."""
    if response.mimetype != "text/html" or 300 <= response.status_code < 400:
        return None
    return check_page(response.get_data(as_text=True))


def reason_reading(values: list[str], cleaned: bool) -> str:
    """The reason as the form reads it: the first value sent, on one line."""
    return " ".join(read(values, cleaned)[0].split()) if values else ""


def assert_gone_page(response, what: str) -> None:
    assert response.status_code == 404
    assert text_of(checked(response).h1) == f"This {what} no longer exists"


REASONS = st.one_of(
    st.sampled_from(
        [
            "Abusive",
            "  Two\nlines  ",
            "r" * REASON_LENGTH,
            "r" * (REASON_LENGTH + 1),
            " " + "s" * REASON_LENGTH + " ",
            "",
            "\u3000",
            "<script>alert(1)</script>",
            '=HYPERLINK("http://x")',
        ]
    ),
    ANY_TEXT,
)


# --- removing a comment -----------------------------------------------------------------------


@FUZZ
@given(
    actor=ACTORS,
    status=st.sampled_from([VISIBLE, HELD, REMOVED]),
    target=TARGETS,
    reasons=sent_as(REASONS),
    token_ok=TOKENS,
    extra=extra_fields({"reason", "csrf_token"}),
)
@example(
    actor="admin", status=VISIBLE, target="there", reasons=["Abusive"], token_ok=True, extra={}
)
@example(actor="officer", status=REMOVED, target="there", reasons=[""], token_ok=True, extra={})
@example(actor="officer", status=HELD, target="there", reasons=["r" * 201], token_ok=True, extra={})
@example(actor="admin", status=HELD, target="gone", reasons=["Spam"], token_ok=True, extra={})
def test_removing_a_comment_survives_junk(world, actor, status, target, reasons, token_ok, extra):
    client, token = world.clients[actor]
    comment_id = a_comment(world.post.id, a_reader(), status, reports=2)
    if target == "gone":
        gone(Comment, comment_id)
    before, since = comment_state(comment_id), last_audit_id()

    response = client.post(
        f"/admin/comments/{comment_id}/hide",
        data=body({"reason": reasons}, extra, token if token_ok else "x"),
    )

    status_code = response.status_code
    event(f"{target} {status_code}")
    assert status_code < 500
    after = comment_state(comment_id)
    if not token_ok:
        assert status_code == 400 and after == before and audit_actions_since(since) == []
        return
    if target == "gone":
        assert_gone_page(response, "comment")
        assert after is None and audit_actions_since(since) == []
        return
    readings = {reason_reading(reasons, cleaned) for cleaned in READINGS}
    valid = {reading for reading in readings if 0 < len(reading) <= REASON_LENGTH}
    assert status_code in ({303} if valid else set()) | ({422} if valid != readings else set())
    if status_code == 422:
        checked(response)
        soup = assert_form_error_page(response)
        assert soup.find(id="reason")["value"] in readings
        assert after == before and audit_actions_since(since) == []
        return
    assert after[0] == REMOVED and after[1] in valid and after[2] == 0
    assert audit_actions_since(since) == ["comment_hide"]
    assert checked(client.get(response.headers["Location"])) is not None


# --- one-button actions -----------------------------------------------------------------------


@FUZZ
@given(
    actor=ACTORS,
    action=st.sampled_from(["restore", "dismiss"]),
    status=st.sampled_from([VISIBLE, HELD, REMOVED]),
    reports=st.sampled_from([0, 1, 3]),
    target=TARGETS,
    token_ok=TOKENS,
    extra=extra_fields({"csrf_token"}),
)
def test_showing_again_and_dismissing_survive_junk(
    world, actor, action, status, reports, target, token_ok, extra
):
    client, token = world.clients[actor]
    comment_id = a_comment(world.post.id, a_reader(), status, reports)
    if target == "gone":
        gone(Comment, comment_id)
    before, since = comment_state(comment_id), last_audit_id()

    response = client.post(
        f"/admin/comments/{comment_id}/{action}", data=body({}, extra, token if token_ok else "x")
    )

    status_code = response.status_code
    event(f"{action} {target} {status_code}")
    assert status_code < 500
    after = comment_state(comment_id)
    if not token_ok:
        assert status_code == 400 and after == before and audit_actions_since(since) == []
        return
    if target == "gone":
        assert_gone_page(response, "comment")
        assert audit_actions_since(since) == []
        return
    assert status_code == 303
    if action == "restore":
        changed = status != VISIBLE or reports > 0
        expected = (VISIBLE, "", 0) if changed else before
    else:
        changed = status == HELD or reports > 0
        expected = (VISIBLE if status == HELD else status, before[1], 0) if changed else before
    assert after == expected
    names = {"restore": "comment_restore", "dismiss": "comment_dismiss_reports"}
    assert audit_actions_since(since) == ([names[action]] if changed else [])
    assert checked(client.get(response.headers["Location"])) is not None


# --- blocking and unblocking a reader ---------------------------------------------------------

CHOICES = st.integers(0, 3).flatmap(
    lambda n: (
        st.sampled_from(["keep", "delete"]).map(lambda value: [value])
        if n
        else sent_as(
            st.one_of(st.sampled_from(["keep", "delete", "Keep", " delete", ""]), ANY_TEXT)
        )
    )
)


@FUZZ
@given(
    actor=ACTORS,
    blocked=st.booleans(),
    target=TARGETS,
    reasons=sent_as(REASONS),
    choice=CHOICES,
    token_ok=TOKENS,
    extra=extra_fields({"reason", "comments", "csrf_token"}),
)
@example(
    actor="admin",
    blocked=False,
    target="there",
    reasons=[],
    choice=["delete"],
    token_ok=True,
    extra={},
)
@example(
    actor="officer",
    blocked=True,
    target="there",
    reasons=["r" * 201],
    choice=["keep"],
    token_ok=True,
    extra={},
)
@example(
    actor="admin",
    blocked=False,
    target="there",
    reasons=["Trolling"],
    choice=[],
    token_ok=True,
    extra={},
)
def test_blocking_a_reader_survives_junk(
    world, actor, blocked, target, reasons, choice, token_ok, extra
):
    client, token = world.clients[actor]
    reader = a_reader()
    reader_id = reader.id
    for _ in range(2):
        a_comment(world.post.id, reader, VISIBLE, reports=1)
    if blocked:
        reader.blocked_at, reader.blocked_by, reader.blocked_reason = START, ADMIN_EMAIL, "Old"
        db.session.commit()
    if target == "gone":
        gone(Reader, reader_id)
    before, since = reader_state(reader_id), last_audit_id()

    response = client.post(
        f"/admin/readers/{reader_id}/block",
        data=body({"reason": reasons, "comments": choice}, extra, token if token_ok else "x"),
    )

    status_code = response.status_code
    event(f"{target} {status_code}")
    assert status_code < 500
    after = reader_state(reader_id)
    if not token_ok:
        assert status_code == 400 and after == before and audit_actions_since(since) == []
        return
    if target == "gone":
        assert_gone_page(response, "reader")
        assert after is None and audit_actions_since(since) == []
        return
    readings = {
        (reason_reading(reasons, cleaned), read(choice, cleaned)[0] if choice else None)
        for cleaned in READINGS
    }
    valid = {
        (reason, kept)
        for reason, kept in readings
        if len(reason) <= REASON_LENGTH and kept in ("keep", "delete")
    }
    assert status_code in ({303} if valid else set()) | ({422} if valid != readings else set())
    if status_code == 422:
        checked(response)
        soup = assert_form_error_page(response)
        assert soup.find(id="reason")["value"] in {reason for reason, _ in readings}
        chosen = tuple(radio["value"] for radio in soup.find_all("input", checked=True))
        assert chosen in {(kept,) if kept in ("keep", "delete") else () for _, kept in readings}
        assert after == before and audit_actions_since(since) == []
        return
    reason, kept = next((reason, kept) for reason, kept in valid if after[1] == reason)
    assert after == (True, reason, 2 if kept == "keep" else 0)
    assert audit_actions_since(since) == ["reader_block"]
    assert checked(client.get(response.headers["Location"])) is not None


@FUZZ
@given(
    actor=ACTORS,
    blocked=st.booleans(),
    target=TARGETS,
    token_ok=TOKENS,
    extra=extra_fields({"csrf_token"}),
)
def test_unblocking_a_reader_survives_junk(world, actor, blocked, target, token_ok, extra):
    client, token = world.clients[actor]
    reader = a_reader()
    reader_id = reader.id
    if blocked:
        reader.blocked_at, reader.blocked_by, reader.blocked_reason = START, ADMIN_EMAIL, "Old"
        db.session.commit()
    if target == "gone":
        gone(Reader, reader_id)
    before, since = reader_state(reader_id), last_audit_id()

    response = client.post(
        f"/admin/readers/{reader_id}/unblock", data=body({}, extra, token if token_ok else "x")
    )

    status_code = response.status_code
    event(f"{target} {status_code}")
    assert status_code < 500
    after = reader_state(reader_id)
    if not token_ok:
        assert status_code == 400 and after == before and audit_actions_since(since) == []
        return
    if target == "gone":
        assert_gone_page(response, "reader")
        return
    assert status_code == 303
    assert after == (False, "", 0)
    assert audit_actions_since(since) == (["reader_unblock"] if blocked else [])
    assert checked(client.get(response.headers["Location"])) is not None
