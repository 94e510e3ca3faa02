"""Junk thrown at the forms of email updates (signing up, following a consultation, and the
page an unsubscribe link opens, with its one-click POST), through the real test client,
with hypothesis.

Any field may be missing, repeated, empty, enormous, full of control characters or values
the page never offered; the hidden fields (CSRF token, the `loaded` stamp, the page the
sign-up form says it was on, the honeypot) may be forged; unknown fields come too; a
field may come as a file, and a body as JSON. Whatever is sent:

- never a 5xx, and the status is one the form may give;
- a sign-up or follow is stored only with a 303 to "Check your email", with an address
  in its normal form, a name of 100 characters at most and a consent source from the
  fixed set; a mistake is a 422 with an error summary and the address typed kept;
  a form with a forged or missing CSRF token is a 400; a person is never turned away;
- an unsubscribe link that was never sent is a 404 and changes nothing; otherwise the
  address changes exactly as the button (or the one-click body) says, or not at all
  with a 422 and an error summary.

The test client checks the structure of every page it receives (tests/support/html_checks.py):
what is echoed has had what HTML forbids dropped on input, so no page breaks either.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from email_validator import EmailNotValidError, validate_email
from flask import Flask
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import CONFIRMED, UNSUBSCRIBED, Consultation, Follow, OutboxEmail, Subscriber
from app.updates import subscriptions, tokens
from tests.support.clients import new_browser
from tests.support.factories import SLUG
from tests.support.fuzz import (
    ANY_TEXT,
    PAGE_SAFE_TEXT,
    READINGS,
    assert_form_error_page,
    extra_fields,
    read,
    sent_as,
)
from tests.support.pages import page, redirect_path
from tests.test_updates_pages import (
    CHECK,
    CONSULTATION,
    FOLLOW,
    SIGN_UP,
    form_to,
    hidden_of,
    manage_path,
)

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SOURCES = {"sign-up page", "home page", f"consultation page: {SLUG}"}

# How each hidden field is sent: as the page served it, forged, or not at all.
SERVED, FORGED, MISSING = "served", "forged", "missing"
HIDDEN = st.sampled_from([SERVED] * 8 + [FORGED, MISSING])
HONEYPOT = st.sampled_from([True] * 7 + [False]).flatmap(
    lambda empty: st.just("") if empty else ANY_TEXT
)
SECONDS = st.sampled_from([0, 1, 5, 5, 60])
PERSON = "ada@example.org"
ADDRESSES = st.one_of(
    st.sampled_from(
        [
            PERSON,
            PERSON.upper(),
            f" {PERSON} ",
            "bea@bücher.example",
            "ada@",
            "@example.org",
            "ada",
            "",
            "a" * 65 + "@example.org",
            "a@" + "b" * 250 + ".org",
        ]
    ),
    PAGE_SAFE_TEXT,
    ANY_TEXT,
)
VALID = {PERSON, PERSON.upper(), f" {PERSON} "}
NAMES = st.one_of(st.sampled_from(["", "Ada Jones", "A" * 100, "A" * 101]), ANY_TEXT)
SENT_AS = st.sampled_from(["form"] * 8 + ["file", "json"])
# Where the browser says the form came from: these forms carry no CSRF token.
ELSEWHERE = "another site"
SENT_FROM = {
    "this site": {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    ELSEWHERE: {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"},
    "no browser": {},
}
FROM = st.sampled_from(["this site"] * 6 + [ELSEWHERE, "no browser"])


@pytest.fixture
def fuzz_app(request, app_config) -> Iterator[Flask]:
    """An app without the rate limits, whose crashes are 500s the test sees, and an open
    consultation to follow."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    request.getfixturevalue("make_consultation")()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app


def forged(kind: str, served: str, junk: str) -> list[str]:
    return {SERVED: [served], FORGED: [junk], MISSING: []}[kind]


