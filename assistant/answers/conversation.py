"""Per-session conversation memory in SQLite, shared by the CLI, the HTTP API and the Telegram bot."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigurationError
from assistant.sqlite import open_db

MAX_TURNS_KEPT = 20


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    content: str
    meta: dict


@dataclass
class Exchange:
    """One answer with the question that asked for it."""

    session_id: str
    question: str
    answer: str
    meta: dict
    created: float


class ConversationStore:
    def __init__(self, path: Path):
        self._conn = open_db(
            path,
            (
                "CREATE TABLE IF NOT EXISTS turns (id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL,"
                " role TEXT NOT NULL, content TEXT NOT NULL, meta TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL);"
                "CREATE INDEX IF NOT EXISTS turns_session ON turns (session_id, id);"
                "CREATE INDEX IF NOT EXISTS turns_created ON turns (created);"
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

    def exchanges(self, since: float = 0.0) -> list[Exchange]:
        """Every answer since `since` (epoch seconds) with the question before it in its session, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT a.session_id, COALESCE(q.content, ''), a.content, a.meta, a.created FROM turns a"
                " LEFT JOIN turns q ON q.id = (SELECT MAX(id) FROM turns WHERE session_id = a.session_id"
                " AND role = 'user' AND id < a.id) WHERE a.role = 'assistant' AND a.created >= ? ORDER BY a.id",
                (since,),
            ).fetchall()
        return [
            Exchange(sid, question, answer, json.loads(meta), created) for sid, question, answer, meta, created in rows
        ]

    def sessions(self) -> list[str]:
        with self._lock:
            return [row[0] for row in self._conn.execute("SELECT DISTINCT session_id FROM turns ORDER BY session_id")]

    def has_answer(self, session_id: str, answer_id: str) -> bool:
        """Whether `answer_id` was given in `session_id` (feedback is taken only for answers actually issued)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM turns WHERE session_id=? AND role='assistant' AND json_extract(meta, '$.answer_id')=?"
                " LIMIT 1",
                (session_id, answer_id),
            ).fetchone()
        return row is not None

    def prune(self, older_than_s: float) -> int:
        """Forget the turns older than `older_than_s` seconds; returns how many were deleted."""
        with self._lock:
            cur = self._conn.execute("DELETE FROM turns WHERE created < ?", (time.time() - older_than_s,))
        return cur.rowcount

    def reset(self, session_id: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM turns WHERE session_id=?", (session_id,))

    def close(self) -> None:
        self._conn.close()


class SessionIds:
    """Conversation ids issued by this server: 128 random bits and an HMAC of them under a server secret.

    Signed rather than listed: any replica holding the same secret can check an id without a database lookup,
    and an id the server never issued (a guess, another channel's `tg-<chat>`) never verifies."""

    TOKEN_CHARS = 22  # secrets.token_urlsafe(16): 128 bits
    SECRET_FILE = "session-secret"

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ConfigurationError("GALAXY_API__SESSION_SECRET must have at least 16 characters.")
        self._secret = secret

    @classmethod
    def under(cls, data_dir: Path, secret: str = "") -> SessionIds:
        """With `secret` when one is configured (replicas share it), else the one kept in the data directory,
        created on first use."""
        if secret:
            return cls(secret.encode())
        path = data_dir / cls.SECRET_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first: use theirs
                pass
            else:
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_hex(32))
        return cls(path.read_text().strip().encode())

    def _mac(self, token: str) -> str:
        digest = hmac.new(self._secret, b"session:" + token.encode(), hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self) -> str:
        token = secrets.token_urlsafe(16)
        return token + self._mac(token)

    def valid(self, session_id: str | None) -> bool:
        if not session_id or len(session_id) != 2 * self.TOKEN_CHARS:
            return False
        token, mac = session_id[: self.TOKEN_CHARS], session_id[self.TOKEN_CHARS :]
        return hmac.compare_digest(mac, self._mac(token))

    def own(self, session_id: str | None) -> str:
        """`session_id` if this server issued it, else a new one: a forged or expired id starts afresh."""
        return session_id if session_id and self.valid(session_id) else self.issue()
