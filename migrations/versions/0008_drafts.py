"""Consultations made in the browser: drafts, preview links, and a version for edits

Revision ID: 0008_drafts
Revises: 0007_resume_links

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008_drafts'
down_revision = '0007_resume_links'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column('version', sa.Integer(), nullable=False, server_default='1')
        )
        batch_op.add_column(sa.Column('preview_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('preview_made_at', sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f('ix_consultation_preview_hash'), ['preview_hash'], unique=True
        )
    # Every consultation made before drafts existed was public from the moment it was
    # imported, so it counts as published then.
    op.execute("UPDATE consultation SET published_at = created_at")


def downgrade():
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_preview_hash'))
        batch_op.drop_column('preview_made_at')
        batch_op.drop_column('preview_hash')
        batch_op.drop_column('version')
        batch_op.drop_column('published_at')
