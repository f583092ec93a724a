"""The bot's recent answers, shared by every replica, so a button works whichever replica its press reaches.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_answers",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("rated", sa.Text(), nullable=True),
        sa.Column("created", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("bot_answers", schema=None) as batch_op:
        batch_op.create_index("bot_answers_created", ["created"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bot_answers", schema=None) as batch_op:
        batch_op.drop_index("bot_answers_created")

    op.drop_table("bot_answers")
