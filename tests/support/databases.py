"""A database for each test, copied from one that the migrations built once.

The suite runs on SQLite files by default and on a PostgreSQL server with
`pytest --database=postgresql`; tests see only URLs.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import psycopg
from flask_migrate import upgrade

from app import create_app
from app.extensions import db


def migrate(url: str) -> None:
    """Build the schema at `url` with the migrations, as `flask db upgrade` does."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


class SQLiteDatabases:
    """Databases as files in one folder."""

    name = "SQLite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._numbers = itertools.count(1)
        self.template_url = self._url(folder / "template.db")
        migrate(self.template_url)

    @staticmethod
    def _url(path: Path) -> str:
        return f"sqlite:///{path}"

    @staticmethod
    def _path(url: str) -> Path:
        return Path(url.removeprefix("sqlite:///"))

    def fresh(self) -> str:
        """A new database with the migrated schema and nothing in it."""
        url = self._url(self.folder / f"test-{next(self._numbers)}.db")
        self.replace(url, self.template_url)
        return url

    def replace(self, url: str, source_url: str) -> None:
        """Make `url` a copy of what `source_url` holds now; nobody may be connected to either."""
        self.drop(url)
        shutil.copy(self._path(source_url), self._path(url))

    def drop(self, url: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(self._path(url)) + suffix).unlink(missing_ok=True)


class PostgresDatabases:
    """Databases on one PostgreSQL server.

    Copying a database takes a quarter of a second, so a test's database is emptied
    when it ends and handed to the next test; copies are made only when more are needed.
    """

    name = "PostgreSQL"

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._numbers = itertools.count(1)
        self._empty: list[str] = []
        self.template_url = self._create("consultations_template")
        migrate(self.template_url)
        with self._connect(self.template_url) as connection:
            self._tables = [
                row[0]
                for row in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            ]

    def _url(self, name: str) -> str:
        return self.admin_url.rsplit("/", 1)[0] + "/" + name

    @staticmethod
    def _name(url: str) -> str:
        return url.rsplit("/", 1)[1]

    @staticmethod
    def _connect(url: str) -> psycopg.Connection:
        libpq = url.replace("postgresql+psycopg://", "postgresql://", 1)
        return psycopg.connect(libpq, autocommit=True)

    def _create(self, name: str, template: str = "template0") -> str:
        with self._connect(self.admin_url) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self._url(name)

    def _disconnect_everyone(self, url: str) -> None:
        """End every session still open on `url`, such as a thread's that a test left."""
        with self._connect(self.admin_url) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self._name(url),),
            )

    def fresh(self) -> str:
        """A database with the migrated schema and nothing in it."""
        if self._empty:
            return self._empty.pop()
        name = f"test_{os.getpid()}_{next(self._numbers)}"
        return self._create(name, template=self._name(self.template_url))

    def replace(self, url: str, source_url: str) -> None:
        """Make `url` a copy of what `source_url` holds now; nobody may be connected to either."""
        self._disconnect_everyone(url)
        with self._connect(self.admin_url) as connection:
            connection.execute(f'DROP DATABASE "{self._name(url)}"')
        self._create(self._name(url), template=self._name(source_url))

    def drop(self, url: str) -> None:
        """Empty the database (ids start again from 1) for the next test."""
        self._disconnect_everyone(url)
        with self._connect(url) as connection:
            tables = ", ".join(f'"{table}"' for table in self._tables)
            connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        self._empty.append(url)

    def version(self) -> str:
        with self._connect(self.admin_url) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
