"""A consultation's questions carry a stamp that changes whenever they do

Revision ID: 0013_questions_stamp
Revises: 0012_comment_ids

Every insert, change or deletion of one of its questions gives the consultation a new
random `questions_stamp` (app/survey/questions.py), so that each web process can keep
read-only copies of the questions and tell at once, from the consultation's row it loads
anyway, when they are out of date. Consultations made before this revision start at 0:
their ids differ, so their stamps need not.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013_questions_stamp"
down_revision = "0012_comment_ids"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("consultation") as batch:
        batch.add_column(
            sa.Column("questions_stamp", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("consultation") as batch:
        batch.drop_column("questions_stamp")
