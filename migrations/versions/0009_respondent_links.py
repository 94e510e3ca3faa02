"""Respondents' links: view, change or withdraw a response; the versions it went through

Revision ID: 0009_respondent_links
Revises: 0008_drafts

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009_respondent_links'
down_revision = '0008_drafts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('version', sa.Integer(), nullable=False, server_default='1')
        )
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('change_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('amends_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_response_link_hash'), ['link_hash'], unique=True)
        batch_op.create_unique_constraint(batch_op.f('uq_response_amends_id'), ['amends_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_response_amends_id_response'),
            'response',
            ['amends_id'],
            ['id'],
            ondelete='CASCADE',
        )
    op.create_table(
        'response_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('made_at', sa.DateTime(), nullable=False),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.Column('documents', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['response_id'], ['response.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('response_id', 'number'),
    )
    with op.batch_alter_table('response_version', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_response_version_response_id'), ['response_id'], unique=False
        )
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'forget_when_sent', sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    # Responses sent before links existed have none: their respondents get one by asking
    # for a new link with the email address they gave.


def downgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_column('forget_when_sent')
    with op.batch_alter_table('response_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_version_response_id'))
    op.drop_table('response_version')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_response_amends_id_response'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_response_amends_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_response_link_hash'))
        batch_op.drop_column('amends_id')
        batch_op.drop_column('change_token')
        batch_op.drop_column('changed_at')
        batch_op.drop_column('version')
        batch_op.drop_column('link_hash')
