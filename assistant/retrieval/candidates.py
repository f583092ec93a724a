"""Candidate chunks: the exact dense scan (with the place facet's own documents joining in) and BM25."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.retrieval.index import Snapshot

#: Chunks each ranking contributes to the fusion.
CANDIDATES = 60
#: Chunks the place facet's documents (and those of them carrying a named SDG) add to the dense candidates.
FACET_CANDIDATES = 30

#: (chunk id, ranking score, cosine)
DenseHit = tuple[str, float, float]
#: (chunk row, BM25 score)
LexicalHit = tuple[int, float]


@dataclass
class Candidates:
    dense: list[DenseHit]
    lexical: list[LexicalHit]
    #: The documents from the places the question names (they get the country boost).
    place_docs: set[str]
    #: The second encoder's dense ranking (empty when the snapshot has no second vectors).
    second: list[DenseHit] = field(default_factory=list)


def dense_scored(
    snap: Snapshot, vector: list[float], allowed: set[str] | None, n: int, matrix: np.ndarray | None = None
) -> list[DenseHit]:
    """(chunk id, ranking score, cosine) of the n best chunks, by an exact scan.

    The ranking score is the cosine minus the question's mean cosine to all chunks in the chunk's language.
    A multilingual model scores any text in the question's own language higher, relevant or not: a French
    question about an English record met French records first. Centring each language's scores removes that
    bonus without labels (find MRR@10, development / held-out: 0.903 / 0.588 without, 0.957 / 0.710 with;
    within a place's documents the search goes back to plain cosine, see `gather`). `matrix`: another
    encoder's vectors of the same chunks (the snapshot's second matrix) instead of the store's.
    """
    chunks, ordinal, group = snap.chunks, snap.doc_ordinal, snap.language_group
    matrix = snap.matrix if matrix is None else matrix
    if not chunks or matrix.size == 0 or (allowed is not None and not allowed):
        return []
    # einsum, not BLAS: a threaded matrix-vector product leaves OpenBLAS threads spinning, which halved the
    # speed of the next query embedding on 2 cores; a single-threaded scan of this size takes under a millisecond.
    sims = np.einsum("ij,j->i", matrix, np.asarray(vector, dtype=np.float32))
    sizes = snap.language_group_sizes
    means = np.bincount(group, weights=sims, minlength=len(sizes)) / np.maximum(sizes, 1)
    means[-1] = sims.mean()
    scores = sims - means[group]
    if allowed is not None and len(allowed) < len(ordinal):
        keep = np.zeros(len(ordinal), dtype=bool)
        keep[[ordinal[d] for d in allowed if d in ordinal]] = True
        scores = np.where(keep[snap.chunk_doc], scores, -np.inf)
    n = max(1, min(n, len(chunks)))
    top = np.argpartition(-scores, n - 1)[:n] if n < len(chunks) else np.arange(len(chunks))
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(chunks[i].id, float(scores[i]), float(sims[i])) for i in top if np.isfinite(scores[i])]


def lexical(snap: Snapshot, query_stems: list[str], allowed: set[str] | None, n: int) -> list[LexicalHit]:
    """The n best chunks by BM25 (only those sharing a word with the query)."""
    if snap.bm25 is None or not query_stems:
        return []
    scores = snap.bm25.get_scores(query_stems)
    if allowed is not None:
        mask = np.array([c.doc_id in allowed for c in snap.chunks])
        scores = np.where(mask, scores, 0.0)
    top = np.argsort(-scores)[:n]
    return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def place_documents(snap: Snapshot, places: set[str], allowed: set[str] | None) -> set[str]:
    """The (allowed) documents from any of the countries in `places`."""
    if not places:
        return set()
    docs = {d for d, doc in snap.documents.items() if places & set(doc.countries)}
    return docs & allowed if allowed is not None else docs


def with_facet_candidates(
    snap: Snapshot, vector: list[float], dense: list[DenseHit], place_docs: set[str], sdgs: list[int]
) -> list[DenseHit]:
    """A boost only reorders what was retrieved: the place's own documents, and those of the place that also
    carry an SDG the question names (a facet, from the records' own tags), join the candidates."""
    wanted = set(sdgs)
    facet_docs = {d for d in place_docs if wanted & set(snap.documents[d].sdgs)}
    dense = list(dense)
    for pool in (place_docs, facet_docs):
        if pool:
            seen = {cid for cid, _, _ in dense}
            dense += [hit for hit in dense_scored(snap, vector, pool, FACET_CANDIDATES) if hit[0] not in seen]
    # Within one place's documents, plain cosine: the corpus-wide language means over-correct there
    # (Portuguese questions about Francophone countries lost their French records; find MRR@10 0.933 ->
    # 0.957 on the development set, 0.708 -> 0.710 held out).
    dense.sort(key=lambda x: -x[2])
    return dense


def gather(
    snap: Snapshot,
    vector: list[float],
    query_stems: list[str],
    allowed: set[str] | None,
    places: set[str],
    sdgs: list[int],
    nearby: frozenset[str] = frozenset(),
    second_vector: list[float] | None = None,
) -> Candidates:
    """Dense and lexical candidates for one query; `places` are the country codes the question names (none
    when query understanding is off), `sdgs` the goals it names, `nearby` the countries around the named ones
    whose documents also join the candidates (`places.PlacePreference`)."""
    dense = dense_scored(snap, vector, allowed, CANDIDATES)
    place_docs = place_documents(snap, places, allowed)
    if places:
        dense = with_facet_candidates(snap, vector, dense, place_docs, sdgs)
    around = place_documents(snap, set(nearby), allowed) - place_docs
    if around:
        seen = {cid for cid, _, _ in dense}
        dense += [hit for hit in dense_scored(snap, vector, around, FACET_CANDIDATES) if hit[0] not in seen]
        dense.sort(key=lambda x: -x[2])
    second = []
    if second_vector is not None and snap.second_matrix.size:
        second = dense_scored(snap, second_vector, allowed, CANDIDATES, matrix=snap.second_matrix)
    return Candidates(dense, lexical(snap, query_stems, allowed, CANDIDATES), place_docs, second)
