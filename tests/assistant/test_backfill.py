"""A fast first ingest (USE's vectors, searchable at once) and the e5 backfill after it: real models, real Chroma."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.container import build_knowledge_base, build_retriever
from assistant.knowledge.backfill import LEASE_COLLECTION, PrimaryBackfill, placeholder_vector
from assistant.knowledge.profiles import FAST_WINDOW_PROFILES, PROFILES
from assistant.settings import load_settings
from tests.conftest import write_doc


def fast_settings(data_dir: Path, **embedding):
    return load_settings(data_dir=data_dir, embedding={"fast_first_chunks": 1, **embedding})


def vectors(kb) -> dict[str, np.ndarray]:
    data = kb.store.collection.get(include=["embeddings"])
    return {cid: np.asarray(v) for cid, v in zip(data["ids"], data["embeddings"], strict=True)}


def test_a_large_ingest_is_searchable_by_the_fast_encoder_before_any_e5_vector(tmp_path, small_corpus):
    kb = build_knowledge_base(fast_settings(tmp_path / "data"))
    misses_before = kb.embed_model.misses
    summary = kb.ingestor.ingest([small_corpus], progress=False)
    assert summary.deferred == summary.chunks == kb.store.primary_pending() > 0
    assert kb.embed_model.misses == misses_before  # e5 embedded nothing
    retriever = build_retriever(kb)
    assert retriever.snapshot.fast and retriever.snapshot.primary_pending == summary.chunks
    assert retriever.profile == FAST_WINDOW_PROFILES["use-multilingual-v3"]
    result = retriever.search("solar-powered drinking water kiosks", k=3)
    assert result.hits[0].doc.id == "sol-ken-water-kiosks"
    assert retriever.is_relevant(result)
    assert not retriever.is_relevant(retriever.search("who won the football world cup final", k=3))


def test_the_backfill_gives_the_vectors_an_e5_ingest_would_have(tmp_path, small_corpus):
    fast = build_knowledge_base(fast_settings(tmp_path / "fast"))
    fast.ingestor.ingest([small_corpus], progress=False)
    generation = fast.store.generation()
    placeholders = vectors(fast)
    summary = fast.backfill().run()
    assert (summary.embedded, summary.dropped, summary.remaining, summary.ran) == (len(placeholders), 0, 0, True)
    assert fast.store.generation() == generation + 1  # running servers take a snapshot with both encoders
    inline = build_knowledge_base(load_settings(data_dir=tmp_path / "inline", embedding={"fast_first": False}))
    assert inline.ingestor.ingest([small_corpus], progress=False).deferred == 0
    backfilled, expected = vectors(fast), vectors(inline)
    assert backfilled.keys() == expected.keys() == placeholders.keys()
    for chunk_id, vector in expected.items():
        assert np.allclose(backfilled[chunk_id], vector, atol=1e-6)
        assert not np.allclose(placeholders[chunk_id], vector, atol=1e-2)
    retriever = build_retriever(fast)
    assert not retriever.snapshot.fast and retriever.profile == PROFILES["multilingual-e5-small-q4"]
    assert retriever.search("solar-powered drinking water kiosks", k=1).hits[0].doc.id == "sol-ken-water-kiosks"


def test_an_ingest_below_the_threshold_embeds_with_e5_at_once(tmp_path, small_corpus):
    kb = build_knowledge_base(fast_settings(tmp_path / "data", fast_first_chunks=10_000))
    summary = kb.ingestor.ingest([small_corpus], progress=False)
    assert summary.deferred == 0 and kb.store.primary_pending() == 0
    assert not build_retriever(kb).snapshot.fast


def test_without_the_second_opinion_nothing_is_deferred(tmp_path, small_corpus):
    kb = build_knowledge_base(fast_settings(tmp_path / "data", second_opinion=False))
    assert kb.ingestor.ingest([small_corpus], progress=False).deferred == 0


def test_an_interrupted_backfill_resumes_where_it_stopped(tmp_path):
    corpus = tmp_path / "corpus"
    for i in range(20):
        write_doc(corpus, f"sol-{i:02d}", title=f"Cooperative number {i}", body=f"Grain bank {i} for farmers. " * 6)
    kb = build_knowledge_base(fast_settings(tmp_path / "data"))
    total = kb.ingestor.ingest([corpus], progress=False).deferred
    assert total >= 20
    stop = threading.Event()
    first = kb.backfill().run(stop, on_progress=lambda done, _: stop.set())  # as if killed after one step
    assert 0 < first.embedded < total and first.remaining == total - first.embedded
    assert kb.store.primary_pending() == first.remaining and build_retriever(kb).snapshot.fast
    second = PrimaryBackfill(kb.store, kb.embed_model).run()  # another process, later
    assert second.embedded == first.remaining and second.remaining == 0
    assert not build_retriever(kb).snapshot.fast


def test_a_document_deleted_while_pending_is_not_brought_back(tmp_path, small_corpus):
    kb = build_knowledge_base(fast_settings(tmp_path / "data"))
    kb.ingestor.ingest([small_corpus], progress=False)
    pending = kb.store.primary_pending()
    kb.ingestor.delete(["sol-sen-fish-ovens"])
    left = kb.store.count_chunks()
    summary = kb.backfill().run()
    assert summary.dropped > 0 and summary.embedded + summary.dropped == pending
    assert kb.store.count_chunks() == left
    assert "sol-sen-fish-ovens" not in {
        m["doc_id"] for m in kb.store.collection.get(include=["metadatas"])["metadatas"]
    }


def test_a_backfill_leaves_the_work_to_the_process_holding_the_lease(tmp_path, small_corpus):
    kb = build_knowledge_base(fast_settings(tmp_path / "data"))
    kb.ingestor.ingest([small_corpus], progress=False)
    kb.store.kv.put("lease", {"holder": "another-process", "until": time.time() + 60}, collection=LEASE_COLLECTION)
    busy = kb.backfill().run()
    assert not busy.ran and busy.embedded == 0 and busy.remaining == kb.store.primary_pending() > 0
    kb.store.kv.put("lease", {"holder": "another-process", "until": time.time() - 1}, collection=LEASE_COLLECTION)
    taken_over = kb.backfill().run()  # that process died: its lease expired
    assert taken_over.ran and taken_over.remaining == 0


def test_placeholders_are_unit_vectors_distinct_per_chunk():
    a, b = np.asarray(placeholder_vector("doc::abc::0", 384)), np.asarray(placeholder_vector("doc::abc::1", 384))
    assert a.shape == (384,) and abs(np.linalg.norm(a) - 1) < 1e-5
    assert abs(float(a @ b)) < 0.3
    assert np.array_equal(a, np.asarray(placeholder_vector("doc::abc::0", 384)))


@pytest.fixture
def need_services(tmp_path):
    from assistant.container import build_services

    settings = fast_settings(tmp_path / "data")
    services = build_services(settings)
    yield services
    services.close()


def test_saved_needs_are_matched_once_the_new_documents_have_their_e5_vectors(need_services, small_corpus):
    services = need_services
    question = "Community kiosks that sell treated drinking water pumped with solar panels"
    need = services.needs.save(session_id="need-session", question=question, channel="api")
    services.kb.ingestor.ingest([small_corpus], progress=False)
    services.refresh()
    assert services.retriever.snapshot.fast
    assert services.needs.get(need.token)[1] == []  # not matched in the fast encoder's space
    services.kb.backfill().run()
    services.refresh()
    assert not services.retriever.snapshot.fast
    assert [m.doc_id for m in services.needs.get(need.token)[1]] == ["sol-ken-water-kiosks"]


def test_a_server_worker_makes_its_engine_when_work_comes_and_lets_it_go_after(tmp_path, small_corpus):
    from assistant.knowledge.backfill import BackfillWorker

    kb = build_knowledge_base(fast_settings(tmp_path / "data"))
    made = []

    def make() -> PrimaryBackfill:
        made.append(PrimaryBackfill(kb.store, kb.embed_model))
        return made[-1]

    worker = BackfillWorker(kb.store, make, interval_s=0.1)
    worker.start()
    try:
        time.sleep(0.5)
        assert made == []  # nothing pending: no engine
        kb.ingestor.ingest([small_corpus], progress=False)
        deadline = time.monotonic() + 60
        while kb.store.primary_pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert kb.store.primary_pending() == 0
        time.sleep(0.5)
        assert len(made) == 1 and worker._backfill is None and worker.last is not None and worker.last.embedded > 0
    finally:
        worker.stop()


def test_a_rebuild_over_a_warm_cache_defers_nothing(tmp_path, small_corpus):
    from assistant.knowledge.store import drop_index

    settings = fast_settings(tmp_path / "data")
    kb = build_knowledge_base(settings)
    kb.ingestor.ingest([small_corpus], progress=False)
    kb.backfill().run()
    expected = vectors(kb)
    drop_index(settings, kb.database)
    rebuilt = build_knowledge_base(settings, kb.database)
    summary = rebuilt.ingestor.ingest([small_corpus], progress=False)
    assert summary.chunks == len(expected) and summary.deferred == 0 and rebuilt.store.primary_pending() == 0
    assert all(np.allclose(v, expected[cid], atol=1e-6) for cid, v in vectors(rebuilt).items())


def test_a_chunk_listed_by_an_ingest_under_way_waits_for_it_instead_of_being_dropped(tmp_path):
    from assistant.knowledge.store import KnowledgeStore

    kb = build_knowledge_base(fast_settings(tmp_path / "data"))
    kv = kb.store.kv
    # The ingest lists its chunks before Chroma stores them, while their document is in the journal.
    kv.put("doc-x", {"at": time.time()}, collection=KnowledgeStore.PENDING)
    kv.put("doc-x::abc::0", {"text": "Grain banks", "doc": "doc-x"}, collection=KnowledgeStore.PRIMARY_PENDING)
    waiting = kb.backfill().run()
    assert (waiting.embedded, waiting.dropped, waiting.remaining) == (0, 0, 1)
    kv.delete("doc-x", collection=KnowledgeStore.PENDING)  # that run was killed and recovered: no such chunk
    gone = kb.backfill().run()
    assert (gone.embedded, gone.dropped, gone.remaining) == (0, 1, 0)


def test_pending_chunks_without_the_fast_encoder_are_still_found_by_their_words(tmp_path, small_corpus, caplog):
    data = tmp_path / "data"
    build_knowledge_base(fast_settings(data)).ingestor.ingest([small_corpus], progress=False)
    kb = build_knowledge_base(load_settings(data_dir=data, embedding={"second_opinion": False}))
    retriever = build_retriever(kb)
    assert not retriever.snapshot.fast and retriever.snapshot.primary_pending > 0
    assert "wait for their e5 vectors" in caplog.text
    assert retriever.search("fish-smoking ovens Joal", k=1).hits[0].doc.id == "sol-sen-fish-ovens"
