"""The people in the tests' stories, each in a browser of their own.

A respondent answers a consultation as a person would, taking some seconds on the test's
clock before sending; an officer and an admin are signed in through the real form. Each
step is one of the journey helpers (tests/support/survey.py, evidence.py, contact.py),
so a story reads as what the person does:

    respondent = Respondent(app, clock)
    respondent.answers_page(1, {"q_role": "Resident", "q_postcode": ""})
    respondent.sends()
    Officer.signs_in(app).reads(SUMMARY_URL)
"""

from __future__ import annotations

from typing import Self

from flask import Flask
from flask.testing import FlaskClient

from app.models import Slot
from tests.support import contact, evidence, survey
from tests.support.clients import Clock, new_browser
from tests.support.factories import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    AuthActions,
    csrf_token,
    sign_in_officer,
)
from tests.support.sample_files import Upload


class Respondent:
    """Someone responding to the consultation, in a browser of their own."""

    def __init__(self, app: Flask, clock: Clock) -> None:
        self.browser = new_browser(app)
        self.clock = clock

    # The survey

    def answers_page(self, number: int, data: dict) -> str:
        """Answer a survey page, which must accept the answers; where it leads."""
        return survey.answer(self.browser, number, data)

    def takes_route(self, route: dict[int, dict], details: dict = survey.DETAILS) -> None:
        """Answer each page of a route, then the details: at the check page."""
        survey.take_route(self.browser, route, details)

    def sends(self, seconds: float = 5):
        """Wait like a person, then press "Send response" on the check page."""
        return survey.send(self.browser, self.clock, seconds)

    # Written evidence

    def sends_evidence(self, fields: dict = evidence.VALID, files: list[Upload] = ()):
        """Open the evidence form, take a few seconds to fill it in, and send it."""
        return evidence.send(self.browser, self.clock, fields, files)

    # Getting in touch

    def sends_message(self, fields: dict | None = None):
        """Send the policy officer a message (contact.VALID_MESSAGE unless told otherwise)."""
        return contact.send_message(self.browser, self.clock, fields)

    def books(self, call_page: str, slot: Slot):
        """Choose `slot` on the page for choosing a call time."""
        return contact.choose(self.browser, call_page, slot)


class StaffMember:
    """Someone working in the admin area, signed in in a browser of their own."""

    def __init__(self, browser: FlaskClient) -> None:
        self.browser = browser

    def reads(self, path: str, **kwargs):
        return self.browser.get(path, **kwargs)

    def sends_form(self, path: str, data: dict, page: str = "/admin/", **kwargs):
        """Post `data` to `path`, with the CSRF token read from the form on `page`."""
        token = csrf_token(self.browser, page)
        return self.browser.post(path, data={**data, "csrf_token": token}, **kwargs)


class Officer(StaffMember):
    """A policy officer: reads and codes responses, changes no settings."""

    @classmethod
    def signs_in(cls, app: Flask) -> Self:
        """A new officer account, signed in through the real form."""
        return cls(sign_in_officer(app))


class Admin(StaffMember):
    """An admin: everything an officer does, and the consultations' settings and users."""

    @classmethod
    def signs_in(cls, app: Flask, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> Self:
        """The admin (the `admin_user` fixture's, unless told otherwise), signed in."""
        browser = new_browser(app)
        signed_in = AuthActions(browser).login(email, password)
        assert signed_in.status_code == 303, signed_in.status_code
        return cls(browser)

    def closes(self, slug: str) -> None:
        """Force the consultation closed with the state control on the dashboard."""
        changed = self.sends_form(f"/admin/consultations/{slug}/state", {"override": "closed"})
        assert changed.status_code == 303