def form_body(form, hidden: dict[str, tuple[str, str]], fields: dict, extra: dict) -> MultiDict:
    """The form `form` as sent, each hidden field as `hidden` says."""
    data = MultiDict()
    for name, value in hidden_of(form).items():
        kind, junk = hidden.get(name, (SERVED, ""))
        for one in forged(kind, value, junk):
            data.add(name, one)
    for name, values in fields.items():
        for value in values:
            data.add(name, value)
    for name, value in extra.items():
        data.add(name, value)
    return data


def post(browser, path: str, data: MultiDict, sent_as: str, sent_from: str = "no browser"):
    """Send the body as a form, with its first text field as a file, or as JSON, saying
    it came from where `sent_from` says."""
    headers = SENT_FROM[sent_from]
    if sent_as == "json":
        return browser.post(path, json=data.to_dict(flat=False), headers=headers)
    if sent_as == "file":
        files = MultiDict(data)
        for name in ("email", "stop"):
            if name in files:
                files.setlist(name, [(io.BytesIO(files[name].encode()), "field.txt")])
        return browser.post(path, data=files, content_type="multipart/form-data", headers=headers)
    return browser.post(path, data=data, headers=headers)


def as_served(hidden: dict[str, tuple[str, str]]) -> bool:
    return all(kind == SERVED for kind, _junk in hidden.values())


def subscribers() -> dict[str, tuple]:
    """Every subscriber as stored now: hash -> what a form may change."""
    db.session.rollback()
    return {
        s.email_hash: (s.email, s.name, s.status, s.site_updates, s.consent_source)
        for s in db.session.scalars(select(Subscriber))
    }


def follows() -> set[tuple[int, int, str]]:
    db.session.rollback()
    return {
        (f.subscriber_id, f.consultation_id, f.consent_source)
        for f in db.session.scalars(select(Follow))
    }


def emails() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxEmail))


def assert_stored_well() -> None:
    """What any form may have stored: addresses in normal form, short names, known sources."""
    for email, name, status, _site, source in subscribers().values():
        assert status in (CONFIRMED, UNSUBSCRIBED, "pending")
        if email is not None:
            assert validate_email(email, check_deliverability=False).normalized == email
        assert len(name) <= 100 and name == " ".join(name.split())
        assert source in SOURCES | {"", "test"}
    for _subscriber, _consultation, source in follows():
        assert source in SOURCES | {"test"}


def kept_forms(address: list[str]) -> set[str]:
    """What the form may show of the address typed: its first value, read either way, or
    that in its normal form when it was valid (another field had the mistake)."""
    typed = {read(address, cleaned)[0] if address else "" for cleaned in READINGS}
    normal = set()
    for value in typed:
        try:
            normal.add(validate_email(value.strip(), check_deliverability=False).normalized)
        except EmailNotValidError:
            pass
    return typed | normal


def assert_answer(answer, address, sent_as, sent_from) -> int:
    """What every answer to a sign-up or follow form must be."""
    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    assert status in {303, 400, 422}, status
    if status == 303:
        assert redirect_path(answer) == CHECK
    if status == 422:
        soup = assert_form_error_page(answer)
        if sent_as == "form":
            assert soup.find("input", attrs={"name": "email"})["value"] in kept_forms(address)
    if sent_from == ELSEWHERE:
        assert status == 400
    return status


# --- signing up --------------------------------------------------------------------------------

SIGN_UP_HIDDEN = st.fixed_dictionaries(
    {
        "loaded": st.tuples(HIDDEN, ANY_TEXT),
        "page": st.tuples(
            HIDDEN,
            st.one_of(
                ANY_TEXT,
                st.sampled_from(["home", "sign-up", "consultation:", f"consultation:{SLUG}"]),
            ),
        ),
    }
)


