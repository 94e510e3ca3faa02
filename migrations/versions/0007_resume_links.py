"""Survey "continue later" links that work once, stored as a hash

Revision ID: 0007_resume_links
Revises: 0006_admin

"""
import hashlib

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007_resume_links'
down_revision = '0006_admin'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resume_hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_response_resume_hash'), ['resume_hash'], unique=True)

    _keep_links_already_sent()


def _keep_links_already_sent():
    """Let the links already emailed work once more.

    Until this revision a survey draft's emailed link carried the draft's own token, so
    each draft's link is the hash of that token. (A draft whose link was never emailed
    has its token only in its own browser's cookie, so this gives nobody anything new.)
    The hash is written out here as it stood, so that later changes to the application's
    code cannot change what this revision does.
    """
    bind = op.get_bind()
    drafts = bind.execute(sa.text(
        "SELECT id, token FROM response WHERE channel = 'survey' AND status = 'draft'"
    )).all()
    for row in drafts:
        bind.execute(
            sa.text("UPDATE response SET resume_hash = :hash WHERE id = :id"),
            {"hash": hashlib.sha256(row.token.encode()).hexdigest(), "id": row.id},
        )


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_resume_hash'))
        batch_op.drop_column('resume_hash')
