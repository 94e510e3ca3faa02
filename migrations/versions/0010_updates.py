"""Email updates: subscribers, the consultations they follow, mailings to many

Revision ID: 0010_updates
Revises: 0009_respondent_links

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_updates'
down_revision = '0009_respondent_links'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'subscriber',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email_hash', sa.String(length=64), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False, server_default=''),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('site_updates', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('consent_at', sa.DateTime(), nullable=True),
        sa.Column('consent_source', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('consent_wording', sa.String(length=40), nullable=False, server_default=''),
        sa.Column('confirm_hash', sa.String(length=64), nullable=True),
        sa.Column('signed_up_at', sa.DateTime(), nullable=False),
        sa.Column('noticed_at', sa.DateTime(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('unsubscribed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('confirm_hash'),
        sa.UniqueConstraint('email_hash'),
    )
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriber_status'), ['status'], unique=False)
    op.create_table(
        'follow',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscriber_id', sa.Integer(), nullable=False),
        sa.Column('consultation_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('consent_source', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('consent_wording', sa.String(length=40), nullable=False, server_default=''),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscriber_id'], ['subscriber.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('subscriber_id', 'consultation_id'),
    )
    with op.batch_alter_table('follow', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_follow_consultation_id'), ['consultation_id'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_follow_subscriber_id'), ['subscriber_id'], unique=False)
    op.create_table(
        'mailing',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('audience', sa.String(length=12), nullable=False, server_default=''),
        sa.Column('consultation_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('body', sa.Text(), nullable=False, server_default=''),
        sa.Column('created_by', sa.String(length=254), nullable=False, server_default=''),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('queued_at', sa.DateTime(), nullable=True),
        sa.Column('queued_by', sa.String(length=254), nullable=False, server_default=''),
        sa.Column('recipients', sa.Integer(), nullable=False, server_default='0'),
        sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    with op.batch_alter_table('mailing', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_mailing_consultation_id'), ['consultation_id'], unique=False
        )
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('override_changed_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailing_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('subscriber_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('unsubscribe_url', sa.String(length=500), nullable=False, server_default='')
        )
        batch_op.create_index(batch_op.f('ix_outbox_email_mailing_id'), ['mailing_id'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_outbox_email_subscriber_id'), ['subscriber_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_email_mailing_id_mailing'),
            'mailing',
            ['mailing_id'],
            ['id'],
            ondelete='SET NULL',
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_email_subscriber_id_subscriber'),
            'subscriber',
            ['subscriber_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_outbox_email_subscriber_id_subscriber'), type_='foreignkey'
        )
        batch_op.drop_constraint(batch_op.f('fk_outbox_email_mailing_id_mailing'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_email_subscriber_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_email_mailing_id'))
        batch_op.drop_column('unsubscribe_url')
        batch_op.drop_column('subscriber_id')
        batch_op.drop_column('mailing_id')
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('override_changed_at')
    op.drop_table('mailing')
    op.drop_table('follow')
    op.drop_table('subscriber')
