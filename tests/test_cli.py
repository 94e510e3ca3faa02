"""The flask commands an operator runs: accounts and the database schema."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from app import create_app
from app.extensions import db
from app.models import AdminUser
from tests.support.factories import AuthActions

PASSWORD = "a long enough password"


def test_create_admin_takes_the_password_from_the_environment(runner, client, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    result = runner.invoke(args=["create-admin", "Officer@Example.org"])
    assert result.exit_code == 0, result.output
    assert "Created admin account Officer@Example.org" in result.output

    response = AuthActions(client).login("officer@example.org", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/")


def test_create_admin_asks_twice_when_no_password_is_set(runner, client, monkeypatch):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    result = runner.invoke(
        args=["create-admin", "a@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert AuthActions(client).login("a@example.org", PASSWORD).status_code == 303


def test_a_short_password_is_refused(runner, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "short")
    result = runner.invoke(args=["create-admin", "a@example.org"])
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert db.session.scalar(select(AdminUser)) is None


def test_running_it_again_resets_the_password_and_ends_sessions(runner, client, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    runner.invoke(args=["create-admin", "a@example.org"])
    auth = AuthActions(client)
    auth.login("a@example.org", PASSWORD)
    assert client.get("/admin/").status_code == 200

    monkeypatch.setenv("ADMIN_PASSWORD", "a different long password")
    result = runner.invoke(args=["create-admin", "A@example.org"])
    assert "Updated admin account" in result.output
    assert len(db.session.scalars(select(AdminUser)).all()) == 1

    assert client.get("/admin/").status_code == 302  # the old session no longer works
    assert auth.login("a@example.org", PASSWORD).status_code == 422
    assert auth.login("a@example.org", "a different long password").status_code == 303


@pytest.fixture
def fresh_app(tmp_path, app_config):
    """An app on a database file that does not exist yet."""
    path = tmp_path / "empty.db"
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    yield app, path
    with app.app_context():
        db.engine.dispose()


def tables(path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        return {name for (name,) in rows}


def test_db_upgrade_makes_the_schema_on_an_empty_database_and_is_safe_to_repeat(fresh_app):
    app, path = fresh_app
    runner = app.test_cli_runner()
    first = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert {"consultation", "question", "admin_user", "audit_event", "outbox_email"} <= tables(path)

    seeded = runner.invoke(args=["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    again = runner.invoke(args=["db", "upgrade"])
    assert again.exit_code == 0, again.output
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT count(*) FROM consultation").fetchone() == (4,)


def test_db_upgrade_brings_an_older_database_up_to_date_keeping_its_data(fresh_app):
    app, path = fresh_app
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "0001_foundation"]).exit_code == 0
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO consultation (slug, title, summary, body, opens_at, closes_at, override,"
            " grace_minutes, channels, officer_name, officer_email, officer_phone,"
            " evidence_settings, created_at, updated_at) VALUES ('old', 'Old', 's', '',"
            " '2027-01-01 09:00:00', '2027-02-01 17:00:00', 'auto', 30, '[]', 'N', 'n@example.org',"
            " '', '{}', '2026-12-01 00:00:00', '2026-12-01 00:00:00')"
        )
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "outbox_email" in tables(path)
    with sqlite3.connect(path) as connection:
        row = connection.execute("SELECT slug, alert_mode FROM consultation").fetchone()
    assert row == ("old", "instant")
