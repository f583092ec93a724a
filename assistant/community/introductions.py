"""Requests to be introduced to the provider of a cited solution or a suggested partner.

A seeker states a need and, only with explicit consent, how to reach them. The request waits for the knowledge
managers in the console (new -> contacted -> connected -> closed, with notes); its contact is shown there and
nowhere else, never in an answer.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, insert, select, update

from assistant.database import Database
from assistant.errors import InvalidInput, NotFound
from assistant.schema import introductions

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
    """Introduction requests in the database's `introductions` table. The database belongs to the caller (the
    composition root closes it)."""

    def __init__(self, database: Database):
        self.database = database

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
        with self.database.write() as conn:
            conn.execute(
                insert(introductions).values(
                    id=intro.id, data=self._dump(intro), status=intro.status, created=intro.created
                )
            )
        return intro

    def get(self, intro_id: str) -> Introduction:
        t = introductions.c
        with self.database.read() as conn:
            data = conn.execute(select(t.data).where(t.id == intro_id)).scalar()
        if data is None:
            raise NotFound(f"No introduction '{intro_id}'.")
        return self._load(data)

    def list(self, status: str | None = None) -> list[Introduction]:
        """Newest first; only those with `status` when given."""
        t = introductions.c
        query = select(t.data).order_by(t.created.desc(), t.id.desc())
        if status:
            query = query.where(t.status == status)
        with self.database.read() as conn:
            rows = conn.execute(query).scalars().all()
        return [self._load(data) for data in rows]

    def move(self, intro_id: str, status: str, note: str = "") -> Introduction:
        """Set the status (any step, forward or back: people change their minds) and keep the note with it."""
        if status not in STATUSES:
            raise InvalidInput(f"The status must be one of: {', '.join(STATUSES)}.")
        note = _text("note", note)
        t = introductions.c
        with self.database.write() as conn:  # read, then write, in one transaction: no note is lost to another
            data = conn.execute(select(t.data).where(t.id == intro_id)).scalar()
            if data is None:
                raise NotFound(f"No introduction '{intro_id}'.")
            intro = self._load(data)
            intro.updated = time.time()
            intro.status = status
            intro.notes.append(Note(status, note, intro.updated))
            conn.execute(update(introductions).where(t.id == intro_id).values(data=self._dump(intro), status=status))
        return intro

    def count(self, status: str | None = None) -> int:
        t = introductions.c
        query = select(func.count()).select_from(introductions)
        if status:
            query = query.where(t.status == status)
        with self.database.read() as conn:
            return int(conn.execute(query).scalar_one())

    @staticmethod
    def _dump(intro: Introduction) -> str:
        return json.dumps(intro.to_dict(), ensure_ascii=False)

    @staticmethod
    def _load(data: str) -> Introduction:
        item = json.loads(data)
        item["notes"] = [Note(**n) for n in item.get("notes", [])]
        return Introduction(**item)

    def close(self) -> None:
        """Nothing to release: the database is the caller's."""
