"""Get in touch: messages, published call slots and bookings

Revision ID: 0005_get_in_touch
Revises: 0004_attachments

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005_get_in_touch'
down_revision = '0004_attachments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('consultation_id', 'starts_at')
    )
    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('uid', sa.String(length=200), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('booked_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancelled_by', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['slot_id'], ['slot.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('uid')
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_response_id'), ['response_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index('uq_booking_response_booked', ['response_id'], unique=True, sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
        batch_op.create_index('uq_booking_slot_booked', ['slot_id'], unique=True, sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('messages_after_close', sa.Boolean(), server_default=sa.text("true"), nullable=False))
        batch_op.add_column(sa.Column('bookings_after_close', sa.Boolean(), server_default=sa.text("false"), nullable=False))

    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('send_before', sa.DateTime(), nullable=True))

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('subject', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('message', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('wants_call', sa.Boolean(), server_default=sa.text("false"), nullable=False))



def downgrade():
    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_column('send_before')

    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('wants_call')
        batch_op.drop_column('message')
        batch_op.drop_column('subject')
        batch_op.drop_column('phone')

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_column('bookings_after_close')
        batch_op.drop_column('messages_after_close')

    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index('uq_booking_slot_booked', sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
        batch_op.drop_index('uq_booking_response_booked', sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
        batch_op.drop_index(batch_op.f('ix_booking_starts_at'))
        batch_op.drop_index(batch_op.f('ix_booking_response_id'))

    op.drop_table('booking')
    op.drop_table('slot')
