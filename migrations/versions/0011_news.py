"""News posts, readers and their comments, reports of comments

Revision ID: 0011_news
Revises: 0010_updates

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0011_news"
down_revision = "0010_updates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reader",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_at", sa.DateTime(), nullable=True),
        sa.Column("blocked_by", sa.String(length=254), server_default="", nullable=False),
        sa.Column("blocked_reason", sa.String(length=200), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email_hash"),
    )
    op.create_table(
        "reader_sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("next_path", sa.String(length=300), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("reader_sign_in", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reader_sign_in_email_hash"), ["email_hash"], unique=False
        )

    op.create_table(
        "news_post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.String(length=400), server_default="", nullable=False),
        sa.Column("body", sa.Text(), server_default="", nullable=False),
        sa.Column("author_name", sa.String(length=100), server_default="", nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("live", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("comments_on", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "close_with_consultation", sa.Boolean(), server_default=sa.true(), nullable=False
        ),
        sa.Column("created_by", sa.String(length=254), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    with op.batch_alter_table("news_post", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_news_post_consultation_id"), ["consultation_id"], unique=False
        )
        batch_op.create_index("ix_news_post_listing", ["live", "published_at"], unique=False)

    op.create_table(
        "reader_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["reader_id"], ["reader.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("reader_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reader_session_reader_id"), ["reader_id"], unique=False
        )

    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=12), server_default="visible", nullable=False),
        sa.Column("moderated_by", sa.String(length=254), server_default="", nullable=False),
        sa.Column("moderated_at", sa.DateTime(), nullable=True),
        sa.Column("removed_reason", sa.String(length=200), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["news_post.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reader_id"], ["reader.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_reader_id"), ["reader_id"], unique=False)
        batch_op.create_index(
            "ix_comment_thread", ["post_id", "status", "created_at"], unique=False
        )

    op.create_table(
        "comment_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("reporter", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "reporter"),
    )
    with op.batch_alter_table("comment_report", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_comment_report_comment_id"), ["comment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_comment_report_created_at"), ["created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("comment_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_report_created_at"))
        batch_op.drop_index(batch_op.f("ix_comment_report_comment_id"))

    op.drop_table("comment_report")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_index("ix_comment_thread")
        batch_op.drop_index(batch_op.f("ix_comment_reader_id"))

    op.drop_table("comment")
    with op.batch_alter_table("reader_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reader_session_reader_id"))

    op.drop_table("reader_session")
    with op.batch_alter_table("news_post", schema=None) as batch_op:
        batch_op.drop_index("ix_news_post_listing")
        batch_op.drop_index(batch_op.f("ix_news_post_consultation_id"))

    op.drop_table("news_post")
    with op.batch_alter_table("reader_sign_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reader_sign_in_email_hash"))

    op.drop_table("reader_sign_in")
    op.drop_table("reader")
