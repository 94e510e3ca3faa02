"""Factories for the data tests arrange, exposed as fixtures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import OFFICER, AdminUser, Consultation
from tests.support.clients import new_browser

SLUG = "test-consultation"  # the consultation every factory makes, unless told otherwise
TITLE = "Community services review"
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery"
OFFICER_EMAIL = "ola@example.org"
OFFICER_PASSWORD = "officer password 1"


def consultation_fields(now, **overrides: Any) -> dict[str, Any]:
    """A valid open consultation's fields, with `overrides` applied."""
    fields: dict[str, Any] = {
        "slug": SLUG,
        "title": TITLE,
        "summary": "Tell us how community services are run where you live.",
        "body": "## Why we are asking\n\nWe want to hear from *everyone*.",
        "opens_at": now - timedelta(days=7),
        "closes_at": now + timedelta(days=21),
        "channels": ["survey", "evidence", "contact"],
        "officer_name": "Sam Okafor",
        "officer_email": "officer@example.org",
        "officer_phone": "020 7946 0000",
        "published_at": now - timedelta(days=8),
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_consultation(app, clock):
    """Create and commit a consultation; keyword arguments override the defaults."""

    def make(**overrides: Any) -> Consultation:
        consultation = Consultation(**consultation_fields(clock.now, **overrides))
        db.session.add(consultation)
        db.session.commit()
        return consultation

    return make


@pytest.fixture
def admin_user(app) -> AdminUser:
    user = AdminUser(email=ADMIN_EMAIL, role="admin")
    user.set_password(ADMIN_PASSWORD)
    db.session.add(user)
    db.session.commit()
    return user


class AuthActions:
    """Sign in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD):
        token = csrf_token(self.client, "/admin/login")
        return self.client.post(
            "/admin/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = csrf_token(self.client, "/admin/")
        return self.client.post("/admin/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client, admin_user) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def admin(client, auth) -> FlaskClient:
    """The admin's browser, signed in."""
    assert auth.login().status_code == 303
    return client


def make_officer(email: str = OFFICER_EMAIL, password: str = OFFICER_PASSWORD) -> AdminUser:
    user = AdminUser(email=email, role=OFFICER)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def sign_in_officer(app) -> FlaskClient:
    """An officer's browser, signed in through the real form."""
    make_officer()
    browser = new_browser(app)
    signed_in = AuthActions(browser).login(OFFICER_EMAIL, OFFICER_PASSWORD)
    assert signed_in.status_code == 303, signed_in.status_code
    return browser


@pytest.fixture
def officer(app) -> FlaskClient:
    """A policy officer's browser, signed in."""
    return sign_in_officer(app)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token from the first form on the page at `path`."""
    from bs4 import BeautifulSoup

    page = client.get(path)
    field = BeautifulSoup(page.get_data(as_text=True), "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert field is not None, f"no CSRF token on {path}"
    return field["value"]


SURVEY_PAGES = [
    {
        "title": "About you",
        "questions": [
            {
                "key": "role",
                "type": "single",
                "prompt": "Which best describes you?",
                "required": True,
                "options": ["Community organisation", "Council officer", "Resident"],
            },
            {"key": "postcode", "type": "text", "prompt": "What is your postcode?"},
        ],
    },
    {
        "title": "Running services",
        "questions": [
            {
                "key": "delivers_now",
                "type": "yesno",
                "prompt": "Do you deliver public service contracts today?",
                "required": True,
                "show_if": {"role": ["Community organisation"]},
            },
            {
                "key": "obstacles",
                "type": "multi",
                "prompt": "What gets in the way?",
                "allow_other": True,
                "options": ["Paperwork", "Contract size", "Payment terms"],
                "show_if": {"delivers_now": ["yes"]},
            },
        ],
    },
    {
        "title": "Buying services",
        "questions": [
            {
                "key": "commissions",
                "type": "yesno",
                "prompt": "Do you commission services?",
                "required": True,
                "show_if": {"role": ["Council officer"]},
            },
            {
                "key": "budget",
                "type": "number",
                "prompt": "Roughly how many contracts do you manage?",
                "min": 0,
                "max": 1000,
                "show_if": {"role": ["Council officer"]},
            },
        ],
    },
    {
        "title": "Your views",
        "questions": [
            {
                "key": "confidence",
                "type": "scale",
                "prompt": "How far do you agree that services are bought well?",
                "required": True,
            },
            {
                "key": "story",
                "type": "longtext",
                "prompt": "Tell us about your experience",
                "max_length": 300,
            },
            {"key": "contact_email", "type": "email", "prompt": "Email for follow-up questions"},
        ],
    },
]


def survey_consultation(app, now, **overrides: Any) -> Consultation:
    """Create a consultation with a routed survey through the real importer.

    Page 1 asks everyone; page 2 only community organisations (its second question is
    a follow-up to the first, on the same page); page 3 only council officers; page 4
    everyone. Keyword arguments override the consultation file's top-level keys.
    """
    from app.consultations.files import parse_consultation, save_consultation

    data: dict[str, Any] = {
        "slug": SLUG,
        "title": TITLE,
        "summary": "Tell us how community services are run where you live.",
        "opens_at": now - timedelta(days=7),
        "closes_at": now + timedelta(days=21),
        "officer": {"name": "Sam Okafor", "email": "officer@example.org"},
        "channels": ["survey", "evidence", "contact"],
        "survey": {"pages": SURVEY_PAGES},
        "evidence": {"topics": ["Trends", "Failures", "Local successes"]},
    }
    data.update(overrides)
    spec = parse_consultation(data, "test", app.config["SITE_ZONE"])
    consultation, _created = save_consultation(spec)
    return consultation


@pytest.fixture
def make_survey(app, clock):
    """survey_consultation, opened a week before the test's clock says now."""

    def make(**overrides: Any) -> Consultation:
        return survey_consultation(app, clock.now, **overrides)

    return make


@pytest.fixture
def survey(make_survey):
    """The routed survey, open for three weeks more."""
    return make_survey()
