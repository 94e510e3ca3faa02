"""Junk thrown at the readers' forms (asking for a sign-in link, choosing a name, deleting
the account), through the real test client, with hypothesis.

Any field may be missing, repeated, empty, enormous, full of control characters or values
the page never offered; the hidden fields (CSRF token, the `loaded` stamp, where to go
next, the honeypot) may be forged; unknown fields come too; a field may come as a file,
and a body as JSON. Whatever is sent:

- never a 5xx, and the status is one the form may give;
- a sign-in link is stored only with a 303 to "Check your email", for an address in its
  normal form and a next path under /news (or none); asking never makes a reader; a person
  is never turned away;
- a name is stored only with a 303, on one line, 1 to 50 characters, with nothing
  invisible in it; an account is deleted only with a 303, its comments as chosen;
- a mistake is a 422 with an error summary, each message by its field, and what was typed
  kept; a form with a forged or missing CSRF token is a 400.
"""

from __future__ import annotations

import io
import itertools
import secrets
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from email_validator import validate_email
from flask import Flask
from hypothesis import event, example, given
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Comment, NewsPost, Reader, ReaderSession, ReaderSignIn
from app.readers import services, sessions
from app.readers.forms import JOINERS
from app.updates.subscriptions import address_hash
from tests.support.clients import new_browser
from tests.support.fuzz import (
    ANY_TEXT,
    PAGE_SAFE_TEXT,
    READINGS,
    assert_form_error_page,
    extra_fields,
    read,
    sent_as,
    without_forbidden,
)
from tests.support.pages import redirect_path, where
from tests.support.readers import make_reader, sign_in
from tests.test_readers import (
    ACCOUNT,
    CHECK,
    DELETE,
    NAME,
    POST_PATH,
    SIGN_IN,
    SIGN_OUT,
    make_post,
)
from tests.test_updates_fuzz import (
    ADDRESSES,
    FUZZ,
    HIDDEN,
    HONEYPOT,
    PERSON,
    SECONDS,
    SENT_AS,
    SERVED,
    VALID,
    as_served,
    form_body,
    kept_forms,
)
from tests.test_updates_pages import form_to

NEXT = st.one_of(
    st.sampled_from(
        [POST_PATH, "/news", "//evil.example", "https://evil.example/news", "/admin", ""]
    ),
    ANY_TEXT,
)
NAMES = st.one_of(
    st.sampled_from(["Ada", " Ada  Lovelace ", "", "A" * 50, "A" * 51, "Ada\u202e", "\u200b"]),
    PAGE_SAFE_TEXT,
    ANY_TEXT,
)
CHOICES = st.one_of(st.sampled_from(["delete", "keep", "", "Keep", "all"]), ANY_TEXT)


