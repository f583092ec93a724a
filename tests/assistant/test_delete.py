"""Deleting a document removes it from Chroma, the docstore, the manifest and search, and bumps the generation."""

from __future__ import annotations

import pytest

from assistant.container import build_services
from assistant.errors import NotFound
from assistant.knowledge.store import KnowledgeStore

GONE = "sol-sen-fish-ovens"


def test_delete_leaves_no_chunk_entry_hit_or_citation(settings, small_corpus):
    services = build_services(settings)
    store = services.kb.store
    assert services.kb.ingestor.ingest([small_corpus], progress=False).ok
    services.refresh()
    before = store.generation()
    assert store.collection.get(where={"document_id": GONE})["ids"]
    assert GONE in {h.doc.id for h in services.retriever.search("fish-smoking ovens in Joal").hits}

    assert services.delete_documents([GONE]) == [GONE]

    assert store.collection.get(where={"document_id": GONE})["ids"] == []
    assert store.docstore.get_document(GONE, raise_error=False) is None
    assert store.kv.get(GONE, KnowledgeStore.MANIFEST) is None
    assert store.kv.get_all(KnowledgeStore.PENDING) == {}
    assert GONE not in {h.doc.id for h in services.retriever.search("fish-smoking ovens in Joal").hits}
    answer = services.engine.ask("fish-smoking ovens in Joal")
    assert all(c.doc_id != GONE for c in answer.citations)
    assert store.generation() == before + 1
    assert len(services.kb.catalogue_now()) == 2
    services.close()


def test_unknown_id_is_not_found_and_deletes_nothing(settings, small_corpus):
    services = build_services(settings)
    assert services.kb.ingestor.ingest([small_corpus], progress=False).ok
    chunks = services.kb.store.count_chunks()
    with pytest.raises(NotFound):
        services.delete_documents([GONE, "no-such-doc"])
    assert services.kb.store.count_chunks() == chunks
    assert len(services.kb.catalogue_now()) == 3
    services.close()
