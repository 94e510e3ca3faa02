"""Junk thrown at the forms of email updates (writing an update, changing a draft, and
choosing whom to send it to), with hypothesis.

Values may be missing, repeated, empty, enormous, full of control characters, or not
among the choices the page offered; the CSRF token may be forged; unknown fields come too.
For any input:

- never a 5xx;
- a refused update or audience gets a 422 whose error summary links to each field's
  message on the page, and nothing is stored, queued or audited;
- an update that is certainly valid is stored as the form reads it (the subject on one
  line), with one audit event; a sent update is never changed;
- only an admin sends, only with the page's "yes", only to a real audience, and then each
  confirmed subscriber or follower gets exactly one email, however often it is pressed.

As in tests/test_admin_fuzz.py, the site drops the characters HTML forbids from every
value, so each property holds for one reading of the input: as sent, or cleaned.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.admin.updates import services
from app.extensions import db
from app.models import (
    CONFIRMED,
    OFFICER,
    AdminUser,
    Follow,
    Mailing,
    OutboxEmail,
    Subscriber,
)
from app.updates import subscriptions
from tests.support.audit import audit_actions_since, last_audit_id
from tests.support.clients import START, UncheckedClient, new_browser
from tests.support.factories import (
    ADMIN_EMAIL,
    OFFICER_EMAIL,
    OFFICER_PASSWORD,
    AuthActions,
    csrf_token,
)
from tests.support.fuzz import ANY_TEXT, READINGS, body, extra_fields, read, sent_as
from tests.support.html_checks import check_page
from tests.support.pages import text_of

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SUBJECT_LENGTH, BODY_LENGTH = 150, 20_000
ACTORS = st.sampled_from(["admin", "admin", "admin", "officer"])
TOKENS = st.sampled_from([True] * 9 + [False])  # the page's CSRF token, or a forged one


@dataclass
class World:
    app: Flask
    admin: FlaskClient
    officer: FlaskClient
    token: str
    officer_token: str
    subscribers: int  # confirmed, signed up to the site's updates
    followers: dict[str, int]  # consultation id as the select sends it -> confirmed followers

    def client(self, actor: str) -> tuple[FlaskClient, str]:
        return (self.admin, self.token) if actor == "admin" else (self.officer, self.officer_token)


def signed_in(app: Flask, email: str, password: str | None = None) -> tuple[FlaskClient, str]:
    client = new_browser(app, UncheckedClient)
    auth = AuthActions(client)
    answer = auth.login(email, password) if password else auth.login()
    assert answer.status_code == 303
    return client, csrf_token(client, "/admin/")


def add_subscriber(email: str, status: str = CONFIRMED, site_updates: bool = True, follows=()):
    person = Subscriber(
        email_hash=subscriptions.address_hash(email),
        email=email,
        status=status,
        site_updates=site_updates,
        signed_up_at=START,
        confirmed_at=START if status == CONFIRMED else None,
    )
    person.follows.extend(Follow(consultation=consultation) for consultation in follows)
    db.session.add(person)


@pytest.fixture
def world(request, app_config) -> Iterator[World]:
    """An app without rate limits whose crashes are 500s the test sees, with three
    confirmed subscribers (one following the parks), a confirmed follower of the parks
    alone, a pending one, a consultation nobody follows and a draft; the admin and an
    officer, each signed in with their own client."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    request.getfixturevalue("admin_user")
    make = request.getfixturevalue("make_consultation")
    parks = make(slug="parks", title="Parks and open spaces")
    quiet = make(slug="quiet", title="Quiet consultation")
    make(slug="draft", title="A draft", published_at=None)
    add_subscriber("ana@example.org", follows=(parks,))
    add_subscriber("ben@example.org")
    add_subscriber("cai@example.org")
    add_subscriber("dev@example.org", site_updates=False, follows=(parks,))
    add_subscriber("eve@example.org", status="pending", follows=(parks,))
    officer = AdminUser(email=OFFICER_EMAIL, role=OFFICER)
    officer.set_password(OFFICER_PASSWORD)
    db.session.add(officer)
    db.session.commit()
    admin, token = signed_in(app, ADMIN_EMAIL)
    officer_client, officer_token = signed_in(app, OFFICER_EMAIL, OFFICER_PASSWORD)
    yield World(
        app=app,
        admin=admin,
        officer=officer_client,
        token=token,
        officer_token=officer_token,
        subscribers=3,
        followers={str(parks.id): 2, str(quiet.id): 0},
    )


# --- reading what came back and what is stored ------------------------------------------------


def checked(response) -> BeautifulSoup | None:
    """Conftest's structural checks on an HTML answer; the parsed page."""
    if response.mimetype != "text/html" or 300 <= response.status_code < 400:
        return None
    return check_page(response.get_data(as_text=True))


