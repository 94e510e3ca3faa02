"""The migrations, on whichever database this run uses (SQLite, or PostgreSQL)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app.extensions import db


def schema_differences() -> list:
    """What the migrated database lacks, or has more of, than the models describe."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_the_migrations_build_the_schema_the_models_describe(app):
    assert schema_differences() == []


def test_every_migration_can_be_undone_and_done_again(app):
    tables = set(inspect(db.engine).get_table_names())
    db.session.remove()

    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade()

    assert set(inspect(db.engine).get_table_names()) == tables
    assert schema_differences() == []
