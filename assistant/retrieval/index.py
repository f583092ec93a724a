"""The search index: a snapshot of the store's chunks, vectors and words, taken at `Retriever.refresh()`.

Chroma is the store of record; the dense ranking itself is exact, over the snapshot's vectors. A snapshot is
never changed once built: a refresh builds a new one and swaps it in, so a search always reads one consistent
index while the next one is being built."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import StoreUnavailable
from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.encoders import second_passage
from assistant.text.geo import country_name
from assistant.text.textproc import multilingual_stems, stems

if TYPE_CHECKING:
    from assistant.knowledge.encoders import TextEmbedder

log = logging.getLogger(__name__)

#: Below this many chunks a language's mean similarity is too noisy to centre on; such chunks use the mean of all.
MIN_CHUNKS_FOR_LANGUAGE_MEAN = 20


def _empty_matrix() -> np.ndarray:
    return np.zeros((0, 0), dtype=np.float32)


@dataclass
class Chunk:
    id: str
    doc_id: str
    text: str


@dataclass(frozen=True)
class Snapshot:
    documents: dict[str, KnowledgeDocument]
    chunks: list[Chunk]
    #: chunk id -> its row in `chunks` and `matrix`
    chunk_index: dict[str, int]
    #: one unit-length embedding per chunk
    matrix: np.ndarray
    #: document id -> its ordinal, and each chunk's document ordinal
    doc_ordinal: dict[str, int]
    chunk_doc: np.ndarray
    #: each chunk's language group (the last group is "too few chunks: the mean of all") and the groups' sizes
    language_group: np.ndarray
    language_group_sizes: np.ndarray
    languages: tuple[str, ...]
    language_counts: dict[str, int]
    #: each document's word stems, and all of them (the knowledge base's vocabulary)
    doc_stems: dict[str, set[str]]
    vocabulary: set[str]
    bm25: Any | None
    #: one unit-length embedding per chunk by the second encoder (`second_opinion`), or empty: not fused
    second_matrix: np.ndarray = field(default_factory=_empty_matrix)
    #: True while chunks wait for their primary vectors (`assistant.knowledge.backfill`): `matrix` then holds the
    #: fast (second) encoder's vectors, and the search ranks and judges by that encoder alone
    fast: bool = False
    #: how many chunks waited for their primary vectors when the snapshot was taken
    primary_pending: int = 0

    def query_stems(self, query: str, language: str) -> list[str]:
        """The query's stems in its own language and in every language of the knowledge base, once each."""
        languages = tuple(dict.fromkeys((language, *self.languages)))
        return list(dict.fromkeys(multilingual_stems(query, languages)))


def build_snapshot(kb, second: TextEmbedder | None = None, fast: TextEmbedder | None = None) -> Snapshot:
    """Read the knowledge base's documents and the store's chunks and vectors into a new snapshot; with
    `second`, also each chunk's vector by that model (through its cache: only new chunks are embedded). While
    chunks wait for their primary vectors, a snapshot with `fast` (the second encoder) ranks by it alone."""
    documents = kb.documents()
    try:
        data = kb.store.collection.get(include=["documents", "metadatas", "embeddings"])
        # Read after the chunks: an ingest lists a chunk as pending before it stores its placeholder.
        pending = kb.store.primary_pending()
    except Exception as exc:
        raise StoreUnavailable(str(exc)) from exc
    chunks, rows = _known_chunks(data, documents)
    ranks_fast = bool(pending) and fast is not None
    if ranks_fast:
        matrix, second_matrix = _second_matrix(fast, chunks, documents), _empty_matrix()
    else:
        if pending:  # the fast encoder was turned off since: placeholders score near 0, so only words find them
            log.warning("%d chunks wait for their e5 vectors and no fast encoder is on: BM25 alone finds them", pending)
        matrix, second_matrix = _unit_rows(data.get("embeddings"), rows), _second_matrix(second, chunks, documents)
    doc_ordinal = {doc_id: i for i, doc_id in enumerate(documents)}
    language_group, language_group_sizes = _language_groups([documents[c.doc_id].language for c in chunks])
    doc_stems = {
        doc_id: set(stems(f"{d.title} {' '.join(d.themes)} {d.summary} {d.body}", d.language))
        for doc_id, d in documents.items()
    }
    return Snapshot(
        documents=documents,
        chunks=chunks,
        chunk_index={c.id: i for i, c in enumerate(chunks)},
        matrix=matrix,
        doc_ordinal=doc_ordinal,
        chunk_doc=np.array([doc_ordinal[c.doc_id] for c in chunks], dtype=np.int64),
        language_group=language_group,
        language_group_sizes=language_group_sizes,
        languages=tuple(sorted({d.language for d in documents.values()} | {"en"})),
        language_counts=_language_counts(documents),
        doc_stems=doc_stems,
        vocabulary=set().union(*doc_stems.values()) if doc_stems else set(),
        bm25=_bm25_index(chunks, documents),
        second_matrix=second_matrix,
        fast=ranks_fast,
        primary_pending=pending,
    )


