"""Per-session conversation memory in SQLite, shared by the CLI, the HTTP API and the Telegram bot."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.sqlite import open_db

MAX_TURNS_KEPT = 20


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    content: str
    meta: dict


class ConversationStore:
    def __init__(self, path: Path):
        self._conn = open_db(
            path,
            (
                "CREATE TABLE IF NOT EXISTS turns (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL,"
                " role TEXT NOT NULL, content TEXT NOT NULL, meta TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL);"
                "CREATE INDEX IF NOT EXISTS turns_session ON turns (session_id, id);"
            ),
        )
        self._lock = threading.Lock()

    def add(self, session_id: str, role: str, content: str, meta: dict | None = None) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO turns (session_id, role, content, meta, created) VALUES (?, ?, ?, ?, ?)",
                (session_id, role, content, json.dumps(meta or {}, ensure_ascii=False), time.time()),
            )

    def history(self, session_id: str, limit: int = MAX_TURNS_KEPT) -> list[Turn]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT role, content, meta FROM turns WHERE session_id=? ORDER BY id DESC LIMIT ?", (session_id, limit)
            ).fetchall()
        return [Turn(role, content, json.loads(meta)) for role, content, meta in reversed(rows)]

    def sessions(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._conn.execute("SELECT DISTINCT session_id FROM turns ORDER BY session_id")]

    def reset(self, session_id: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM turns WHERE session_id=?", (session_id,))

    def close(self) -> None:
        self._conn.close()
