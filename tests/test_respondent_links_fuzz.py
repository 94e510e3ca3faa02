"""Junk thrown at the respondent's forms (the publication choice, withdrawing, asking for new
links), through the real test client, with hypothesis.

Any field may be missing, repeated, empty, enormous, full of control characters or values
the page never offered; the hidden fields (CSRF token, the form's token, the version it
was loaded with, the `loaded` stamp, the honeypot) may be forged; unknown fields come too.
Whatever is sent:

- never a 5xx, and the status is one the form may give;
- the publication choice is always one of the three; it changes only with a 303, then by
  one version exactly, to what was sent, with the replaced version kept; anything else
  changes nothing;
- a response is withdrawn only by a 303 to the withdrawn page, and then is gone with its
  link; anything else leaves it and its link as they were;
- asking for new links answers 303 to the same page or 422 with the address kept and an
  error summary; an email goes only to an address that sent something.

The test client checks the structure of every page it receives (tests/support/html_checks.py):
what is echoed has had what HTML forbids dropped on input, so no page breaks either.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Consultation, OutboxEmail, ResponseVersion
from app.web.forms import PUBLISH_CHOICES
from tests.support.clients import new_browser
from tests.support.fuzz import ANY_TEXT, PAGE_SAFE_TEXT, READINGS, extra_fields, read, sent_as
from tests.support.pages import hidden_fields, page, redirect_path, stamped_form
from tests.support.respondents import ADA, NEW_LINK, NEW_LINK_SENT, WITHDRAWN, issued_link, stored
from tests.support.responses import insert_response

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# How each hidden field is sent: as the page served it, forged, or not at all.
SERVED, FORGED, MISSING = "served", "forged", "missing"
HIDDEN = st.sampled_from([SERVED] * 8 + [FORGED, MISSING])
HONEYPOT = st.sampled_from([True] * 7 + [False]).flatmap(
    lambda empty: st.just("") if empty else ANY_TEXT
)
SECONDS = st.sampled_from([0, 1, 5, 5, 60])


@pytest.fixture
def fuzz_app(request, app_config) -> Iterator[Flask]:
    """An app without the rate limits, whose crashes are 500s the test sees, and a
    consultation taking responses."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    request.getfixturevalue("make_survey")()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app


def evidence_with_link(number: int, clock, **fields) -> tuple[int, str]:
    """Written evidence from Ada, stored straight, and its link's path."""
    consultation = db.session.scalar(select(Consultation).limit(1))
    response = insert_response(
        consultation,
        clock.now,
        number,
        **{"name": "Ada Jones", "email": ADA, "publish": "anonymous", **fields},
    )
    db.session.commit()
    return response.id, issued_link(response)


def forged(kind: str, served: str, junk: str) -> list[str]:
    """A hidden field's values, as `kind` says."""
    return {SERVED: [served], FORGED: [junk], MISSING: []}[kind]


def form_body(shown, hidden: dict[str, tuple[str, str]], fields: dict, extra: dict) -> MultiDict:
    """The form on the page `shown`, with each hidden field sent as `hidden` says."""
    served = hidden_fields(shown)
    data = MultiDict()
    for name, value in served.items():
        kind, junk = hidden.get(name, (SERVED, ""))
        for one in forged(kind, value, junk):
            data.add(name, one)
    for name, values in fields.items():
        for value in values:
            data.add(name, value)
    for name, value in extra.items():
        data.add(name, value)
    return data


def as_served(hidden: dict[str, tuple[str, str]]) -> bool:
    """Whether every hidden field went as the page served it."""
    return all(kind == SERVED for kind, _junk in hidden.values())


def versions(response_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ResponseVersion).filter_by(response_id=response_id)
    )


# --- the publication choice ---------------------------------------------------------------------

CHOICES = st.one_of(st.sampled_from(sorted(PUBLISH_CHOICES)), PAGE_SAFE_TEXT, ANY_TEXT)
PUBLICATION_HIDDEN = st.fixed_dictionaries(
    {
        "csrf_token": st.tuples(HIDDEN, st.just("forged-csrf")),
        "token": st.tuples(HIDDEN, ANY_TEXT),
        "version": st.tuples(
            HIDDEN, st.one_of(ANY_TEXT, st.sampled_from(["0", "2", "-1", "1.0", "9" * 30, "١"]))
        ),
        "loaded": st.tuples(HIDDEN, ANY_TEXT),
    }
)


@pytest.fixture
def publication(fuzz_app, clock) -> tuple[int, str]:
    return evidence_with_link(1, clock)


@FUZZ
@given(
    hidden=PUBLICATION_HIDDEN,
    choice=sent_as(CHOICES),
    website=HONEYPOT,
    extra=extra_fields({"publish", "website", "csrf_token", "token", "version", "loaded"}),
    seconds=SECONDS,
)
# A person changing it, and a version forged to a later one.
@example(hidden={}, choice=["no"], website="", extra={}, seconds=5)
@example(hidden={"version": (FORGED, "2")}, choice=["named"], website="", extra={}, seconds=5)
def test_the_publication_form_survives_junk(
    fuzz_app, clock, publication, hidden, choice, website, extra, seconds
):
    response_id, link = publication
    before = stored(response_id)
    was = (before.publish, before.version, versions(response_id))
    browser = new_browser(fuzz_app)
    shown = browser.get(f"{link}/publication")
    assert shown.status_code == 200
    clock.advance(seconds=seconds)

    answer = browser.post(
        f"{link}/publication",
        data=form_body(shown, hidden, {"publish": choice, "website": [website]}, extra),
    )

    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    assert status in {200, 303, 400, 409, 422}, status
    after = stored(response_id)
    assert after.publish in PUBLISH_CHOICES
    now = (after.publish, after.version, versions(response_id))
    if now != was:
        assert status == 303, f"a {status} changed the response"
        assert after.publish in {value for cleaned in READINGS for value in read(choice, cleaned)}
        assert after.publish != was[0]
        assert now[1:] == (was[1] + 1, was[2] + 1)
    if status == 303:
        assert redirect_path(answer) == link
    if status in (409, 422):
        assert stamped_form(page(answer)) is not None  # the form, to send again
    if hidden.get("csrf_token", (SERVED,))[0] != SERVED:
        assert status == 400
    if as_served(hidden) and not website.strip() and choice and choice[0] in PUBLISH_CHOICES:
        assert status == 303  # a person's choice is always taken


