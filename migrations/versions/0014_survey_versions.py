"""Surveys keep their versions, and each survey response says which one it answered

Revision ID: 0014_survey_versions
Revises: 0013_questions_stamp

A survey's questions as respondents were asked them are kept in `survey_version`
(app/survey/versions.py), so that changing a live survey never shows an earlier answer
under words it was not given for. Each consultation that has questions starts with
version 1, its questions as they are, and every survey response and draft is counted
as having answered it. The snapshot is written here rather than by the application's
code, so that this revision does the same thing whatever that code later becomes.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014_survey_versions"
down_revision = "0013_questions_stamp"
branch_labels = None
depends_on = None

SETTINGS = ("allow_other", "max_length", "min", "max", "scale")


def upgrade():
    version = op.create_table(
        "survey_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("survey", sa.JSON(), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", "number"),
    )
    op.create_index(
        op.f("ix_survey_version_consultation_id"), "survey_version", ["consultation_id"]
    )
    with op.batch_alter_table("consultation") as batch:
        batch.add_column(
            sa.Column("survey_version", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("response") as batch:
        batch.add_column(sa.Column("survey_version", sa.Integer(), nullable=True))
    _first_versions(version)


def _first_versions(version: sa.Table) -> None:
    """Version 1 of every survey there is, answered by all its responses and drafts."""
    connection = op.get_bind()
    question = sa.table(
        "question",
        *(sa.column(name) for name in ("consultation_id", "key", "page", "page_title")),
        *(sa.column(name) for name in ("position", "type", "prompt", "hint", "required")),
        sa.column("options", sa.JSON()),
        sa.column("settings", sa.JSON()),
        sa.column("show_if", sa.JSON()),
    )
    rows = connection.execute(
        sa.select(question).order_by(
            question.c.consultation_id, question.c.page, question.c.position
        )
    ).mappings()
    surveys: dict[int, dict[int, dict]] = {}
    for row in rows:
        pages = surveys.setdefault(row["consultation_id"], {})
        page = pages.setdefault(row["page"], {"title": row["page_title"], "questions": []})
        page["questions"].append(_as_in_file(row))
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as UTC without its zone
    consultation = sa.table("consultation", sa.column("id"), sa.column("survey_version"))
    response = sa.table(
        "response", sa.column("consultation_id"), sa.column("channel"), sa.column("survey_version")
    )
    for consultation_id, pages in surveys.items():
        connection.execute(
            version.insert().values(
                consultation_id=consultation_id,
                number=1,
                survey={"pages": [pages[number] for number in sorted(pages)]},
                made_at=now,
            )
        )
        connection.execute(
            consultation.update()
            .where(consultation.c.id == consultation_id)
            .values(survey_version=1)
        )
        connection.execute(
            response.update()
            .where(response.c.consultation_id == consultation_id, response.c.channel == "survey")
            .values(survey_version=1)
        )


def _as_in_file(row) -> dict:
    """One question as a consultation file writes it."""
    item = {"key": row["key"], "type": row["type"], "prompt": row["prompt"]}
    if row["hint"]:
        item["hint"] = row["hint"]
    if row["required"]:
        item["required"] = True
    if row["options"]:
        item["options"] = list(row["options"])
    item.update({k: v for k, v in (row["settings"] or {}).items() if v is not False})
    if row["show_if"]:
        item["show_if"] = {key: list(values) for key, values in row["show_if"].items()}
    return item


def downgrade():
    with op.batch_alter_table("response") as batch:
        batch.drop_column("survey_version")
    with op.batch_alter_table("consultation") as batch:
        batch.drop_column("survey_version")
    op.drop_index(op.f("ix_survey_version_consultation_id"), table_name="survey_version")
    op.drop_table("survey_version")
