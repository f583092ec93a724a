"""Per-session conversation memory in the database, shared by the CLI, the HTTP API and the Telegram bot."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from assistant.database import Database
from assistant.errors import ConfigurationError
from assistant.schema import turns

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
    """The turns of every session in the database's `turns` table. The database belongs to the caller (the
    composition root closes it); writes are serialised by `Database.write()`."""

    def __init__(self, database: Database):
        self.database = database

    def add(self, session_id: str, role: str, content: str, meta: dict | None = None) -> None:
        meta = meta or {}
        row = {
            "session_id": session_id,
            "role": role,
            "content": content,
            "meta": json.dumps(meta, ensure_ascii=False),
            "answer_id": str(meta.get("answer_id") or ""),
            "created": time.time(),
        }
        with self.database.write() as conn:
            conn.execute(insert(turns).values(**row))

    def history(self, session_id: str, limit: int = MAX_TURNS_KEPT) -> list[Turn]:
        t = turns.c
        query = select(t.role, t.content, t.meta).where(t.session_id == session_id).order_by(t.id.desc()).limit(limit)
        with self.database.read() as conn:
            rows = conn.execute(query).all()
        return [Turn(role, content, json.loads(meta)) for role, content, meta in reversed(rows)]

    def exchanges(self, since: float = 0.0) -> list[Exchange]:
        """Every answer since `since` (epoch seconds) with the question before it in its session, oldest first."""
        answer, asked = turns.alias("a"), turns.alias("q")
        question = (
            select(asked.c.content)
            .where(asked.c.session_id == answer.c.session_id, asked.c.role == "user", asked.c.id < answer.c.id)
            .order_by(asked.c.id.desc())
            .limit(1)
            .correlate(answer)
            .scalar_subquery()
        )
        query = (
            select(answer.c.session_id, func.coalesce(question, ""), answer.c.content, answer.c.meta, answer.c.created)
            .where(answer.c.role == "assistant", answer.c.created >= since)
            .order_by(answer.c.id)
        )
        with self.database.read() as conn:
            rows = conn.execute(query).all()
        return [
            Exchange(sid, question or "", content, json.loads(meta), created)
            for sid, question, content, meta, created in rows
        ]

    def sessions(self) -> list[str]:
        query = select(turns.c.session_id).distinct().order_by(turns.c.session_id)
        with self.database.read() as conn:
            return list(conn.execute(query).scalars())

    def has_answer(self, session_id: str, answer_id: str) -> bool:
        """Whether `answer_id` was given in `session_id` (feedback is taken only for answers actually issued)."""
        if not answer_id:  # turns without an answer id store "": an empty id names no answer
            return False
        t = turns.c
        query = select(t.id).where(t.session_id == session_id, t.answer_id == answer_id, t.role == "assistant").limit(1)
        with self.database.read() as conn:
            return conn.execute(query).first() is not None

    def prune(self, older_than_s: float) -> int:
        """Forget the turns older than `older_than_s` seconds; returns how many were deleted."""
        with self.database.write() as conn:
            result = conn.execute(delete(turns).where(turns.c.created < time.time() - older_than_s))
        return int(result.rowcount or 0)

    def reset(self, session_id: str) -> None:
        with self.database.write() as conn:
            conn.execute(delete(turns).where(turns.c.session_id == session_id))

    def close(self) -> None:
        """Nothing to release: the database is the caller's."""


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
