"""Durable feedback on answers (thumbs up/down) in the database, shared by the HTTP API and the Telegram bot."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import func, insert, select

from assistant.database import Database
from assistant.errors import InvalidInput
from assistant.schema import feedback

MAX_COMMENT_CHARS = 2000


@dataclass
class Feedback:
    id: int
    session_id: str
    answer_id: str
    rating: str
    comment: str
    source: str
    created: float


class FeedbackStore:
    """Ratings in the database's `feedback` table. The database belongs to the caller (the composition root
    closes it); writes are serialised by `Database.write()`."""

    def __init__(self, database: Database):
        self.database = database

    def add(self, session_id: str, answer_id: str, rating: str, comment: str = "", source: str = "api") -> int:
        """Store one rating; returns its id (ids increase)."""
        if rating not in ("up", "down"):
            raise InvalidInput("The rating must be 'up' or 'down'.")
        if len(comment or "") > MAX_COMMENT_CHARS:
            raise InvalidInput(f"The comment is longer than {MAX_COMMENT_CHARS} characters.")
        statement = (
            insert(feedback)
            .values(
                session_id=session_id,
                answer_id=answer_id,
                rating=rating,
                comment=comment or "",
                source=source,
                created=time.time(),
            )
            .returning(feedback.c.id)
        )
        with self.database.write() as conn:
            new_id = conn.execute(statement).scalar_one()
        return int(new_id)

    def list(self, limit: int = 100) -> list[Feedback]:
        """The newest `limit` ratings, newest first."""
        t = feedback.c
        query = (
            select(t.id, t.session_id, t.answer_id, t.rating, t.comment, t.source, t.created)
            .order_by(t.id.desc())
            .limit(limit)
        )
        with self.database.read() as conn:
            rows = conn.execute(query).all()
        return [Feedback(int(row[0]), *row[1:]) for row in rows]

    def count(self) -> int:
        with self.database.read() as conn:
            return int(conn.execute(select(func.count()).select_from(feedback)).scalar_one())

    def close(self) -> None:
        """Nothing to release: the database is the caller's."""
