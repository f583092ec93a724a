"""What the curator's console and `galaxy feedback` show besides the gaps: the usage overview (questions per day,
answer latency) and the feedback on answers, each with its question and answer."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from assistant.community.gaps import channel_of, week_of

if TYPE_CHECKING:
    from assistant.answers.conversation import Exchange
    from assistant.community.feedback import Feedback
    from assistant.community.submissions import Submission
    from assistant.container import Services


def day_of(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).date().isoformat()


def usage(exchanges: Iterable[Exchange]) -> dict:
    """Questions per day (oldest first), by outcome and channel, and the answer latency's p50 and p95 (ms)."""
    per_day: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    latencies = []
    for ex in exchanges:
        per_day[day_of(ex.created)] += 1
        outcomes[ex.meta.get("outcome") or "-"] += 1
        channels[channel_of(ex.session_id, ex.meta)] += 1
        if isinstance(ex.meta.get("latency_ms"), int | float):
            latencies.append(float(ex.meta["latency_ms"]))
    p50, p95 = np.percentile(latencies, [50, 95]).round().tolist() if latencies else (None, None)
    return {
        "questions": sum(per_day.values()),
        "per_day": sorted(per_day.items()),
        "by_outcome": dict(outcomes.most_common()),
        "by_channel": dict(channels.most_common()),
        "latency_ms": {"p50": p50, "p95": p95, "measured": len(latencies)},
    }


@dataclass
class RatedAnswer:
    answer_id: str
    question: str
    answer: str
    channel: str
    up: int = 0
    down: int = 0
    comments: list[str] = field(default_factory=list)
    last: float = 0.0

    @property
    def score(self) -> int:
        return self.up - self.down


def feedback_report(feedback: Iterable[Feedback], exchanges: Iterable[Exchange]) -> dict:
    """👍/👎 per week and channel, and the rated answers with their question, the worst rated first."""
    by_answer = {ex.meta.get("answer_id"): ex for ex in exchanges if ex.meta.get("answer_id")}
    weeks: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    rated: dict[str, RatedAnswer] = {}
    for item in feedback:
        weeks[(week_of(item.created), item.source)][item.rating] += 1
        ex = by_answer.get(item.answer_id)
        entry = rated.setdefault(
            item.answer_id,
            RatedAnswer(item.answer_id, ex.question if ex else "", ex.answer if ex else "", item.source),
        )
        entry.up += item.rating == "up"
        entry.down += item.rating == "down"
        entry.last = max(entry.last, item.created)
        if item.comment:
            entry.comments.append(item.comment)
    return {
        "weeks": [
            {"week": week, "channel": channel, "up": c["up"], "down": c["down"]}
            for (week, channel), c in sorted(weeks.items())
        ],
        "answers": sorted(rated.values(), key=lambda r: (r.score, -r.down, -r.last)),
    }


def collect_usage(services: Services, since: float = 0.0) -> dict:
    return usage(services.conversations.exchanges(since))


def collect_feedback(services: Services, since: float = 0.0) -> dict:
    feedback = [f for f in services.feedback.list(limit=100_000) if f.created >= since]
    return feedback_report(feedback, services.conversations.exchanges(since))


def submission_preview(sub: Submission) -> str:
    """The submission as an answer citing it would show it, in its own language."""
    from assistant.answers import compose
    from assistant.knowledge.documents import KnowledgeDocument
    from assistant.retrieval.index import Chunk
    from assistant.retrieval.results import Hit
    from assistant.retrieval.snippets import best_snippet

    doc = KnowledgeDocument(
        id=sub.id,
        title=sub.title,
        summary=sub.summary,
        body=sub.body,
        countries=sub.countries,
        sdgs=sub.sdgs,
        themes=sub.themes,
        provider=sub.provider or None,
        url=sub.url or None,
        language=sub.language or "en",
    )
    passage = sub.body or sub.summary
    snippet = best_snippet(passage, doc.title, doc)  # the sentence an answer would quote, chosen the same way
    hit = Hit(doc=doc, score=1.0, chunk=Chunk(f"{sub.id}#0", sub.id, passage), snippet=snippet)
    return compose.lead(1, doc.countries, doc.language) + "\n" + compose.describe(1, hit, snippet, doc.language)