@FUZZ
@given(
    where=st.sampled_from([SIGN_UP, "/", CONSULTATION]),
    hidden=SIGN_UP_HIDDEN,
    address=sent_as(ADDRESSES),
    name=sent_as(NAMES),
    website=HONEYPOT,
    extra=extra_fields({"email", "name", "page", "website", "csrf_token", "loaded"}),
    seconds=SECONDS,
    sent_as=SENT_AS,
    sent_from=FROM,
)
@example(
    where="/",
    hidden={},
    address=[PERSON],
    name=["Ada"],
    website="",
    extra={},
    seconds=5,
    sent_as="form",
    sent_from="this site",
)
def test_the_sign_up_form_survives_junk(
    fuzz_app, clock, where, hidden, address, name, website, extra, seconds, sent_as, sent_from
):
    browser = new_browser(fuzz_app)
    form = form_to(browser.get(where), SIGN_UP)
    clock.advance(seconds=seconds)
    before, emails_before = subscribers(), emails()
    data = form_body(form, hidden, {"email": address, "name": name, "website": [website]}, extra)

    answer = post(browser, SIGN_UP, data, sent_as, sent_from)

    status = assert_answer(answer, address, sent_as, sent_from)
    after = subscribers()
    changed = {key for key in after if after[key] != before.get(key)}
    assert len(changed) <= 1 and set(before) <= set(after)
    if changed:
        assert status == 303, f"a {status} stored a sign-up"
        (key,) = changed
        assert after[key][3] and after[key][2] != UNSUBSCRIBED  # site updates, asked for
    assert emails() - emails_before <= 1
    assert_stored_well()
    person = as_served(hidden) and not website.strip() and seconds >= 5 and sent_as == "form"
    person = person and sent_from != ELSEWHERE
    if person and address and address[0] in VALID and (not name or len(name[0]) <= 100):
        assert status == 303  # a person is never turned away
        assert after[subscriptions.address_hash(PERSON)][3]


# --- following ---------------------------------------------------------------------------------

FOLLOW_HIDDEN = st.fixed_dictionaries(
    {
        "loaded": st.tuples(HIDDEN, ANY_TEXT),
    }
)


@FUZZ
@given(
    where=st.sampled_from([CONSULTATION, FOLLOW]),
    hidden=FOLLOW_HIDDEN,
    address=sent_as(ADDRESSES),
    name=sent_as(NAMES),
    website=HONEYPOT,
    extra=extra_fields({"email", "name", "website", "csrf_token", "loaded"}),
    seconds=SECONDS,
    sent_as=SENT_AS,
    sent_from=FROM,
)
@example(
    where=CONSULTATION,
    hidden={},
    address=[PERSON],
    name=[""],
    website="",
    extra={},
    seconds=5,
    sent_as="form",
    sent_from="this site",
)
def test_the_follow_form_survives_junk(
    fuzz_app, clock, where, hidden, address, name, website, extra, seconds, sent_as, sent_from
):
    browser = new_browser(fuzz_app)
    form = form_to(browser.get(where), FOLLOW)
    clock.advance(seconds=seconds)
    before, follows_before = subscribers(), follows()
    data = form_body(form, hidden, {"email": address, "name": name, "website": [website]}, extra)

    answer = post(browser, FOLLOW, data, sent_as, sent_from)

    status = assert_answer(answer, address, sent_as, sent_from)
    added = follows() - follows_before
    assert len(added) <= 1 and follows_before <= follows()
    if added or subscribers() != before:
        assert status == 303, f"a {status} stored a follow"
    assert_stored_well()
    person = as_served(hidden) and not website.strip() and seconds >= 5 and sent_as == "form"
    person = person and sent_from != ELSEWHERE
    if person and address and address[0] in VALID and (not name or len(name[0]) <= 100):
        assert status == 303
        who = db.session.scalar(
            select(Subscriber).filter_by(email_hash=subscriptions.address_hash(PERSON))
        )
        assert [f.consultation.slug for f in who.follows] == [SLUG]


# --- the unsubscribe page and its one-click POST ------------------------------------------------


@pytest.fixture
def numbers() -> Iterator[int]:
    """A new number for each example's subscriber: 1, 2, 3…"""
    return itertools.count(1)


def confirmed_follower(number: int, clock) -> Subscriber:
    """A confirmed address that gets the site's updates and follows the consultation."""
    consultation = db.session.scalar(select(Consultation).filter_by(slug=SLUG))
    email = f"person{number}@example.org"
    request = subscriptions.SignUp(
        email=email, name="P", site_updates=True, consultation=consultation, source="test"
    )
    subscriptions.sign_up(request, clock.now)
    who = db.session.scalar(
        select(Subscriber).filter_by(email_hash=subscriptions.address_hash(email))
    )
    who.status = CONFIRMED
    db.session.commit()
    return who


