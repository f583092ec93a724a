"""Requests to be introduced to the provider of a cited solution or a suggested partner.

A seeker states a need and, only with explicit consent, how to reach them. The request waits for the knowledge
managers in the console (new -> contacted -> connected -> closed, with notes); its contact is shown there and
nowhere else, never in an answer.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.errors import InvalidInput, NotFound
from assistant.sqlite import open_db

STATUSES = ("new", "contacted", "connected", "closed")
TARGET_KINDS = ("solution", "partner")
LIMITS = {"need": 2000, "contact": 200, "target_id": 300, "target_name": 300, "note": 2000}


@dataclass
class Note:
    status: str
    text: str
    created: float


@dataclass
class Introduction:
    id: str
    session_id: str
    channel: str
    need: str
    contact: str
    consent: bool
    target_kind: str
    target_id: str
    target_name: str
    answer_id: str = ""
    status: str = "new"
    notes: list[Note] = field(default_factory=list)
    created: float = 0.0
    updated: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def _text(name: str, value: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"'{name}' is required.")
    if len(value) > LIMITS.get(name, 300):
        raise InvalidInput(f"'{name}' is longer than {LIMITS.get(name, 300)} characters.")
    return value


class IntroductionStore:
    def __init__(self, path: Path):
        self._conn = open_db(
            path,
            (
                "CREATE TABLE IF NOT EXISTS introductions (id TEXT PRIMARY KEY, data TEXT NOT NULL,"
                " status TEXT NOT NULL, created REAL NOT NULL);"
            ),
        )
        self._lock = threading.Lock()

    def create(
        self,
        *,
        session_id: str,
        channel: str,
        need: str,
        contact: str,
        consent: bool,
        target_kind: str,
        target_id: str,
        target_name: str,
        answer_id: str = "",
    ) -> Introduction:
        """Record a request; InvalidInput for an empty or too long need, or a contact given without consent."""
        contact = _text("contact", contact)
        if contact and not consent:
            raise InvalidInput("A contact can only be kept with your explicit consent.")
        if target_kind not in TARGET_KINDS:
            raise InvalidInput(f"'target_kind' must be one of: {', '.join(TARGET_KINDS)}.")
        now = time.time()
        intro = Introduction(
            id=f"intro-{uuid.uuid4().hex[:12]}",
            session_id=_text("session_id", session_id),
            channel=_text("channel", channel) or "api",
            need=_text("need", need, required=True),
            contact=contact,
            consent=bool(consent),
            target_kind=target_kind,
            target_id=_text("target_id", target_id, required=True),
            target_name=_text("target_name", target_name),
            answer_id=_text("answer_id", answer_id),
            created=now,
            updated=now,
        )
        with self._lock:
            self._conn.execute(
                "INSERT INTO introductions (id, data, status, created) VALUES (?, ?, ?, ?)",
                (intro.id, self._dump(intro), intro.status, intro.created),
            )
        return intro

    def get(self, intro_id: str) -> Introduction:
        with self._lock:
            row = self._conn.execute("SELECT data FROM introductions WHERE id=?", (intro_id,)).fetchone()
        if row is None:
            raise NotFound(f"No introduction '{intro_id}'.")
        return self._load(row[0])

    def list(self, status: str | None = None) -> list[Introduction]:
        """Newest first; only those with `status` when given."""
        with self._lock:
            if status:
                rows = self._conn.execute(
                    "SELECT data FROM introductions WHERE status=? ORDER BY created DESC", (status,)
                ).fetchall()
            else:
                rows = self._conn.execute("SELECT data FROM introductions ORDER BY created DESC").fetchall()
        return [self._load(data) for (data,) in rows]

    def move(self, intro_id: str, status: str, note: str = "") -> Introduction:
        """Set the status (any step, forward or back: people change their minds) and keep the note with it."""
        if status not in STATUSES:
            raise InvalidInput(f"The status must be one of: {', '.join(STATUSES)}.")
        note = _text("note", note)
        with self._lock:
            row = self._conn.execute("SELECT data FROM introductions WHERE id=?", (intro_id,)).fetchone()
            if row is None:
                raise NotFound(f"No introduction '{intro_id}'.")
            intro = self._load(row[0])
            intro.updated = time.time()
            intro.status = status
            intro.notes.append(Note(status, note, intro.updated))
            self._conn.execute(
                "UPDATE introductions SET data=?, status=? WHERE id=?", (self._dump(intro), status, intro_id)
            )
        return intro

    def count(self, status: str | None = None) -> int:
        with self._lock:
            if status:
                return int(
                    self._conn.execute("SELECT COUNT(*) FROM introductions WHERE status=?", (status,)).fetchone()[0]
                )
            return int(self._conn.execute("SELECT COUNT(*) FROM introductions").fetchone()[0])

    @staticmethod
    def _dump(intro: Introduction) -> str:
        return json.dumps(intro.to_dict(), ensure_ascii=False)

    @staticmethod
    def _load(data: str) -> Introduction:
        item = json.loads(data)
        item["notes"] = [Note(**n) for n in item.get("notes", [])]
        return Introduction(**item)

    def close(self) -> None:
        self._conn.close()
