"""Factories for the data tests arrange, exposed as fixtures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AdminUser, Consultation

ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery"


def consultation_fields(now, **overrides: Any) -> dict[str, Any]:
    """A valid open consultation's fields, with `overrides` applied."""
    fields: dict[str, Any] = {
        "slug": "test-consultation",
        "title": "Community services review",
        "summary": "Tell us how community services are run where you live.",
        "body": "## Why we are asking\n\nWe want to hear from *everyone*.",
        "opens_at": now - timedelta(days=7),
        "closes_at": now + timedelta(days=21),
        "channels": ["survey", "evidence", "contact"],
        "officer_name": "Sam Okafor",
        "officer_email": "officer@example.org",
        "officer_phone": "020 7946 0000",
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


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token from the first form on the page at `path`."""
    from bs4 import BeautifulSoup

    page = client.get(path)
    field = BeautifulSoup(page.get_data(as_text=True), "html.parser").find(
        "input", attrs={"name": "csrf_token"}
    )
    assert field is not None, f"no CSRF token on {path}"
    return field["value"]
