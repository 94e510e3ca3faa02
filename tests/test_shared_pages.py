"""Pages shared by visitors who send no cookie (app.web.shared_pages): kept for the second
they were drawn in, drawn afresh at once after a change made in this process, and never
given to a visitor whose answer may differ.

A change made "by another worker" is stood in for by an UPDATE on a bare database
connection, which the app does not see: only the end of the second shows it.
"""

from __future__ import annotations

from datetime import timedelta

import brotli
import pytest
from flask import Flask, make_response
from sqlalchemy import update

from app.extensions import db
from app.models import Consultation
from app.web.shared_pages import SharedPages, shared
from tests.support.factories import SLUG, TITLE
from tests.support.pages import page, text_of

PAGES = ["/", f"/consultations/{SLUG}"]
ELSEWHERE = "Renamed by another worker"


def renamed_behind_the_apps_back(title: str = ELSEWHERE) -> None:
    raw = db.engine.raw_connection()
    try:
        raw.cursor().execute(f"UPDATE consultation SET title = '{title}'")  # noqa: S608
        raw.commit()
    finally:
        raw.close()


def shows(answer, title: str) -> bool:
    body = answer.get_data()
    if answer.headers.get("Content-Encoding") == "br":
        body = brotli.decompress(body)
    return title in body.decode()


@pytest.fixture
def visitor(app, make_consultation):
    make_consultation()
    return app.test_client(use_cookies=False)


@pytest.mark.parametrize("path", PAGES)
def test_a_visitor_with_no_cookie_is_given_the_page_kept_this_second(visitor, clock, path):
    first = visitor.get(path)
    renamed_behind_the_apps_back()

    again = visitor.get(path)

    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert shows(again, TITLE) and not shows(again, ELSEWHERE)
    clock.advance(seconds=1)
    assert shows(visitor.get(path), ELSEWHERE)


@pytest.mark.parametrize("path", PAGES)
def test_a_change_committed_here_shows_at_once(visitor, path):
    visitor.get(path)
    consultation = db.session.scalar(db.select(Consultation))
    consultation.title = "Renamed by an admin"
    db.session.commit()
    assert shows(visitor.get(path), "Renamed by an admin")

    db.session.execute(update(Consultation).values(title="Renamed again"))
    db.session.commit()
    assert shows(visitor.get(path), "Renamed again")


def test_a_change_rolled_back_keeps_the_page(visitor):
    visitor.get("/")
    db.session.execute(update(Consultation).values(title="Never saved"))
    db.session.rollback()
    renamed_behind_the_apps_back()

    assert shows(visitor.get("/"), TITLE)


def test_a_deadline_that_passes_shows_within_the_second(app, clock, make_consultation):
    make_consultation(closes_at=clock.now + timedelta(seconds=1))
    visitor = app.test_client(use_cookies=False)
    assert "Open consultation" in text_of(page(visitor.get(f"/consultations/{SLUG}")))

    clock.advance(seconds=1)

    shown = visitor.get(f"/consultations/{SLUG}")
    assert "The deadline for responses has passed" in text_of(page(shown))


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        pytest.param("/", {"Cookie": "session=anything"}, id="a cookie"),
        pytest.param("/?page=1", {}, id="a query"),
        pytest.param("/", {"HX-Request": "true"}, id="htmx"),
        pytest.param("/", {"If-None-Match": '"x"'}, id="conditional"),
        pytest.param("/", {"Range": "bytes=0-10"}, id="a range"),
        pytest.param("/", {"Accept-Encoding": "br"}, id="another encoding"),
        pytest.param("/", {"Host": "other.example"}, id="another host"),
    ],
)
def test_a_request_that_may_be_answered_otherwise_is_drawn_afresh(visitor, path, headers):
    visitor.get("/")
    renamed_behind_the_apps_back()

    answer = visitor.get(path, headers=headers)

    assert shows(answer, ELSEWHERE)


def test_a_page_of_a_signed_in_admin_is_never_kept_for_others(app, admin, make_consultation):
    visitor = app.test_client(use_cookies=False)
    make_consultation()
    staff_view = admin.get("/")
    assert staff_view.status_code == 200
    renamed_behind_the_apps_back()

    assert shows(visitor.get("/"), ELSEWHERE)


def unmarked(view):
    return view


def as_it_is(answer):
    return answer


def sets_a_cookie(answer):
    answer.set_cookie("mine", "1")
    return answer


def not_found(answer):
    answer.status_code = 404
    return answer


@pytest.mark.parametrize(
    ("mark", "change", "drawn"),
    [
        pytest.param(shared, as_it_is, 1, id="a marked view's plain answer is kept"),
        pytest.param(unmarked, as_it_is, 2, id="a view not marked shared"),
        pytest.param(shared, sets_a_cookie, 2, id="a response that sets a cookie"),
        pytest.param(shared, not_found, 2, id="a response other than 200"),
    ],
)
def test_only_a_marked_views_plain_answer_is_kept(mark, change, drawn):
    calls = []
    app = Flask(__name__)

    @app.get("/")
    @mark
    def view():
        calls.append(1)
        return change(make_response("hello"))

    app.wsgi_app = SharedPages(app, app.wsgi_app)
    client = app.test_client(use_cookies=False)

    assert client.get("/").get_data() == client.get("/").get_data() == b"hello"
    assert len(calls) == drawn