@pytest.fixture
def fuzz_app(request, app_config) -> Iterator[Flask]:
    """An app without the rate limits, whose crashes are 500s the test sees."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app


def send(browser, path: str, data: MultiDict, sent_as: str, fields: tuple[str, ...]):
    """Send the body as a form, with `fields` as files, or as JSON (with the CSRF token in
    its header, as htmx would send one)."""
    if sent_as == "json":
        token = data.get("csrf_token", "")
        return browser.post(path, json=data.to_dict(flat=False), headers={"X-CSRFToken": token})
    if sent_as == "file":
        files = MultiDict(data)
        for name in fields:
            if name in files:
                files.setlist(name, [(io.BytesIO(files[name].encode()), "field.txt")])
        return browser.post(path, data=files, content_type="multipart/form-data")
    return browser.post(path, data=data)


def assert_status(answer, hidden, allowed: set[int]) -> int:
    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    assert status in allowed, status
    if hidden.get("csrf_token", (SERVED,))[0] != SERVED:
        assert status == 400
    return status


def links() -> list[tuple[str, str, str]]:
    db.session.rollback()
    return [
        (link.email, link.email_hash, link.next_path)
        for link in db.session.scalars(select(ReaderSignIn).order_by(ReaderSignIn.id))
    ]


def readers() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Reader))


# --- asking for a sign-in link -----------------------------------------------------------------

SIGN_IN_HIDDEN = st.fixed_dictionaries(
    {
        "csrf_token": st.tuples(HIDDEN, st.just("forged-csrf")),
        "loaded": st.tuples(HIDDEN, ANY_TEXT),
        "next": st.tuples(HIDDEN, NEXT),
    }
)


@FUZZ
@given(
    next_path=NEXT,
    hidden=SIGN_IN_HIDDEN,
    address=sent_as(ADDRESSES),
    website=HONEYPOT,
    extra=extra_fields({"email", "next", "website", "csrf_token", "loaded"}),
    seconds=SECONDS,
    sent_as=SENT_AS,
)
@example(
    next_path=POST_PATH,
    hidden={},
    address=[PERSON],
    website="",
    extra={},
    seconds=5,
    sent_as="form",
)
def test_the_sign_in_form_survives_junk(
    fuzz_app, clock, next_path, hidden, address, website, extra, seconds, sent_as
):
    clock.advance(minutes=31)  # the limit per address starts again for each example
    browser = new_browser(fuzz_app)
    form = form_to(browser.get(SIGN_IN, query_string={"next": next_path}), SIGN_IN)
    assert form.find("input", attrs={"name": "next"})["value"] == services.safe_next(next_path)
    clock.advance(seconds=seconds)
    before = links()
    data = form_body(form, hidden, {"email": address, "website": [website]}, extra)

    answer = send(browser, SIGN_IN, data, sent_as, ("email",))

    status = assert_status(answer, hidden, {303, 400, 422})
    added = links()[len(before) :]
    assert len(added) <= 1 and readers() == 0
    for email, _hash, stored_next in added:
        assert status == 303, f"a {status} stored a link"
        assert validate_email(email, check_deliverability=False).normalized == email
        assert stored_next == services.safe_next(stored_next)
    if status == 303:
        assert redirect_path(answer) == CHECK
    if status == 422:
        soup = assert_form_error_page(answer)
        if sent_as == "form":
            assert soup.find("input", attrs={"name": "email"})["value"] in kept_forms(address)
            shown_next = soup.find("input", attrs={"name": "next"})["value"]
            assert shown_next == services.safe_next(shown_next)
    person = as_served(hidden) and not website.strip() and seconds >= 5 and sent_as == "form"
    if person and address and address[0] in VALID:
        assert status == 303 and len(added) == 1  # a person is never turned away


# --- choosing a name ---------------------------------------------------------------------------

NAME_HIDDEN = st.fixed_dictionaries(
    {
        "csrf_token": st.tuples(HIDDEN, st.just("forged-csrf")),
        "next": st.tuples(HIDDEN, NEXT),
    }
)


def one_line(text: str) -> str:
    return " ".join(text.split())


def a_good_name(name: str) -> bool:
    return (
        1 <= len(name) <= 50
        and name == one_line(name)
        and not any(unicodedata.category(c) == "Cc" for c in name)
        and not any(unicodedata.category(c) == "Cf" and c not in JOINERS for c in name)
    )


@FUZZ
@given(
    next_path=NEXT,
    hidden=NAME_HIDDEN,
    name=sent_as(NAMES),
    extra=extra_fields({"name", "next", "csrf_token"}),
    sent_as=SENT_AS,
)
@example(next_path=POST_PATH, hidden={}, name=["Ada"], extra={}, sent_as="form")
def test_the_name_form_survives_junk(fuzz_app, next_path, hidden, name, extra, sent_as):
    reader = db.session.scalar(select(Reader)) or make_reader(name=None)
    browser = new_browser(fuzz_app)
    sign_in(browser, reader)
    form = form_to(browser.get(NAME, query_string={"next": next_path}), NAME)
    before = reader.name
    data = form_body(form, hidden, {"name": name}, extra)

    answer = send(browser, NAME, data, sent_as, ("name",))

    status = assert_status(answer, hidden, {303, 400, 422})
    db.session.refresh(reader)
    if status == 303:
        assert a_good_name(reader.name)
        target = where(answer)
        assert target == ACCOUNT or target == services.safe_next(target) != ""
    else:
        assert reader.name == before
    if status == 422:
        soup = assert_form_error_page(answer)
        assert soup.find(id="name-error") is not None
        if sent_as == "form":
            typed = {one_line(read(name, cleaned)[0]) if name else "" for cleaned in READINGS}
            assert soup.find("input", attrs={"name": "name"})["value"] in typed
    # As the site reads it: what HTML cannot carry dropped, on one line.
    wanted = one_line(without_forbidden(name[0])) if name else ""
    if as_served(hidden) and sent_as == "form" and a_good_name(wanted):
        assert status == 303 and reader.name == wanted


# --- deleting the account ----------------------------------------------------------------------


@pytest.fixture
def numbers() -> Iterator[int]:
    """A new number for each example's reader: 1, 2, 3…"""
    return itertools.count(1)


DELETE_HIDDEN = st.fixed_dictionaries({"csrf_token": st.tuples(HIDDEN, st.just("forged-csrf"))})