def assert_error_summary(response) -> None:
    """A 422 with an error summary whose links point at ids on the page, each message
    also shown by its field."""
    assert response.status_code == 422, response.status_code
    soup = checked(response)
    assert soup.title.get_text().startswith("Error: "), soup.title.get_text()
    summary = soup.find(class_="error-summary")
    assert summary is not None, "no error summary"
    links = summary.find_all("a")
    assert links, "an error summary without links"
    by_fields = [text_of(tag) for tag in soup.find_all(class_="field-error")]
    for link in links:
        assert soup.find(id=link["href"][1:]) is not None, f"no id for {link['href']}"
        assert any(text_of(link) in message for message in by_fields), text_of(link)


def mailings_now() -> list[tuple[int, str, str, bool]]:
    db.session.rollback()
    return [
        (m.id, m.subject, m.body, m.queued_at is not None)
        for m in db.session.scalars(select(Mailing).order_by(Mailing.id))
    ]


def queued_for(mailing_id: int) -> list[int]:
    """The subscribers the mailing's emails are for."""
    db.session.rollback()
    return list(
        db.session.scalars(select(OutboxEmail.subscriber_id).filter_by(mailing_id=mailing_id))
    )


def first(values: list[str], cleaned: bool) -> str | None:
    """The value a form field reads: the first sent, in this reading."""
    return read(values, cleaned)[0] if values else None


def draft(sent: bool = False) -> int:
    """A new draft (sent already, if asked); its id."""
    mailing = services.new_draft("A draft", "Its text.", ADMIN_EMAIL, START)
    if sent:
        mailing.queued_at, mailing.queued_by = mailing.created_at, ADMIN_EMAIL
        mailing.audience = "subscribers"
        db.session.commit()
    return mailing.id


# --- writing and changing an update ----------------------------------------------------------

SUBJECTS = st.one_of(
    st.sampled_from(
        [
            "Spring plans",
            "  Two\nlines  ",
            "x" * SUBJECT_LENGTH,
            "x" * (SUBJECT_LENGTH + 1),
            " " + "y" * SUBJECT_LENGTH + " ",
            "a  " * 60,
            '=HYPERLINK("http://x")',
            "=?utf-8?q?encoded?=",
            "",
            "\u3000",
        ]
    ),
    ANY_TEXT,
)
BODIES = st.one_of(
    st.sampled_from(
        [
            "## A heading\n\nA paragraph with [a link](https://example.org).",
            "<script>alert(1)</script>",
            "[x](javascript:alert(1))",
            "z" * BODY_LENGTH,
            "z" * (BODY_LENGTH + 1),
            "\r\n".join(["line"] * 10),
            "",
            " \n ",
        ]
    ),
    ANY_TEXT,
)


def update_reading(subjects: list[str], bodies: list[str], cleaned: bool) -> tuple | None:
    """(subject, body) as the form reads them, or None if it refuses them."""
    subject = " ".join((first(subjects, cleaned) or "").split())
    text = (first(bodies, cleaned) or "").strip()
    if not subject or len(subject) > SUBJECT_LENGTH or not text or len(text) > BODY_LENGTH:
        return None
    return subject, text


@FUZZ
@given(
    actor=ACTORS,
    target=st.sampled_from(["new", "new", "draft", "sent"]),
    subjects=sent_as(SUBJECTS),
    bodies=sent_as(BODIES),
    token_ok=TOKENS,
    extra=extra_fields({"subject", "body", "csrf_token"}),
)
@example(actor="admin", target="new", subjects=["Hi"], bodies=["Text"], token_ok=True, extra={})
@example(actor="admin", target="draft", subjects=["x" * 151], bodies=["T"], token_ok=True, extra={})
@example(actor="officer", target="sent", subjects=["Hi"], bodies=["T"], token_ok=True, extra={})
def test_writing_an_update_survives_junk(world, actor, target, subjects, bodies, token_ok, extra):
    client, token = world.client(actor)
    mailing_id = None if target == "new" else draft(sent=target == "sent")
    url = "/admin/updates/new" if mailing_id is None else f"/admin/updates/{mailing_id}/edit"
    before, since = mailings_now(), last_audit_id()

    response = client.post(
        url, data=body({"subject": subjects, "body": bodies}, extra, token if token_ok else "x")
    )

    status = response.status_code
    event(f"{target} {status}")
    assert status < 500
    after = mailings_now()
    if not token_ok:
        assert status == 400 and after == before and audit_actions_since(since) == []
        return
    if target == "sent":
        assert status == 303 and after == before and audit_actions_since(since) == []
        return
    readings = [update_reading(subjects, bodies, cleaned) for cleaned in READINGS]
    assert status in {303 if reading else 422 for reading in readings}
    if status == 422:
        assert_error_summary(response)
        assert after == before and audit_actions_since(since) == []
        return
    if target == "new":
        [(new_id, subject, text, queued)] = [row for row in after if row not in before]
        assert urlsplit(response.headers["Location"]).path == f"/admin/updates/{new_id}"
        assert audit_actions_since(since) == ["draft_update"]
    else:
        [(_, subject, text, queued)] = [row for row in after if row[0] == mailing_id]
        assert audit_actions_since(since) == ["change_update"]
    assert (subject, text) in readings and not queued
    assert checked(client.get(response.headers["Location"])) is not None


