"""The tables of the durable state: the docstore's key-value rows, conversations, feedback, submissions,
introductions, saved needs, and the bot's chat preferences and recent answers. One schema for SQLite and
PostgreSQL; Alembic's migrations (assistant/migrations) create and evolve it, these definitions are what the
stores query with."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: A 64-bit surrogate key that is still SQLite's rowid (which only an INTEGER PRIMARY KEY column becomes).
RowId = BigInteger().with_variant(Integer(), "sqlite")

kv = Table(
    "kv",
    metadata,
    Column("collection", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

turns = Table(
    "turns",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("session_id", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("meta", Text, nullable=False, server_default="{}"),
    # Copied out of `meta` so that feedback can check an answer was issued without parsing JSON in SQL.
    Column("answer_id", Text, nullable=False, server_default=""),
    Column("created", Float, nullable=False),
    Index("turns_session", "session_id", "id"),
    Index("turns_created", "created"),
    Index("turns_answer", "session_id", "answer_id"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("session_id", Text, nullable=False),
    Column("answer_id", Text, nullable=False),
    Column("rating", Text, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("source", Text, nullable=False, server_default="api"),
    Column("created", Float, nullable=False),
    CheckConstraint("rating IN ('up', 'down')", name="feedback_rating"),
)

submissions = Table(
    "submissions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("data", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created", Float, nullable=False),
    # Telegram submitters: where the outcome is told, in which language, and when it was.
    Column("chat_id", BigInteger, nullable=True),
    Column("chat_language", Text, nullable=False, server_default=""),
    Column("told", Float, nullable=True),
)

introductions = Table(
    "introductions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("data", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created", Float, nullable=False),
)

needs = Table(
    "needs",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("token", Text, nullable=False, unique=True),
    Column("session_id", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("language", Text, nullable=False, server_default=""),
    Column("places", Text, nullable=False, server_default="[]"),
    Column("embedding", LargeBinary, nullable=False),
    Column("channel", Text, nullable=False),
    Column("chat_id", BigInteger, nullable=True),
    Column("answer_id", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False, server_default="open"),
    Column("created", Float, nullable=False),
    Index("needs_open", "status"),
)

need_matches = Table(
    "need_matches",
    metadata,
    Column("id", RowId, primary_key=True, autoincrement=True),
    Column("need_id", RowId, ForeignKey("needs.id"), nullable=False),
    Column("doc_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text, nullable=False, server_default=""),
    Column("score", Float, nullable=False),
    Column("created", Float, nullable=False),
    Column("sent", Float, nullable=True),
    UniqueConstraint("need_id", "doc_id", name="need_matches_need_doc"),
    Index("need_matches_pending", "sent"),
)

chat_language = Table(
    "chat_language",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("language", Text, nullable=False),
    Column("updated", Float, nullable=False),
)

#: The recent answers under which the bot's buttons work (bots.state.AnswerStore): `key` is the 8 characters in
#: the buttons' callback_data, `entry` the answer's JSON; `rated` is claimed once, by whichever replica is first.
bot_answers = Table(
    "bot_answers",
    metadata,
    Column("key", Text, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("entry", Text, nullable=False),
    Column("rated", Text, nullable=True),
    Column("created", Float, nullable=False),
    Index("bot_answers_created", "created"),
)
