"""The bot's own small state, in the database every replica shares: each chat's chosen language, and the recent
answers whose buttons carry only a short key in their 64-byte callback_data. A button pressed or a language set
on one replica is seen by every other one."""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from assistant.answers.citations import Citation
from assistant.database import Database
from assistant.schema import bot_answers, chat_language

log = logging.getLogger(__name__)


class ChatPreferences:
    """chat id -> language chosen with /lang, in the database's `chat_language` table. Read on every use, not
    memoised: a primary-key lookup is cheap, and a choice made through another replica counts at once. The
    database belongs to the caller."""

    def __init__(self, database: Database):
        self.database = database

    def language(self, chat_id: int) -> str | None:
        query = select(chat_language.c.language).where(chat_language.c.chat_id == chat_id)
        with self.database.read() as conn:
            return conn.execute(query).scalar_one_or_none()

    def set_language(self, chat_id: int, language: str) -> None:
        row = {"chat_id": chat_id, "language": language, "updated": time.time()}
        with self.database.write() as conn:
            self.database.upsert(chat_language, [row], conn, keys=["chat_id"])

    def close(self) -> None:
        """Nothing to release: the database is the caller's."""


@dataclass
class AnswerEntry:
    """What the buttons under one answer need."""

    chat_id: int
    session_id: str
    question: str
    query: str
    answer_id: str
    language: str
    citations: list[Citation] = field(default_factory=list)
    rest: str = ""
    rated: str | None = None
    outcome: str = ""
    #: As the engine gives them: `Partner.to_dict()` (name, kind, countries, score, reason, citations).
    partners: list[dict[str, Any]] = field(default_factory=list)


#: What secrets.token_urlsafe(6) makes: 8 characters of [A-Za-z0-9_-].
_KEY = re.compile(r"[A-Za-z0-9_-]{8}")


class AnswerStore:
    """The recent answers, keyed by an 8-character random id (button data: "src:<id>" etc.), in the database's
    `bot_answers` table. A key works only in the chat it was made for; one older than `max_age_s`, or pushed out
    by more than `max_rows` newer ones, reads as expired. Puts prune those at most once every
    `PRUNE_INTERVAL_S` (per store). A rating is claimed once, atomically, whichever replica a press reaches.
    The database belongs to the caller."""

    MAX_AGE_S = 7 * 24 * 3600.0
    MAX_ROWS = 50_000
    PRUNE_INTERVAL_S = 60.0

    def __init__(
        self,
        database: Database,
        *,
        max_age_s: float = MAX_AGE_S,
        max_rows: int = MAX_ROWS,
        clock: Callable[[], float] = time.time,
    ):
        self.database = database
        self.max_age_s = max_age_s
        self.max_rows = max_rows
        self._clock = clock
        self._prune_lock = threading.Lock()
        self._next_prune = 0.0

    def put(self, entry: AnswerEntry) -> str:
        now = self._clock()
        data = encode_entry(entry)
        with self.database.write() as conn:
            while True:
                key = secrets.token_urlsafe(6)
                row = {"key": key, "chat_id": entry.chat_id, "entry": data, "rated": entry.rated, "created": now}
                if self.database.insert_ignoring_duplicates(bot_answers, [row], conn):
                    break
            if self._prune_due(now):
                self._prune(conn, now)
        return key

    def get(self, key: str, chat_id: int | None) -> AnswerEntry | None:
        """The entry, or None when the key is unknown, expired or another chat's (`chat_id` None: an update
        without a chat, e.g. under an inline-mode message, where the entry's own chat is used)."""
        if not _KEY.fullmatch(key):
            return None
        columns = (bot_answers.c.chat_id, bot_answers.c.entry, bot_answers.c.rated, bot_answers.c.created)
        with self.database.read() as conn:
            row = conn.execute(select(*columns).where(bot_answers.c.key == key)).first()
        if row is None or row.created < self._clock() - self.max_age_s:
            return None
        if chat_id is not None and row.chat_id != chat_id:
            return None
        try:
            return decode_entry(row.entry, chat_id=row.chat_id, rated=row.rated)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:  # unreadable: as good as expired
            log.warning("answer %s is unreadable: %s", key, exc)
            return None

    def rate(self, key: str, rating: str) -> bool:
        """Record that the answer was rated; False when it already was (here or through another replica) or
        has expired."""
        cutoff = self._clock() - self.max_age_s
        statement = (
            update(bot_answers)
            .where(bot_answers.c.key == key, bot_answers.c.rated.is_(None), bot_answers.c.created >= cutoff)
            .values(rated=rating)
        )
        with self.database.write() as conn:
            return conn.execute(statement).rowcount == 1

    def unrate(self, key: str, rating: str) -> None:
        """Undo `rate` (its feedback could not be stored), so that the button can be pressed again."""
        statement = (
            update(bot_answers).where(bot_answers.c.key == key, bot_answers.c.rated == rating).values(rated=None)
        )
        with self.database.write() as conn:
            conn.execute(statement)

    def count(self) -> int:
        with self.database.read() as conn:
            return int(conn.execute(select(func.count()).select_from(bot_answers)).scalar_one())

    def _prune_due(self, now: float) -> bool:
        with self._prune_lock:
            if now < self._next_prune:
                return False
            self._next_prune = now + self.PRUNE_INTERVAL_S
            return True

    def _prune(self, conn: Connection, now: float) -> None:
        """Drop the expired entries and those beyond the newest `max_rows`; both walk the `created` index."""
        conn.execute(delete(bot_answers).where(bot_answers.c.created < now - self.max_age_s))
        newest_dropped = conn.execute(
            select(bot_answers.c.created).order_by(bot_answers.c.created.desc()).offset(self.max_rows).limit(1)
        ).scalar_one_or_none()
        if newest_dropped is not None:
            conn.execute(delete(bot_answers).where(bot_answers.c.created <= newest_dropped))