# --- choosing whom to send it to, and sending it ---------------------------------------------


def mostly(offered: list[str], junk: list[str]) -> st.SearchStrategy[list[str]]:
    """A field's values: three times in four one the page offers, sent once; otherwise
    junk, or any values, missing or repeated."""
    return st.integers(0, 3).flatmap(
        lambda n: (
            st.sampled_from(offered).map(lambda value: [value])
            if n
            else sent_as(st.one_of(st.sampled_from(offered + junk), ANY_TEXT))
        )
    )


AUDIENCES = mostly(["subscribers", "followers"], ["everyone", "Subscribers", " followers", ""])
CONSULTATION_VALUES = mostly(["1", "1", "2", "3"], ["0", "", " 1", "١", "1.0", "99999999999", "-1"])
CONFIRMATIONS = mostly(["yes", "yes", ""], ["no", "YES", "yes "])


def audience_reading(world: World, audience: list[str], consultation: list[str], cleaned: bool):
    """The number of people the form sends to, or None if it refuses the audience."""
    chosen, which = first(audience, cleaned), first(consultation, cleaned)
    if chosen == "subscribers":
        return world.subscribers
    if chosen == "followers" and world.followers.get(which):
        return world.followers[which]
    return None


@FUZZ
@given(
    actor=ACTORS,
    audience=AUDIENCES,
    consultation=CONSULTATION_VALUES,
    confirmed=CONFIRMATIONS,
    presses=st.sampled_from([1, 1, 2]),
    token_ok=TOKENS,
    extra=extra_fields({"audience", "consultation", "confirmed", "csrf_token"}),
)
@example(
    actor="admin",
    audience=["subscribers"],
    consultation=[],
    confirmed=["yes"],
    presses=2,
    token_ok=True,
    extra={},
)
@example(
    actor="admin",
    audience=["followers"],
    consultation=["1"],
    confirmed=["yes"],
    presses=1,
    token_ok=True,
    extra={},
)
@example(
    actor="admin",
    audience=["followers"],
    consultation=["2"],
    confirmed=["yes"],
    presses=1,
    token_ok=True,
    extra={},
)
@example(
    actor="admin",
    audience=["subscribers", "followers"],
    consultation=["2"],
    confirmed=[],
    presses=1,
    token_ok=True,
    extra={},
)
def test_sending_an_update_survives_junk(
    world, actor, audience, consultation, confirmed, presses, token_ok, extra
):
    client, token = world.client(actor)
    mailing_id = draft()
    url = f"/admin/updates/{mailing_id}/send"
    since = last_audit_id()
    data = body(
        {"audience": audience, "consultation": consultation, "confirmed": confirmed},
        extra,
        token if token_ok else "x",
    )

    answers = [client.post(url, data=data) for _ in range(presses)]

    statuses = [answer.status_code for answer in answers]
    event(f"{actor} {statuses}")
    assert all(status < 500 for status in statuses)
    emails = queued_for(mailing_id)
    if not token_ok or actor == "officer":
        assert set(statuses) == {400 if not token_ok else 403}
        assert emails == [] and audit_actions_since(since) == []
        return
    counts = [audience_reading(world, audience, consultation, c) for c in READINGS]
    status = statuses[0]
    if status == 422:
        assert None in counts
        assert_error_summary(answers[0])
        assert set(statuses) == {422}
        assert emails == [] and audit_actions_since(since) == []
        return
    assert any(count is not None for count in counts)
    yes = {first(confirmed, c) == "yes" for c in READINGS}
    if status == 200:
        assert False in yes
        assert "Send to" in text_of(checked(answers[0]).find("form", action=url))
        assert emails == [] and audit_actions_since(since) == []
        return
    assert status == 303 and True in yes
    assert set(statuses) == {303}
    assert len(emails) == len(set(emails)) and len(emails) in counts
    assert audit_actions_since(since) == ["send_update"]
    assert checked(client.get(answers[-1].headers["Location"])) is not None