# --- withdrawing -------------------------------------------------------------------------------

WITHDRAW_HIDDEN = st.fixed_dictionaries(
    {
        "csrf_token": st.tuples(HIDDEN, st.just("forged-csrf")),
        "loaded": st.tuples(HIDDEN, ANY_TEXT),
    }
)


@pytest.fixture
def numbers() -> Iterator[int]:
    """A new number for each example's response: 1, 2, 3…"""
    return itertools.count(1)


@FUZZ
@given(
    hidden=WITHDRAW_HIDDEN,
    website=HONEYPOT,
    extra=extra_fields({"website", "csrf_token", "loaded"}),
    seconds=SECONDS,
)
@example(hidden={}, website="", extra={}, seconds=0)  # one tap, at once: must withdraw
def test_the_withdraw_form_survives_junk(fuzz_app, clock, numbers, hidden, website, extra, seconds):
    response_id, link = evidence_with_link(next(numbers), clock)
    browser = new_browser(fuzz_app)
    shown = browser.get(f"{link}/withdraw")
    assert shown.status_code == 200
    clock.advance(seconds=seconds)

    answer = browser.post(
        f"{link}/withdraw", data=form_body(shown, hidden, {"website": [website]}, extra)
    )

    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    assert status in {200, 303, 400, 422}, status
    if status == 303:
        assert redirect_path(answer) == WITHDRAWN
        assert stored(response_id) is None
        assert browser.get(link).status_code == 404
        assert browser.get(WITHDRAWN).status_code == 200
    else:
        assert stored(response_id) is not None
        assert browser.get(link).status_code == 200
    if hidden.get("csrf_token", (SERVED,))[0] != SERVED:
        assert status == 400
    if as_served(hidden) and not website.strip():
        assert status == 303  # a person is never turned away


# --- asking for new links ----------------------------------------------------------------------

ADDRESSES = st.one_of(
    st.sampled_from(
        [ADA, ADA.upper(), f" {ADA} ", "bea@example.org", "ada@", "@example.org", "ada", ""]
    ),
    PAGE_SAFE_TEXT,
    ANY_TEXT,
)
NEW_LINK_HIDDEN = WITHDRAW_HIDDEN


@pytest.fixture
def known(fuzz_app, clock) -> int:
    """Ada has sent something; nobody else has."""
    return evidence_with_link(1, clock)[0]


@FUZZ
@given(
    hidden=NEW_LINK_HIDDEN,
    address=sent_as(ADDRESSES),
    website=HONEYPOT,
    extra=extra_fields({"email", "website", "csrf_token", "loaded"}),
    seconds=SECONDS,
    later=st.sampled_from([0, 0, 20]),
)
@example(hidden={}, address=[ADA], website="", extra={}, seconds=5, later=20)
def test_the_new_link_form_survives_junk(
    fuzz_app, clock, known, hidden, address, website, extra, seconds, later
):
    clock.advance(minutes=later)
    browser = new_browser(fuzz_app)
    shown = browser.get(NEW_LINK)
    clock.advance(seconds=seconds)
    emails_before = len(_new_links_emails())
    link_before = stored(known).link_hash

    answer = browser.post(
        NEW_LINK, data=form_body(shown, hidden, {"email": address, "website": [website]}, extra)
    )

    status = answer.status_code
    event(f"status {status}")
    assert status < 500, answer.get_data(as_text=True)[:2000]
    assert status in {303, 400, 422}, status
    if status == 303:
        assert redirect_path(answer) == NEW_LINK_SENT
        assert browser.get(NEW_LINK_SENT).status_code == 200
    if status == 422:
        typed = stamped_form(page(answer)).find("input", attrs={"name": "email"})["value"]
        first = [read(address, cleaned)[0] if address else "" for cleaned in READINGS]
        assert typed in first
    sent = _new_links_emails()
    assert all(email.to_addr == ADA for email in sent)  # only to an address that sent
    assert len(sent) - emails_before <= 1
    # Ada's link is replaced when, and only when, an email brings her the new one.
    assert (stored(known).link_hash != link_before) == (len(sent) > emails_before)


def _new_links_emails() -> list[OutboxEmail]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxEmail).filter_by(kind="new_links")))


def test_a_new_link_ends_the_old_one(fuzz_app, clock, known):
    """The link the fixture gave stops working once new links are sent (the property
    above leans on it)."""
    old = stored(known).link_hash
    browser = new_browser(fuzz_app)
    shown = browser.get(NEW_LINK)
    clock.advance(seconds=5)

    browser.post(NEW_LINK, data={**hidden_fields(shown), "email": ADA, "website": ""})

    assert stored(known).link_hash not in (None, old)
