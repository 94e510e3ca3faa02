"""The clock the tests move by hand, and test clients that behave like browsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from tests.support.html_checks import check_page

START = datetime(2027, 2, 1, 12, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    """A moment in UTC: utc(2027, 3, 28, 1, 0)."""
    return datetime(*args, tzinfo=UTC)


class Clock:
    """A clock the tests move by hand; the app reads it through config["CLOCK"]."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class UncheckedClient(FlaskClient):
    """A test client that runs each request in its own app context, as in production.

    Requests then do not share `g` or a database session with the test. Used as it is
    for pages a test checks itself, or junk input that makes a page invalid HTML.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # End the test's own read transaction, so its next query sees what the request wrote.
        db.session.rollback()
        return response


class CheckedClient(UncheckedClient):
    """A test client that behaves like a browser and checks every page it receives.

    A redirect's placeholder body is not a page anyone sees, so it is not checked.
    """

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        if response.mimetype == "text/html" and not 300 <= response.status_code < 400:
            fragment = bool(response.request.headers.get("HX-Request"))
            check_page(response.get_data(as_text=True), fragment=fragment)
        return response


def new_browser(app: Flask, client_class: type[FlaskClient] = CheckedClient) -> FlaskClient:
    """Another device: a test client with no cookies of its own."""
    app.test_client_class = client_class
    return app.test_client()