# -- the entry's JSON (explicit both ways: no pickle, nothing but plain values) ---------------------------------------


def encode_entry(entry: AnswerEntry) -> str:
    """The entry but its chat and rating (columns of their own). A citation's passage is left out: it serves the
    citation check, not the buttons, and is the bulk of an answer."""
    return json.dumps(
        {
            "session_id": entry.session_id,
            "question": entry.question,
            "query": entry.query,
            "answer_id": entry.answer_id,
            "language": entry.language,
            "rest": entry.rest,
            "outcome": entry.outcome,
            "citations": [_citation_dict(c) for c in entry.citations],
            "partners": [dict(p) for p in entry.partners],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def decode_entry(data: str, *, chat_id: int, rated: str | None) -> AnswerEntry:
    value = json.loads(data)
    return AnswerEntry(
        chat_id=chat_id,
        session_id=str(value["session_id"]),
        question=str(value["question"]),
        query=str(value["query"]),
        answer_id=str(value["answer_id"]),
        language=str(value["language"]),
        citations=[_citation(c) for c in value.get("citations", [])],
        rest=str(value.get("rest", "")),
        rated=rated,
        outcome=str(value.get("outcome", "")),
        partners=[dict(p) for p in value.get("partners", [])],
    )


def _citation_dict(citation: Citation) -> dict[str, Any]:
    return {
        "n": citation.n,
        "doc_id": citation.doc_id,
        "title": citation.title,
        "kind": citation.kind,
        "countries": list(citation.countries),
        "url": citation.url,
        "snippet": citation.snippet,
        "language": citation.language,
        "trust": citation.trust,
    }


def _citation(value: dict[str, Any]) -> Citation:
    return Citation(
        n=int(value["n"]),
        doc_id=str(value["doc_id"]),
        title=str(value["title"]),
        kind=str(value["kind"]),
        countries=[str(c) for c in value.get("countries", [])],
        url=value.get("url"),
        snippet=str(value.get("snippet", "")),
        language=str(value.get("language", "en")),
        trust=str(value.get("trust", "curated")),
    )
