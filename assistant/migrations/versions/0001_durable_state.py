"""The durable state in one database: docstore rows, conversations, feedback, submissions, introductions,
saved needs and the bot's chat preferences.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_language",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sa.Text(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id"),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("answer_id", sa.Text(), nullable=False),
        sa.Column("rating", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("source", sa.Text(), server_default="api", nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.CheckConstraint("rating IN ('up', 'down')", name="feedback_rating"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "introductions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "kv",
        sa.Column("collection", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("collection", "key"),
    )
    op.create_table(
        "needs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("language", sa.Text(), server_default="", nullable=False),
        sa.Column("places", sa.Text(), server_default="[]", nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("answer_id", sa.Text(), server_default="", nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token"),
    )
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.create_index("needs_open", ["status"], unique=False)

    op.create_table(
        "submissions",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("chat_language", sa.Text(), server_default="", nullable=False),
        sa.Column("told", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "turns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("meta", sa.Text(), server_default="{}", nullable=False),
        sa.Column("answer_id", sa.Text(), server_default="", nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.create_index("turns_answer", ["session_id", "answer_id"], unique=False)
        batch_op.create_index("turns_created", ["created"], unique=False)
        batch_op.create_index("turns_session", ["session_id", "id"], unique=False)

    op.create_table(
        "need_matches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("need_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("doc_id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), server_default="", nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created", sa.Float(), nullable=False),
        sa.Column("sent", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["needs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("need_id", "doc_id", name="need_matches_need_doc"),
    )
    with op.batch_alter_table("need_matches", schema=None) as batch_op:
        batch_op.create_index("need_matches_pending", ["sent"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("need_matches", schema=None) as batch_op:
        batch_op.drop_index("need_matches_pending")

    op.drop_table("need_matches")
    with op.batch_alter_table("turns", schema=None) as batch_op:
        batch_op.drop_index("turns_session")
        batch_op.drop_index("turns_created")
        batch_op.drop_index("turns_answer")

    op.drop_table("turns")
    op.drop_table("submissions")
    with op.batch_alter_table("needs", schema=None) as batch_op:
        batch_op.drop_index("needs_open")

    op.drop_table("needs")
    op.drop_table("kv")
    op.drop_table("introductions")
    op.drop_table("feedback")
    op.drop_table("chat_language")
