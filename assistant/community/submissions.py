"""Solutions shared by the public (API, Telegram /share) wait in a moderation queue; approval writes them as
corpus-format Markdown under the data directory and ingests them, rejection drops them.

A Telegram submission keeps its chat (a column, never in the submission's data, so no listing shows it): once
decided, the row is the outbox of the outcome message until the bot's sender marks it told."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml
from sqlalchemy import insert, select, update

from assistant.database import Database
from assistant.errors import InvalidInput, NotFound
from assistant.schema import submissions
from assistant.text.geo import country_code, region_of
from assistant.text.language import SUPPORTED, detect_language
from assistant.text.sdg import normalise_sdgs

LIMITS = {"title": 200, "summary": 1000, "body": 20000, "contact": 200, "provider": 200, "url": 500}
MAX_REASON_CHARS = 1000
_EMAIL_OR_URL = re.compile(r"^(https?://\S+|[^@\s]+@[^@\s]+\.[^@\s]+|\+?[0-9 ()-]{6,30})$")


@dataclass
class Submission:
    id: str
    title: str
    summary: str = ""
    body: str = ""
    countries: list[str] = field(default_factory=list)
    sdgs: list[int] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    provider: str = ""
    contact: str = ""
    url: str = ""
    language: str = ""
    source: str = "api"
    status: str = "pending"  # pending | approved | rejected
    created: float = 0.0
    #: Why a moderator rejected it (told to the submitter), and when it was decided.
    reason: str = ""
    decided: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def validate_submission(data: dict) -> dict:
    """Clean and check a submission; raises InvalidInput with a reason a person can act on."""
    clean: dict = {}
    for key, limit in LIMITS.items():
        value = data.get(key) or ""
        if not isinstance(value, str):
            raise InvalidInput(f"'{key}' must be text.")
        value = value.strip()
        if len(value) > limit:
            raise InvalidInput(f"'{key}' is longer than {limit} characters.")
        clean[key] = value
    if len(clean["title"]) < 5:
        raise InvalidInput("The title needs at least 5 characters.")
    if len(clean["summary"]) + len(clean["body"]) < 20:
        raise InvalidInput("Describe the solution in at least 20 characters (summary or body).")
    if clean["contact"] and not _EMAIL_OR_URL.match(clean["contact"]):
        raise InvalidInput("The contact must be an e-mail address, a web address or a phone number.")
    if clean["url"] and not clean["url"].startswith(("http://", "https://")):
        raise InvalidInput("The url must start with http:// or https://.")
    countries = []
    for value in data.get("countries") or []:
        code = country_code(str(value))
        if code is None:
            raise InvalidInput(f"Unknown country '{value}'.")
        countries.append(code)
    clean["countries"] = countries[:20]
    clean["sdgs"] = normalise_sdgs(data.get("sdgs") or [])
    themes = data.get("themes") or []
    if not isinstance(themes, list) or any(not isinstance(t, str) or len(t) > 60 for t in themes):
        raise InvalidInput("'themes' must be a list of short words.")
    clean["themes"] = [t.strip().lower() for t in themes if t.strip()][:10]
    language = data.get("language") or ""
    clean["language"] = (
        language if language in SUPPORTED else detect_language(f"{clean['title']} {clean['summary']} {clean['body']}")
    )
    return clean


class SubmissionQueue:
    """The moderation queue in the database's `submissions` table; approved documents are written under
    `published_dir`. The database belongs to the caller (the composition root closes it)."""

    def __init__(self, database: Database, published_dir: Path):
        self.database = database
        self.publish_dir = published_dir

    def submit(
        self, data: dict, source: str = "api", *, chat_id: int | None = None, chat_language: str = ""
    ) -> Submission:
        """Queue a submission; `chat_id` (Telegram) is where its outcome is told, in `chat_language`."""
        clean = validate_submission(data)
        submission = Submission(id=f"sub-{uuid.uuid4().hex[:12]}", source=source, created=time.time(), **clean)
        with self.database.write() as conn:
            conn.execute(
                insert(submissions).values(
                    id=submission.id,
                    data=json.dumps(submission.to_dict(), ensure_ascii=False),
                    status="pending",
                    created=submission.created,
                    chat_id=chat_id,
                    chat_language=chat_language or "",
                )
            )
        return submission

    def untold(self, limit: int = 50) -> list[tuple[Submission, int, str]]:
        """Decided submissions whose submitter's chat has not been told yet: (submission, chat id, language)."""
        t = submissions.c
        query = (
            select(t.data, t.status, t.chat_id, t.chat_language)
            .where(t.chat_id.is_not(None), t.told.is_(None), t.status.in_(("approved", "rejected")))
            .order_by(t.created, t.id)
            .limit(limit)
        )
        with self.database.read() as conn:
            rows = conn.execute(query).all()
        return [
            (Submission(**(json.loads(data) | {"status": status})), int(chat), lang)
            for data, status, chat, lang in rows
        ]

    def mark_told(self, submission_id: str) -> None:
        t = submissions.c
        with self.database.write() as conn:
            conn.execute(update(submissions).where(t.id == submission_id, t.told.is_(None)).values(told=time.time()))

    def get(self, submission_id: str) -> Submission:
        t = submissions.c
        with self.database.read() as conn:
            row = conn.execute(select(t.data, t.status).where(t.id == submission_id)).first()
        if row is None:
            raise NotFound(f"No submission '{submission_id}'.")
        return _submission(row[0], row[1])

    def list(self, status: str | None = "pending") -> list[Submission]:
        t = submissions.c
        query = select(t.data, t.status).order_by(t.created, t.id)
        if status:
            query = query.where(t.status == status)
        with self.database.read() as conn:
            rows = conn.execute(query).all()
        return [_submission(data, row_status) for data, row_status in rows]

    def _set_status(self, submission_id: str, status: str, reason: str = "") -> None:
        """Decide a pending submission; InvalidInput when another moderator (another replica) decided it first."""
        t = submissions.c
        with self.database.write() as conn:  # read, then write, in one transaction: no other decision in between
            row = conn.execute(select(t.data, t.status).where(t.id == submission_id)).first()
            if row is None:
                raise NotFound(f"No submission '{submission_id}'.")
            if row[1] != "pending":
                raise InvalidInput(f"Submission '{submission_id}' is already {row[1]}.")
            decided = _submission(row[0], row[1])
            decided.reason, decided.decided = reason, time.time()
            data = json.dumps(decided.to_dict(), ensure_ascii=False)
            conn.execute(update(submissions).where(t.id == submission_id).values(status=status, data=data))

    def _pending(self, submission_id: str) -> Submission:
        sub = self.get(submission_id)
        if sub.status != "pending":
            raise InvalidInput(f"Submission '{submission_id}' is already {sub.status}.")
        return sub

    def approve(
        self,
        submission_id: str,
        publish: Callable[[Path], object] | None = None,
        withdraw: Callable[[str], object] | None = None,
    ) -> Path:
        """Write the submission as a corpus document, hand it to `publish` (the ingestion), then mark it approved.

        If `publish` fails (the store is down, say), the document is withdrawn and the submission stays pending,
        so the moderator can simply approve it again later: nothing is lost and nothing is half-published. If
        another moderator rejected it while it was being published, `withdraw` takes it out of the index again.
        """
        sub = self._pending(submission_id)
        self.publish_dir.mkdir(parents=True, exist_ok=True)
        meta = {
            "id": sub.id,
            "kind": "solution",
            "title": sub.title,
            "summary": sub.summary,
            "countries": sub.countries,
            "region": region_of(sub.countries[0]) if sub.countries else None,
            "sdgs": sub.sdgs,
            "themes": sub.themes,
            "provider": sub.provider or None,
            "contact": sub.contact or None,
            "url": sub.url or None,
            "language": sub.language,
            "status": "pilot",
            # the public wrote it: a lower trust tier (instructions neutralised at ingestion, claims labelled)
            "trust": "untrusted",
        }
        meta = {k: v for k, v in meta.items() if v not in (None, "", [])}
        path = self.publish_dir / f"{sub.id}.md"
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text(
            "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n" + sub.body + "\n",
            encoding="utf-8",
        )
        tmp.replace(path)  # atomic: a half-written file never reaches the index
        if publish is not None:
            try:
                publish(path)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
        try:
            self._set_status(submission_id, "approved")
        except InvalidInput:
            if self.get(submission_id).status == "rejected":
                path.unlink(missing_ok=True)
                if withdraw is not None and publish is not None:
                    withdraw(sub.id)
            raise
        return path

    def reject(self, submission_id: str, reason: str = "") -> None:
        reason = (reason or "").strip()
        if len(reason) > MAX_REASON_CHARS:
            raise InvalidInput(f"The reason is longer than {MAX_REASON_CHARS} characters.")
        self._pending(submission_id)
        self._set_status(submission_id, "rejected", reason)

    def close(self) -> None:
        """Nothing to release: the database is the caller's."""


def _submission(data: str, status: str) -> Submission:
    """A stored row's submission; the status column is the authority (the JSON keeps the one it was written with)."""
    return Submission(**(json.loads(data) | {"status": status}))
