"""Readers' and comments' ids are never given again on SQLite; a comment keeps the token of
the form that posted it

Revision ID: 0012_comment_ids
Revises: 0011_news

SQLite gives a new row the largest id in its table plus one, so once the newest row is
deleted its id is given again: a moderator's page open at comment 8 would act on a new
comment 8, and a reader's page on a new reader with the old one's id. With AUTOINCREMENT
SQLite never gives an id twice. A table cannot be changed to it in place, so the two tables
are built again (Alembic's batch mode: a copy made with the same columns, indexes,
constraints and foreign keys, its rows copied, the old table dropped, the copy renamed).
env.py turns foreign keys off first, so dropping the old table deletes nothing that points
at it. PostgreSQL's sequences never give a number twice: nothing to do there.

A comment's token is unique, so that the same form sent twice stores one comment; the
comments posted before this revision have none.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_comment_ids"
down_revision = "0011_news"
branch_labels = None
depends_on = None

TABLES = ("reader", "comment")


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade():
    _rebuild(autoincrement=True)
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_comment_token"), ["token"], unique=True)


def downgrade():
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_token"))
        batch_op.drop_column("token")
    _rebuild(autoincrement=False)
