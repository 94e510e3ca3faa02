"""Junk thrown at the comment, edit and report forms through the real test client, with
hypothesis: fields missing, repeated, empty, enormous, full of control characters or
values the page never offered; the hidden fields (CSRF token, the `loaded` stamp, the
honeypot) forged or missing; unknown fields too. Whatever is sent:

- never a 5xx, and only a status the form may give;
- a comment is stored (or changed, or a report taken) only with a 303, as the rules
  allow: 2,000 characters at most, never empty, a reason from the list, a note of 500
  characters at most;
- otherwise a 422 with an error summary and what was typed kept, or a 400 for a forged
  or missing CSRF token, with nothing stored.

The test client checks the structure of every page it receives.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.comments.forms import tidy
from app.comments.rules import REPORT_REASONS
from app.extensions import db
from app.models import Comment, CommentReport, NewsPost
from app.web.forms import clean_text
from tests.support.clients import new_browser
from tests.support.factories import csrf_token
from tests.support.fuzz import ANY_TEXT, PAGE_SAFE_TEXT, extra_fields, sent_as
from tests.support.pages import page, sent_by, text_of, value_of
from tests.support.readers import make_reader, sign_in

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLUG = "fuzzed"
THREAD = f"/news/{SLUG}/comments"
SERVED, FORGED, MISSING = "served", "forged", "missing"
HIDDEN = st.sampled_from([SERVED] * 8 + [FORGED, MISSING])
HONEYPOT = st.sampled_from([True] * 7 + [False]).flatmap(
    lambda empty: st.just("") if empty else ANY_TEXT
)
SECONDS = st.sampled_from([0, 1, 5, 60])
TEXTS = st.one_of(
    st.sampled_from(["", " ", "A fair point.", "x" * 2000, "x" * 2001, "<b>hi</b>\r\n\r\n\r\nok"]),
    PAGE_SAFE_TEXT,
    ANY_TEXT,
)
READERS = itertools.count()  # each example's reader has an address of their own
REASONS = st.one_of(st.sampled_from([*REPORT_REASONS, "", "OFFENSIVE", "none"]), ANY_TEXT)


@pytest.fixture
def fuzz_app(request, app_config) -> Iterator[Flask]:
    """An app without the rate limits, whose crashes are 500s the test sees, and a post."""
    app_config["RATELIMIT_ENABLED"] = False
    app = request.getfixturevalue("app")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    clock = request.getfixturevalue("clock")
    db.session.add(NewsPost(slug=SLUG, title="Fuzzed", live=True, published_at=clock.now))
    db.session.commit()
    yield app


def junk(
    form, hidden: dict[str, tuple[str, str]], fields: dict[str, list[str]], extra
) -> MultiDict:
    """The form as served, each hidden field as `hidden` says, `fields` as given."""
    served = sent_by(form)
    data = MultiDict()
    for name in ("csrf_token", "loaded"):
        kind, forged = hidden[name]
        values = {SERVED: served.getlist(name), FORGED: [forged], MISSING: []}[kind]
        for value in values:
            data.add(name, value)
    for name, values in fields.items():
        for value in values:
            data.add(name, value)
    for name, value in extra.items():
        if name not in data:
            data.add(name, value)
    return data


def kept(values: list[str]) -> str:
    """What the form shows again of a field sent as `values`: the first, tidied."""
    return tidy(clean_text(values[0])) if values else ""


def hidden_fields():
    return st.fixed_dictionaries(
        {"csrf_token": st.tuples(HIDDEN, ANY_TEXT), "loaded": st.tuples(HIDDEN, ANY_TEXT)}
    )


def comment_allowed(values: list[str]) -> bool:
    text = kept(values)
    return 0 < len(text) <= 2000


def check_refused(response, hidden, body_values) -> None:
    if hidden["csrf_token"][0] != SERVED and response.status_code == 400:
        return
    assert response.status_code == 422, response.status_code
    soup = page(response)
    assert soup.find(class_="error-summary") is not None
    assert value_of(response, "body") == kept(body_values)


@FUZZ
@given(
    hidden=hidden_fields(),
    body=sent_as(TEXTS),
    honeypot=HONEYPOT,
    seconds=SECONDS,
    extra=extra_fields({"csrf_token", "loaded", "body", "website"}),
)
def test_junk_at_the_comment_form(fuzz_app, clock, hidden, body, honeypot, seconds, extra):
    browser = _signed_in(fuzz_app)
    form = page(browser.get(THREAD)).find("form", class_="comment-form")
    before = db.session.scalar(select(func.count(Comment.id)))
    clock.advance(seconds=seconds)
    data = junk(form, hidden, {"body": body, "website": [honeypot]}, extra)
    response = browser.post(THREAD, data=data)
    after = db.session.scalar(select(func.count(Comment.id)))
    assert response.status_code < 500
    if response.status_code == 303:
        assert after == before + 1
        stored = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
        assert stored.body == kept(body) and comment_allowed(body)
    else:
        assert after == before
        check_refused(response, hidden, body)


@FUZZ
@given(
    hidden=hidden_fields(),
    body=sent_as(TEXTS),
    honeypot=HONEYPOT,
    seconds=SECONDS,
    extra=extra_fields({"csrf_token", "loaded", "body", "website"}),
)
def test_junk_at_the_edit_form(fuzz_app, clock, hidden, body, honeypot, seconds, extra):
    browser, comment_id = _with_a_comment(fuzz_app, clock)
    url = f"{THREAD}/{comment_id}/edit"
    form = page(browser.get(url)).find("form", action=url)
    clock.advance(seconds=seconds)
    response = browser.post(
        url, data=junk(form, hidden, {"body": body, "website": [honeypot]}, extra)
    )
    comment = db.session.get(Comment, comment_id)
    assert response.status_code < 500
    if response.status_code == 303:
        assert comment.body == kept(body) and comment_allowed(body)
    else:
        assert comment.body == "As first posted"
        check_refused(response, hidden, body)


@FUZZ
@given(
    hidden=hidden_fields(),
    reason=sent_as(REASONS),
    note=sent_as(TEXTS),
    honeypot=HONEYPOT,
    seconds=SECONDS,
    extra=extra_fields({"csrf_token", "loaded", "reason", "note", "website"}),
)
def test_junk_at_the_report_form(fuzz_app, clock, hidden, reason, note, honeypot, seconds, extra):
    _, comment_id = _with_a_comment(fuzz_app, clock)
    browser = new_browser(fuzz_app)
    url = f"{THREAD}/{comment_id}/report"
    form = page(browser.get(url)).find("form", action=url)
    clock.advance(seconds=seconds)
    fields = {"reason": reason, "note": note, "website": [honeypot]}
    response = browser.post(url, data=junk(form, hidden, fields, extra))
    reports = list(db.session.scalars(select(CommentReport)))
    assert response.status_code < 500
    if response.status_code == 303:
        [report] = reports
        assert report.reason in REPORT_REASONS and report.reason == reason[0]
        assert report.note == kept(note) and len(report.note) <= 500
    else:
        assert reports == []
        if hidden["csrf_token"][0] != SERVED and response.status_code == 400:
            return
        assert response.status_code == 422
        assert page(response).find(class_="error-summary") is not None
        assert value_of(response, "note") == kept(note)
        chosen = page(response).find("input", attrs={"name": "reason", "checked": True})
        if chosen is not None:
            assert chosen["value"] == reason[0]
    assert text_of(page(response)) != ""


def _signed_in(app: Flask):
    browser = new_browser(app)
    sign_in(browser, make_reader(f"reader{next(READERS)}@example.org"))
    return browser


def _with_a_comment(app: Flask, clock):
    """A fresh comment, posted just now, and its author's browser."""
    db.session.execute(db.delete(CommentReport))
    db.session.execute(db.delete(Comment))
    db.session.commit()
    browser = new_browser(app)
    reader = make_reader(f"author{next(READERS)}@example.org", "Author")
    sign_in(browser, reader)
    comment = Comment(
        post_id=db.session.scalar(select(NewsPost.id)),
        reader_id=reader.id,
        body="As first posted",
        created_at=clock.now - timedelta(seconds=1),
    )
    db.session.add(comment)
    db.session.commit()
    return browser, comment.id


