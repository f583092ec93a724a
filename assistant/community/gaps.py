"""Knowledge gaps: what people asked that the knowledge base could not answer, grouped into topics.

A question is a gap when its answer said "nothing exactly on this" or "out of scope", or was given a 👎. Gaps are
grouped by clustering their embeddings (the search's own model), and counted by country, SDG, language, channel
and week: the map of what to collect next, and the seekers behind it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from assistant.errors import InvalidInput
from assistant.text.geo import find_places
from assistant.text.sdg import find_sdgs

if TYPE_CHECKING:
    from assistant.answers.conversation import Exchange
    from assistant.community.feedback import Feedback
    from assistant.container import Services

GAP_OUTCOMES = ("nothing_exact", "out_of_scope")
THUMBS_DOWN = "thumbs_down"
#: Cosine above which two questions are one topic. Thresholds are per model (their cosine ranges differ): e5
#: puts unrelated questions (places taken out) at 0.71-0.82 and wordings of one topic at 0.85-0.89; USE v3's
#: cosines are lower and wider (a guess, not calibrated).
CLUSTER_THRESHOLDS = {"multilingual-e5-small-q4": 0.845, "use-multilingual-v3": 0.55}
DEFAULT_THRESHOLD = 0.845
MAX_CLUSTERED = 1000
DIMENSIONS = ("country", "sdg", "language", "channel")
EXAMPLES = 5
OFFERED = 3

Embed = Callable[[list[str]], list[list[float]]]


@dataclass
class GapQuestion:
    question: str
    answer: str
    answer_id: str
    session_id: str
    created: float
    language: str
    channel: str
    reason: str  # nothing_exact | out_of_scope | thumbs_down
    countries: list[str] = field(default_factory=list)
    sdgs: list[int] = field(default_factory=list)
    offered: list[str] = field(default_factory=list)
    comment: str = ""

    def keys(self, dimension: str) -> list[str]:
        if dimension == "country":
            return self.countries or ["-"]
        if dimension == "sdg":
            return [str(s) for s in self.sdgs] or ["-"]
        return [getattr(self, dimension) or "-"]


@dataclass
class GapGroup:
    label: str
    questions: list[GapQuestion]
    #: The solutions offered to these questions: (doc id, title, how often), most offered first.
    offered: list[tuple[str, str, int]] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "size": len(self.questions),
            "counts": self.counts,
            "examples": list(dict.fromkeys(q.question for q in self.questions))[:EXAMPLES],
            "offered": [{"doc_id": d, "title": t, "times": n} for d, t, n in self.offered],
            "questions": [vars(q) for q in self.questions],
        }


@dataclass
class GapReport:
    groups: list[GapGroup]
    counts: dict[str, dict[str, int]]
    #: (Monday of the week, ISO date; number of gap questions asked that week), oldest first.
    weeks: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(len(g.questions) for g in self.groups)

    def to_dict(self) -> dict:
        return {
            "total": self.total,
            "counts": self.counts,
            "weeks": [{"week": w, "questions": n} for w, n in self.weeks],
            "groups": [g.to_dict() for g in self.groups],
        }


def channel_of(session_id: str, meta: Mapping) -> str:
    """The channel recorded with the answer; older answers only have their session id to tell Telegram apart."""
    return meta.get("channel") or ("telegram" if session_id.startswith("tg-") else "api")


def week_of(timestamp: float) -> str:
    day = dt.datetime.fromtimestamp(timestamp, dt.UTC).date()
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def gap_questions(exchanges: Iterable[Exchange], feedback: Iterable[Feedback]) -> list[GapQuestion]:
    """The exchanges that are gaps, oldest first, with the comment of their 👎 if they got one."""
    downs: dict[str, str] = {}
    for item in feedback:
        if item.rating == "down":
            downs[item.answer_id] = " / ".join(x for x in (downs.get(item.answer_id, ""), item.comment) if x)
    gaps = []
    for ex in exchanges:
        answer_id = ex.meta.get("answer_id", "")
        outcome = ex.meta.get("outcome", "")
        if outcome not in GAP_OUTCOMES and answer_id not in downs:
            continue
        gaps.append(
            GapQuestion(
                question=ex.question,
                answer=ex.answer,
                answer_id=answer_id,
                session_id=ex.session_id,
                created=ex.created,
                language=ex.meta.get("language", ""),
                channel=channel_of(ex.session_id, ex.meta),
                reason=outcome if outcome in GAP_OUTCOMES else THUMBS_DOWN,
                countries=list(find_places(ex.question).countries),
                sdgs=list(find_sdgs(ex.question)),
                offered=[*ex.meta.get("citations", []), *ex.meta.get("related", [])],
                comment=downs.get(answer_id, ""),
            )
        )
    return gaps


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def cluster(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Agglomerative clustering, average linkage on cosine: the two closest groups merge while their mean pairwise
    similarity is at least `threshold`. Groups largest first, each in input order. Quadratic memory and cubic
    time in the worst case: callers cluster at most `MAX_CLUSTERED` vectors (see `find_gaps`)."""
    units = _unit(np.asarray(vectors, dtype=np.float64))
    n = len(units)
    sim = units @ units.T
    np.fill_diagonal(sim, -np.inf)
    members: list[list[int]] = [[i] for i in range(n)]
    while n > 1:
        i, j = divmod(int(np.argmax(sim)), n)
        if sim[i, j] < threshold:
            break
        a, b = len(members[i]), len(members[j])
        merged = (a * sim[i] + b * sim[j]) / (a + b)  # Lance-Williams update for average linkage
        sim[i, :], sim[:, i] = merged, merged
        sim[j, :], sim[:, j] = -np.inf, -np.inf
        sim[i, i] = -np.inf
        members[i] += members[j]
        members[j] = []
    groups = [sorted(m) for m in members if m]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def _attach(groups: list[list[int]], units: np.ndarray, rest: list[int], threshold: float) -> list[list[int]]:
    """Beyond `MAX_CLUSTERED`, older questions join the group whose centroid is closest (or stand alone)."""
    centroids = _unit(np.stack([units[g].sum(axis=0) for g in groups])) if groups else np.zeros((0, units.shape[1]))
    for i in rest:
        scores = centroids @ units[i]
        best = int(np.argmax(scores)) if len(scores) else -1
        if best >= 0 and scores[best] >= threshold:
            groups[best].append(i)
        else:
            groups.append([i])
    return sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0]))


