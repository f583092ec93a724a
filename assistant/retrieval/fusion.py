"""Reciprocal-rank fusion of the dense and lexical candidates, grouping by document, and the facet boosts."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.knowledge.documents import KnowledgeDocument
from assistant.retrieval.candidates import Candidates
from assistant.retrieval.index import Chunk
from assistant.retrieval.query import QueryAnalysis
from assistant.text.textproc import content_words

RRF_K = 30
#: Boosts are in RRF units (the best fused score is about 1.2/31): a country named in the question
#: outranks everything that is not from there; an SDG it names reorders within that.
COUNTRY_BOOST = 0.069
SDG_BOOST = 0.024
#: A question that describes one specific solution ("a machine that makes egg trays from cardboard") is
#: answered by meaning; one that asks for a list by place and topic ("water solutions in Kenya") by the
#: documents' own tags. Past this many descriptive words, tag boosts shrink to BOOST_WHEN_SPECIFIC of their size.
SPECIFIC_WORDS = 6
BOOST_WHEN_SPECIFIC = 0.15

#: (score, document id, row of its best chunk), best first
Ranked = list[tuple[float, str, int]]


@dataclass
class Fused:
    #: chunk row -> fused score
    scores: dict[int, float]
    #: chunk row -> cosine, for the chunks the dense ranking brought
    dense_sim: dict[int, float]


def fuse(
    chunk_index: dict[str, int],
    candidates: Candidates,
    dense_weight: float,
    lexical_weight: float,
    second_weight: float = 0.0,
) -> Fused:
    fused = Fused({}, {})
    dense_rows = [chunk_index.get(cid) for cid, _, _ in candidates.dense]
    for idx, (_, _, sim) in zip(dense_rows, candidates.dense, strict=True):
        if idx is not None:
            fused.dense_sim[idx] = sim
    _add_ranking(fused.scores, dense_rows, dense_weight)
    _add_ranking(fused.scores, [idx for idx, _ in candidates.lexical], lexical_weight)
    if second_weight:
        _add_ranking(fused.scores, [chunk_index.get(cid) for cid, _, _ in candidates.second], second_weight)
    return fused


def _add_ranking(scores: dict[int, float], rows: list[int | None], weight: float) -> None:
    """Add one ranking's reciprocal ranks (rows best first; None: a chunk the snapshot does not hold, which still
    takes its rank)."""
    for rank, idx in enumerate(rows):
        if idx is not None:
            scores[idx] = scores.get(idx, 0.0) + weight / (RRF_K + rank + 1)


def best_per_document(scores: dict[int, float], chunks: list[Chunk]) -> dict[str, tuple[float, int]]:
    """Each document's best fused score and the row of the chunk that has it."""
    per_doc: dict[str, tuple[float, int]] = {}
    for idx, score in scores.items():
        doc_id = chunks[idx].doc_id
        best = per_doc.get(doc_id)
        if best is None or score > best[0]:
            per_doc[doc_id] = (score, idx)
    return per_doc


@dataclass(frozen=True)
class Boosts:
    place_docs: set[str]
    sdgs: set[int]
    #: the country boost's share, and the SDG boost's
    scale: float
    sdg_scale: float

    @classmethod
    def for_query(
        cls, query: str, analysis: QueryAnalysis, place_docs: set[str], names_places: bool, understood: bool
    ) -> Boosts:
        """`names_places`: the question names a place (and query understanding is on, `understood`)."""
        descriptive = len(content_words(query)) - len(analysis.countries) - len(analysis.regions)
        scale = 1.0 if descriptive <= SPECIFIC_WORDS else BOOST_WHEN_SPECIFIC
        # A topic alone ("recycling chrome shavings...") is a description, not a facet: the SDG boost applies in
        # full only when the question also names a place ("recycling solutions in Ghana"). The held-out questions
        # showed it: inferred-SDG boosts pushed described solutions out of the top 10 (MRR@10 0.526 -> 0.566).
        sdg_scale = scale if names_places else BOOST_WHEN_SPECIFIC
        return cls(place_docs, set(analysis.sdgs) if understood else set(), scale, sdg_scale)

    def boosted(self, doc_id: str, doc: KnowledgeDocument, score: float) -> float:
        if doc_id in self.place_docs:
            score += COUNTRY_BOOST * self.scale
        if self.sdgs & set(doc.sdgs):
            score += SDG_BOOST * self.sdg_scale
        return score


def rank_documents(
    per_doc: dict[str, tuple[float, int]], documents: dict[str, KnowledgeDocument], boosts: Boosts
) -> Ranked:
    scored = [
        (boosts.boosted(doc_id, documents[doc_id], score), doc_id, idx) for doc_id, (score, idx) in per_doc.items()
    ]
    scored.sort(key=lambda x: -x[0])
    return scored
