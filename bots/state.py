"""The bot's own small state: each chat's chosen language (SQLite, survives restarts) and a bounded in-memory
cache of recent answers, so buttons carry only a short key in their 64-byte callback_data."""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path


class ChatPreferences:
    """chat id -> language chosen with /lang. Tiny SQLite table beside the other stores."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS chat_language (chat_id INTEGER PRIMARY KEY, language TEXT NOT NULL,"
            " updated REAL NOT NULL)"
        )
        self._lock = threading.Lock()
        self._memo: dict[int, str | None] = {}

    def language(self, chat_id: int) -> str | None:
        with self._lock:
            if chat_id not in self._memo:
                row = self._conn.execute("SELECT language FROM chat_language WHERE chat_id=?", (chat_id,)).fetchone()
                if len(self._memo) > 10_000:
                    self._memo.clear()
                self._memo[chat_id] = row[0] if row else None
            return self._memo[chat_id]

    def set_language(self, chat_id: int, language: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO chat_language (chat_id, language, updated) VALUES (?, ?, ?)"
                " ON CONFLICT(chat_id) DO UPDATE SET language=excluded.language, updated=excluded.updated",
                (chat_id, language, time.time()),
            )
            self._memo[chat_id] = language

    def close(self) -> None:
        with self._lock:
            self._conn.close()


@dataclass
class AnswerEntry:
    """What the buttons under one answer need."""

    chat_id: int
    session_id: str
    question: str
    query: str
    answer_id: str
    language: str
    citations: list = field(default_factory=list)
    rest: str = ""
    rated: str | None = None
    outcome: str = ""
    partners: list = field(default_factory=list)


class AnswerCache:
    """Bounded LRU of recent answers keyed by an 8-character random id (button data: "src:<id>" etc.).
    Evicted or pre-restart keys read as expired; a key only works in the chat it was made for."""

    def __init__(self, capacity: int = 2000):
        self.capacity = capacity
        self._items: OrderedDict[str, AnswerEntry] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, entry: AnswerEntry) -> str:
        with self._lock:
            key = secrets.token_urlsafe(6)  # 8 characters of [A-Za-z0-9_-]
            while key in self._items:
                key = secrets.token_urlsafe(6)
            self._items[key] = entry
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
            return key

    def get(self, key: str, chat_id: int | None) -> AnswerEntry | None:
        with self._lock:
            entry = self._items.get(key)
            if entry is None or (chat_id is not None and entry.chat_id != chat_id):
                return None
            self._items.move_to_end(key)
            return entry

    def __len__(self) -> int:
        return len(self._items)
