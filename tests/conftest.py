"""Fixtures: an app on a real database made by the migrations, a client, a CLI runner.

The database is a SQLite file, or with `--database=postgresql` a database on a PostgreSQL
server that this run starts on loopback and stops at the end (`make test` runs both).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings

from app import create_app
from app.extensions import db
from tests.support.clients import Clock, new_browser
from tests.support.databases import PostgresDatabases, SQLiteDatabases
from tests.support.services import ServiceFailed, postgres_server

pytest_plugins = ["tests.support.factories", "tests.support.smtp_server"]

# The suite draws the same examples on every run, so a red build is a change's doing
# and can be reproduced; `make fuzz` draws fresh ones to look for what they miss.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="run on SQLite files, or on a PostgreSQL server started for the run",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {config.getoption('--database')}"


@pytest.fixture(scope="session")
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SQLiteDatabases | PostgresDatabases]:
    """Where each test's database comes from; a PostgreSQL run that cannot start stops here."""
    if request.config.getoption("--database") == "sqlite":
        yield SQLiteDatabases(tmp_path_factory.mktemp("databases"))
        return
    with ExitStack() as stack:
        try:
            admin_url = stack.enter_context(postgres_server())
        except ServiceFailed as failure:
            pytest.exit(f"PostgreSQL could not be started for this run:\n{failure}", returncode=3)
        databases = PostgresDatabases(admin_url)
        print(f"\nPostgreSQL {databases.version()} started at {admin_url}")
        yield databases


@pytest.fixture
def database_url(databases: SQLiteDatabases | PostgresDatabases) -> Iterator[str]:
    """A database of this test's own, with the migrated schema and nothing in it."""
    url = databases.fresh()
    yield url
    databases.drop(url)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app_config(tmp_path: Path, database_url: str, clock: Clock) -> dict:
    """Settings for a test app; tests may change them before the app is made."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CLOCK": clock,
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 1,  # nothing listens there unless a test starts an SMTP server
        "SERVER_NAME": None,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    }


@pytest.fixture
def app(app_config: dict, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(app_config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return new_browser(app)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()