def state_of(subscriber_id: int) -> tuple:
    db.session.rollback()
    who = db.session.get(Subscriber, subscriber_id)
    return (
        who.status,
        who.email,
        who.site_updates,
        tuple(sorted(f.consultation_id for f in who.follows)),
    )


LINKS = st.sampled_from(["everything", "consultation"] * 4 + ["forged", "other key"])
STOPS = st.one_of(
    st.sampled_from(["all", "consultation", "0", "99999", "", "-1", "1.0", " all", "ALL"]),
    ANY_TEXT,
)
ONE_CLICK = st.one_of(st.none(), st.just("One-Click"), ANY_TEXT)


def link_path(kind: str, who: Subscriber, consultation_id: int, junk: str) -> str:
    if kind == "forged":
        return "/updates/unsubscribe/" + quote(junk or "x", safe="")
    if kind == "other key":
        signed = URLSafeSerializer("another key", salt=tokens.UNSUBSCRIBE_SALT)
        return "/updates/unsubscribe/" + signed.dumps([who.id, 0])
    return manage_path(who, consultation_id if kind == "consultation" else None)


def expected(kind: str, one_click: bool, stop: list[str], consultation_id: int, was) -> set:
    """The states the address may be in after the request, for either reading of it."""
    status, email, _site, followed = was
    unsubscribed = (UNSUBSCRIBED, None, False, ())
    if one_click:
        return {(status, email, True, ()) if kind == "consultation" else unsubscribed}
    outcomes = set()
    for cleaned in READINGS:
        value = read(stop, cleaned)[0] if stop else None
        if value == "all":
            outcomes.add(unsubscribed)
        elif value == str(consultation_id):
            outcomes.add((status, email, True, ()))
        else:
            outcomes.add((status, email, True, followed))
    return outcomes


@FUZZ
@given(
    kind=LINKS,
    junk=PAGE_SAFE_TEXT,
    stop=sent_as(STOPS),
    one_click=ONE_CLICK,
    extra=extra_fields({"stop", "List-Unsubscribe"}),
    with_cookies=st.booleans(),
    sent_as=SENT_AS,
)
@example(
    kind="consultation",
    junk="",
    stop=[],
    one_click="One-Click",
    extra={},
    with_cookies=False,
    sent_as="form",
)
@example(
    kind="everything",
    junk="",
    stop=["all"],
    one_click=None,
    extra={},
    with_cookies=True,
    sent_as="form",
)
def test_the_unsubscribe_page_survives_junk(
    fuzz_app, clock, numbers, kind, junk, stop, one_click, extra, with_cookies, sent_as
):
    who = confirmed_follower(next(numbers), clock)
    consultation_id = who.follows[0].consultation_id
    stop = [str(consultation_id) if value == "consultation" else value for value in stop]
    path = link_path(kind, who, consultation_id, junk)
    browser = new_browser(fuzz_app)
    if with_cookies and kind in ("everything", "consultation"):
        assert browser.get(path).status_code == 200  # a GET changes nothing
    was = state_of(who.id)
    data = MultiDict([("stop", value) for value in stop])
    if one_click is not None:
        data.add("List-Unsubscribe", one_click)
    for name, value in extra.items():
        data.add(name, value)

    answer = post(browser, path, data, sent_as)

    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    now = state_of(who.id)
    if kind in ("forged", "other key"):
        assert status == 404 and now == was
        return
    clicked = one_click == "One-Click" and sent_as != "json"
    if sent_as != "form" and not clicked:
        stop = []  # a file or JSON is no way to press a button
    assert now in expected(kind, clicked, stop, consultation_id, was), (now, was)
    if now == was and not clicked:
        assert status == 422
        assert_form_error_page(answer)
        assert page(answer).find(id="stop") is not None
    else:
        assert status == 200