@FUZZ
@given(
    hidden=DELETE_HIDDEN,
    choice=sent_as(CHOICES),
    extra=extra_fields({"comments", "csrf_token"}),
    sent_as=SENT_AS,
)
@example(hidden={}, choice=["keep"], extra={}, sent_as="form")
@example(hidden={}, choice=["delete"], extra={}, sent_as="form")
def test_the_delete_form_survives_junk(fuzz_app, clock, numbers, hidden, choice, extra, sent_as):
    post = db.session.scalar(select(NewsPost)) or make_post(clock)
    reader = make_reader(f"reader{next(numbers)}@example.org", "Reader")
    comment = Comment(post=post, reader=reader, body="Mine")
    db.session.add(comment)
    db.session.commit()
    reader_id, comment_id = reader.id, comment.id
    browser = new_browser(fuzz_app)
    sign_in(browser, reader)
    form = form_to(browser.get(DELETE), DELETE)
    data = form_body(form, hidden, {"comments": choice}, extra)

    answer = send(browser, DELETE, data, sent_as, ("comments",))

    status = assert_status(answer, hidden, {303, 400, 422})
    db.session.rollback()
    gone = db.session.get(Reader, reader_id) is None
    kept = db.session.get(Comment, comment_id)
    if status == 303:
        assert gone and redirect_path(answer) == "/readers/deleted"
        chose = {read(choice, cleaned)[0] for cleaned in READINGS} & {"keep", "delete"}
        assert len(chose) == 1
        if chose == {"keep"}:
            assert kept is not None and kept.reader_id is None
        else:
            assert kept is None
    else:
        assert not gone and kept is not None and kept.reader_id == reader_id
    if status == 422:
        soup = assert_form_error_page(answer)
        checked = [radio["value"] for radio in soup.find_all("input", checked=True)]
        assert set(checked) <= {read(choice, cleaned)[0] for cleaned in READINGS if choice}
    if as_served(hidden) and sent_as == "form" and choice and choice[0] in ("keep", "delete"):
        assert status == 303


# --- the "Sign in" button on the page a link opens, and signing out ---------------------------

BUTTON_HIDDEN = st.fixed_dictionaries({"csrf_token": st.tuples(HIDDEN, ANY_TEXT)})
TOKENS = st.one_of(
    st.just("the link's"),
    st.sampled_from(["the link's"] * 6 + ["", "x" * 43, "../../admin", "%00", "a" * 500]),
    ANY_TEXT,
)


def a_link(clock, numbers, next_path: str) -> tuple[str, str]:
    """A sign-in link sent just now, as asking for one stores it: its token, and its path."""
    token = secrets.token_urlsafe(32)
    email = f"reader{next(numbers)}@example.org"
    db.session.add(
        ReaderSignIn(
            token_hash=sessions.token_hash(token),
            email_hash=address_hash(email),
            email=email,
            next_path=services.safe_next(next_path),
            created_at=clock.now,
            expires_at=clock.now + services.LINK_LASTS,
        )
    )
    db.session.commit()
    return token, f"{SIGN_IN}/{token}"


@FUZZ
@given(
    next_path=NEXT,
    token=TOKENS,
    hidden=BUTTON_HIDDEN,
    extra=extra_fields({"csrf_token"}),
    sent_as=SENT_AS,
    minutes=st.sampled_from([0, 0, 0, 29, 31]),
)
@example(next_path=POST_PATH, token="the link's", hidden={}, extra={}, sent_as="form", minutes=0)
@example(next_path=POST_PATH, token="the link's", hidden={}, extra={}, sent_as="form", minutes=31)
def test_the_sign_in_button_survives_junk(
    fuzz_app, clock, numbers, next_path, token, hidden, extra, sent_as, minutes
):
    real, path = a_link(clock, numbers, next_path)
    browser = new_browser(fuzz_app)
    form = form_to(browser.get(path), path)
    if token != "the link's":
        path = f"{SIGN_IN}/{quote(token, safe='')}"
    clock.advance(minutes=minutes)
    before = readers()
    data = form_body(form, hidden, {}, extra)

    answer = send(browser, path, data, sent_as, ())

    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    assert status in {303, 400, 404, 405, 410, 422}, status
    made = readers() - before
    assert made == (1 if status == 303 else 0)
    used = db.session.scalar(
        select(ReaderSignIn.used_at).where(ReaderSignIn.token_hash == sessions.token_hash(real))
    )
    assert (used is not None) == (status == 303)
    if status == 303:
        assert as_served(hidden) and minutes < 30 and path.endswith(real)
        assert where(answer).startswith(NAME)
    fine = as_served(hidden) and minutes < 30 and token == "the link's" and sent_as == "form"
    if fine:
        assert status == 303


@FUZZ
@given(
    hidden=BUTTON_HIDDEN,
    extra=extra_fields({"csrf_token"}),
    sent_as=SENT_AS,
    signed_in=st.sampled_from([True] * 4 + [False]),
)
@example(hidden={}, extra={}, sent_as="form", signed_in=True)
def test_the_sign_out_button_survives_junk(fuzz_app, numbers, hidden, extra, sent_as, signed_in):
    reader = make_reader(f"reader{next(numbers)}@example.org", "Reader")
    browser = new_browser(fuzz_app)
    sign_in(browser, reader)
    form = form_to(browser.get(ACCOUNT), SIGN_OUT)
    if not signed_in:
        browser = new_browser(fuzz_app)
    data = form_body(form, hidden, {}, extra)

    answer = send(browser, SIGN_OUT, data, sent_as, ())

    status = assert_status(answer, hidden, {303, 400})
    db.session.rollback()
    sessions_left = db.session.scalar(
        select(func.count()).select_from(ReaderSession).where(ReaderSession.reader_id == reader.id)
    )
    if status == 303:
        assert redirect_path(answer) == "/"
    if not signed_in or not as_served(hidden) or sent_as == "json":
        return
    if sent_as == "form":
        assert status == 303 and sessions_left == 0