DELETE_HIDDEN = st.fixed_dictionaries({"csrf_token": st.tuples(HIDDEN, ANY_TEXT)})
WHO = st.sampled_from(["author"] * 6 + ["another reader", "nobody"])


@FUZZ
@given(
    hidden=DELETE_HIDDEN,
    who=WHO,
    fields=st.dictionaries(st.sampled_from(["body", "comment_id", "confirm"]), sent_as(TEXTS)),
    extra=extra_fields({"csrf_token", "body", "comment_id", "confirm"}),
    htmx=st.booleans(),
)
@example(hidden={"csrf_token": (SERVED, "")}, who="another reader", fields={}, extra={}, htmx=False)
@example(hidden={"csrf_token": (SERVED, "")}, who="nobody", fields={}, extra={}, htmx=True)
@example(hidden={"csrf_token": (FORGED, "x")}, who="author", fields={}, extra={}, htmx=False)
@example(hidden={"csrf_token": (MISSING, "")}, who="author", fields={}, extra={}, htmx=True)
def test_junk_at_the_delete_button(fuzz_app, clock, hidden, who, fields, extra, htmx):
    """The one-button form that deletes one's own comment: the comment goes only with the
    author's own token, and a 303 (or the thread, to htmx); nothing else gives a 5xx."""
    browser, comment_id = _with_a_comment(fuzz_app, clock)
    url = f"{THREAD}/{comment_id}/delete"
    form = page(browser.get(url)).find("form", action=url)
    data = junk(form, {**hidden, "loaded": (MISSING, "")}, fields, extra)
    if who != "author":
        browser = _signed_in(fuzz_app) if who == "another reader" else new_browser(fuzz_app)
        if "csrf_token" in data:  # their own token, from a form they may send
            their_token = csrf_token(browser, f"{THREAD}/{comment_id}/report")
            data.setlist("csrf_token", [their_token] * len(data.getlist("csrf_token")))
    headers = {"HX-Request": "true"} if htmx else {}

    response = browser.post(url, data=data, headers=headers)

    db.session.rollback()
    gone = db.session.get(Comment, comment_id) is None
    event(f"{who} {response.status_code}")
    assert response.status_code < 500
    assert response.status_code in {200, 303, 400, 403, 422}, response.status_code
    if gone:
        assert who == "author" and hidden["csrf_token"][0] == SERVED
        assert response.status_code in ({200} if htmx else {303})
    else:
        assert response.status_code != 303
    if who == "author" and hidden["csrf_token"][0] == SERVED:
        assert gone
    assert text_of(page(response)) != ""