def topic_text(question: str) -> str:
    """The question without the places it names: the topic is clustered, places are counted on their own."""
    for start, end in sorted(find_places(question).spans, reverse=True):
        question = question[:start] + question[end:]
    return " ".join(question.split())


def count_by(questions: Iterable[GapQuestion]) -> dict[str, dict[str, int]]:
    counters: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    for q in questions:
        for dimension in DIMENSIONS:
            counters[dimension].update(q.keys(dimension))
    return {d: dict(c.most_common()) for d, c in counters.items()}


def _group(questions: list[GapQuestion], vectors: np.ndarray, titles: Mapping[str, str]) -> GapGroup:
    units = _unit(vectors)
    centre = int(np.argmax(units @ _unit(units.sum(axis=0, keepdims=True))[0]))
    offered = Counter(doc for q in questions for doc in dict.fromkeys(q.offered))
    return GapGroup(
        label=questions[centre].question,
        questions=questions,
        offered=[(doc, titles.get(doc, doc), n) for doc, n in offered.most_common(OFFERED)],
        counts=count_by(questions),
    )


def find_gaps(
    exchanges: Iterable[Exchange],
    feedback: Iterable[Feedback],
    embed: Embed,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    titles: Mapping[str, str] | None = None,
) -> GapReport:
    questions = gap_questions(exchanges, feedback)
    if not questions:
        return GapReport([], count_by([]), [])
    vectors = _unit(np.asarray(embed([topic_text(q.question) for q in questions]), dtype=np.float64))
    newest = list(range(max(0, len(questions) - MAX_CLUSTERED), len(questions)))
    clusters = [[newest[i] for i in g] for g in cluster(vectors[newest], threshold)]
    clusters = _attach(clusters, vectors, list(range(newest[0])), threshold)
    groups = [_group([questions[i] for i in members], vectors[members], titles or {}) for members in clusters]
    weeks = Counter(week_of(q.created) for q in questions)
    return GapReport(groups, count_by(questions), sorted(weeks.items()))


def collect_gaps(services: Services, since: float = 0.0) -> GapReport:
    """The gap report over what `services` recorded since `since` (epoch seconds)."""
    kb = services.kb
    model = kb.embed_model

    def embed(texts: list[str]) -> list[list[float]]:
        return [model.get_query_embedding(t) for t in texts]  # cached: a question is embedded once

    feedback = [f for f in services.feedback.list(limit=100_000) if f.created >= since]
    return find_gaps(
        services.conversations.exchanges(since),
        feedback,
        embed,
        threshold=CLUSTER_THRESHOLDS.get(kb.store.model_name, DEFAULT_THRESHOLD),
        titles={doc.id: doc.title for doc in kb.documents().values()},
    )


CSV_COLUMNS = (
    "group",
    "group_label",
    "question",
    "reason",
    "language",
    "channel",
    "countries",
    "sdgs",
    "asked",
    "comment",
)


def to_csv(report: GapReport) -> str:
    """One row per gap question, with its group."""
    out = io.StringIO()
    writer = _SafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    for n, group in enumerate(report.groups, 1):
        for q in group.questions:
            asked = dt.datetime.fromtimestamp(q.created, dt.UTC).isoformat(timespec="seconds")
            row = [n, group.label, q.question, q.reason, q.language, q.channel, " ".join(q.countries)]
            writer.writerow([*row, " ".join(str(s) for s in q.sdgs), asked, q.comment])
    return out.getvalue()


class _SafeWriter:
    """A CSV writer that keeps a question a spreadsheet would run as a formula ("=HYPERLINK(...)") as text."""

    def __init__(self, out: io.StringIO):
        self._writer = csv.writer(out)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([_cell(v) for v in row])


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def parse_since(value: str | None) -> float:
    """Epoch seconds at the start (UTC) of a YYYY-MM-DD day; 0 for none. InvalidInput for anything else."""
    if not value:
        return 0.0
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"'{value}' is not a date: use YYYY-MM-DD.") from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
