"""Durable feedback on answers (thumbs up/down), shared by the HTTP API and the Telegram bot."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import InvalidInput
from assistant.sqlite import open_db

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
    def __init__(self, path: Path):
        self._conn = open_db(
            path,
            (
                "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL,"
                " answer_id TEXT NOT NULL, rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),"
                " comment TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT 'api', created REAL NOT NULL);"
            ),
        )
        self._lock = threading.Lock()

    def add(self, session_id: str, answer_id: str, rating: str, comment: str = "", source: str = "api") -> int:
        if rating not in ("up", "down"):
            raise InvalidInput("The rating must be 'up' or 'down'.")
        if len(comment or "") > MAX_COMMENT_CHARS:
            raise InvalidInput(f"The comment is longer than {MAX_COMMENT_CHARS} characters.")
        with self._lock:
            cur = self._conn.execute(
                "INSERT INTO feedback (session_id, answer_id, rating, comment, source, created) VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, answer_id, rating, comment or "", source, time.time()),
            )
        if cur.lastrowid is None:  # sqlite3 sets it after every INSERT that succeeded
            raise RuntimeError("the feedback row was not stored")
        return cur.lastrowid

    def list(self, limit: int = 100) -> list[Feedback]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, session_id, answer_id, rating, comment, source, created FROM feedback ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Feedback(*row) for row in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0])

    def close(self) -> None:
        self._conn.close()
