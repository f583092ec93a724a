"""Counts of what the knowledge base holds, for `galaxy stats` and the API."""

from __future__ import annotations

from collections import Counter

from assistant.container import KnowledgeBase


def collect_stats(kb: KnowledgeBase) -> dict:
    docs = kb.catalogue_now()
    by_kind: Counter[str] = Counter()
    by_language: Counter[str] = Counter()
    by_country: Counter[str] = Counter()
    by_sdg: Counter[str] = Counter()
    for doc in docs.values():
        by_kind[doc.kind] += 1
        by_language[doc.language] += 1
        by_country.update(doc.countries)
        by_sdg.update(str(s) for s in doc.sdgs)
    chunks_by_kind: Counter[str] = Counter()
    result = kb.store.collection.get(include=["metadatas"])
    for meta in result.get("metadatas") or []:
        chunks_by_kind[(meta or {}).get("kind", "?")] += 1
    return {
        "documents": len(docs),
        "chunks": sum(chunks_by_kind.values()),
        "generation": kb.store.generation(),
        "embedding_model": kb.store.model_name,
        "primary_pending": kb.store.primary_pending(),
        "database": kb.database.engine.dialect.name,  # sqlite | postgresql: where the shared state lives
        "by_kind": {
            k: {"documents": by_kind.get(k, 0), "chunks": chunks_by_kind.get(k, 0)}
            for k in sorted(set(by_kind) | set(chunks_by_kind))
        },
        "by_language": dict(by_language.most_common()),
        "by_country": dict(by_country.most_common()),
        "by_sdg": {k: by_sdg[k] for k in sorted(by_sdg, key=int)},
    }
