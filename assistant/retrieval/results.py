"""What a search returns: one hit per document (its best passage, snippet and scores) and the refusal signals."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.knowledge.documents import KnowledgeDocument
from assistant.retrieval.fusion import Ranked
from assistant.retrieval.index import Chunk, Snapshot
from assistant.retrieval.places import Placement, label
from assistant.retrieval.query import QueryAnalysis
from assistant.retrieval.signals import coverage
from assistant.retrieval.snippets import best_snippet


@dataclass
class Hit:
    doc: KnowledgeDocument
    score: float
    chunk: Chunk
    snippet: str
    dense: float = 0.0
    lexical: float = 0.0
    matched: list[str] = field(default_factory=list)
    #: How the record matches the place the question names (`places`: exact, neighbour, region, elsewhere);
    #: None when it names none.
    place_match: str | None = None
    #: False for a record kept only to fill the list: off the question's topic.
    on_topic: bool = True
    #: The record's countries, the nearest to the named place first (empty when the question names none).
    countries_nearest_first: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc.id,
            "title": self.doc.title,
            "kind": self.doc.kind,
            "countries": self.doc.countries,
            "sdgs": self.doc.sdgs,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "url": self.doc.url,
            "place_match": self.place_match,
        }


@dataclass
class SearchResult:
    hits: list[Hit]
    analysis: QueryAnalysis
    #: Best evidence that the knowledge base holds something on the question (see `signals.is_relevant`).
    top_dense: float = 0.0
    top_coverage: float = 0.0
    #: How far the best chunk stands above the crowd (best minus mean of ranks 10-40): an off-topic
    #: question is about equally (dis)similar to everything.
    dense_margin: float = 0.0
    #: Share of the question's content words that occur nowhere in the knowledge base.
    unknown_ratio: float = 0.0
    seconds: float = 0.0
    #: For a question naming a place and a topic: whether any record from that place is on the topic
    #: (None when it names no place, or only a place).
    place_has_topic: bool | None = None
    #: When the second opinion let the question through (`signals.is_relevant`): how far above its bar the sum
    #: came; None when the first model's bars decided, or nothing has asked yet.
    second_opinion_margin: float | None = None


def mark_places(result: SearchResult, placement: Placement) -> None:
    """Label the hits with how they match the named place, and the result with whether the place has the topic."""
    for hit in result.hits:
        hit.place_match = label(placement.distance.get(hit.doc.id, 4))
        hit.on_topic = hit.doc.id in placement.on_topic
        hit.countries_nearest_first = sorted(hit.doc.countries, key=lambda c: placement.preference.distance([c]))
    result.place_has_topic = placement.place_has_topic


def build_hits(
    snap: Snapshot,
    ranked: Ranked,
    query: str,
    query_stems: set[str],
    own_stems: set[str],
    dense_sim: dict[int, float],
    with_snippets: bool = True,
) -> list[Hit]:
    """The hits for the ranked documents: each one's best chunk, snippet, cosine and word coverage."""
    hits = []
    for score, doc_id, idx in ranked:
        doc, chunk = snap.documents[doc_id], snap.chunks[idx]
        hits.append(
            Hit(
                doc=doc,
                score=score,
                chunk=chunk,
                snippet=best_snippet(chunk.text, query, doc) if with_snippets else "",
                dense=dense_sim.get(idx, 0.0),
                lexical=coverage(query_stems, snap.doc_stems.get(doc_id, set()), own_stems),
            )
        )
    return hits