def _second_matrix(model: TextEmbedder | None, chunks: list[Chunk], documents: dict) -> np.ndarray:
    if model is None or not chunks:
        return _empty_matrix()
    texts = [second_passage(documents[c.doc_id].title, c.text) for c in chunks]
    return _unit_rows(model.get_text_embedding_batch(texts), list(range(len(texts))))


def _known_chunks(data: dict, documents: dict[str, KnowledgeDocument]) -> tuple[list[Chunk], list[int]]:
    """The stored chunks of catalogued documents, and their rows in the store's answer."""
    chunks: list[Chunk] = []
    rows: list[int] = []
    stored = zip(data["ids"], data["documents"], data["metadatas"], strict=True)
    for row, (chunk_id, text, meta) in enumerate(stored):
        doc_id = (meta or {}).get("doc_id")
        if isinstance(doc_id, str) and doc_id in documents:
            chunks.append(Chunk(chunk_id, doc_id, text or ""))
            rows.append(row)
    return chunks, rows


def _unit_rows(embeddings, rows: list[int]) -> np.ndarray:
    if not rows or embeddings is None or not len(embeddings):
        return _empty_matrix()
    matrix = np.asarray(embeddings, dtype=np.float32)[rows]
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    return matrix


def _language_groups(chunk_languages: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each chunk's language group and the groups' sizes. Languages with too few chunks for a stable mean
    share the mean of all chunks (the last group)."""
    big = sorted(lang for lang in set(chunk_languages) if chunk_languages.count(lang) >= MIN_CHUNKS_FOR_LANGUAGE_MEAN)
    group_of = {lang: i for i, lang in enumerate(big)}
    group = np.array([group_of.get(lang, len(big)) for lang in chunk_languages], dtype=np.int64)
    sizes = np.bincount(group, minlength=len(big) + 1).astype(np.float32)
    return group, sizes


def _language_counts(documents: dict[str, KnowledgeDocument]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in documents.values():
        counts[doc.language] = counts.get(doc.language, 0) + 1
    return counts


def _bm25_index(chunks: list[Chunk], documents: dict[str, KnowledgeDocument]):
    """BM25 over each chunk's title and text (in its document's language) and its tags (themes, countries)."""
    if not chunks:
        return None
    import bm25s

    # bm25s sets its own logger to DEBUG when imported; its index-building chatter is not ours to print.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    corpus_tokens = []
    for chunk in chunks:
        doc = documents[chunk.doc_id]
        tags = f"{' '.join(doc.themes)} {' '.join(country_name(c) for c in doc.countries[:5])}"
        tokens = stems(f"{doc.title}\n{chunk.text}", doc.language) + stems(tags, "en")
        corpus_tokens.append(tokens or ["_"])
    bm25 = bm25s.BM25()
    bm25.index(corpus_tokens, show_progress=False)
    return bm25
