from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.container import build_knowledge_base
from assistant.errors import IndexModelMismatch
from assistant.knowledge.store import KnowledgeStore, open_store
from tests.conftest import ROOT, free_port, wait_until_ok, write_doc


def chunk_metas(kb) -> list[dict]:
    return kb.store.collection.get(include=["metadatas"])["metadatas"]


def test_first_ingest_adds_every_document_with_metadata(settings, small_corpus):
    kb = build_knowledge_base(settings)
    summary = kb.ingestor.ingest([small_corpus])
    assert (summary.added, summary.updated, summary.unchanged, summary.failed) == (3, 0, 0, 0)
    assert summary.chunks >= 3
    metas = chunk_metas(kb)
    assert {m["doc_id"] for m in metas} == {"sol-ken-water-kiosks", "sol-sen-fish-ovens", "sol-bfa-zai"}
    zai = next(m for m in metas if m["doc_id"] == "sol-bfa-zai")
    assert zai["language"] == "fr" and zai["countries"] == "BFA" and zai["sdgs"] == "2,15"
    assert zai["kind"] == "solution" and zai["title"].startswith("Techniques")
    assert set(kb.documents()) == {"sol-ken-water-kiosks", "sol-sen-fish-ovens", "sol-bfa-zai"}


def test_unchanged_reingest_embeds_nothing(settings, small_corpus):
    kb = build_knowledge_base(settings)
    kb.ingestor.ingest([small_corpus])
    chunks_before = kb.store.count_chunks()
    misses_before = kb.embed_model.misses
    summary = kb.ingestor.ingest([small_corpus])
    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 3)
    assert kb.embed_model.misses == misses_before
    assert kb.store.count_chunks() == chunks_before


def test_changed_document_replaces_its_chunks(settings, small_corpus):
    kb = build_knowledge_base(settings)
    kb.ingestor.ingest([small_corpus])
    old_ids = {i for i in kb.store.collection.get(where={"doc_id": "sol-sen-fish-ovens"})["ids"]}
    write_doc(
        small_corpus,
        "sol-sen-fish-ovens",
        title="Improved fish-smoking ovens",
        countries=("SEN", "GHA"),
        sdgs=(14, 8),
        body="Now also adopted in Ghana by two cooperatives of women processors. " * 4,
    )
    summary = kb.ingestor.ingest([small_corpus])
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 2)
    new = kb.store.collection.get(where={"doc_id": "sol-sen-fish-ovens"}, include=["metadatas", "documents"])
    assert new["ids"] and not (set(new["ids"]) & old_ids)
    assert all(m["countries"] == "SEN,GHA" for m in new["metadatas"])
    assert any("Ghana" in d for d in new["documents"])


def test_prune_removes_documents_whose_file_disappeared(settings, small_corpus):
    kb = build_knowledge_base(settings)
    kb.ingestor.ingest([small_corpus])
    (small_corpus / "solutions" / "sol-ken-water-kiosks.md").unlink()
    kept = kb.ingestor.ingest([small_corpus])
    assert kept.pruned == 0 and kb.store.collection.get(where={"doc_id": "sol-ken-water-kiosks"})["ids"]
    summary = kb.ingestor.ingest([small_corpus], prune=True)
    assert summary.pruned == 1
    assert kb.store.collection.get(where={"doc_id": "sol-ken-water-kiosks"})["ids"] == []
    kb.invalidate()
    assert "sol-ken-water-kiosks" not in kb.documents()


def test_bad_files_are_reported_and_skipped_while_the_rest_ingests(settings, small_corpus):
    bad = small_corpus / "bad"
    bad.mkdir()
    (bad / "empty.md").write_bytes(b"")
    (bad / "latin1.txt").write_bytes("Coopération Sud-Sud à Dakar".encode("latin-1"))
    (bad / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    (bad / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage")
    kb = build_knowledge_base(settings)
    summary = kb.ingestor.ingest([small_corpus])
    assert summary.added == 3 and summary.failed == 4
    reasons = {Path(p).name: r for p, r in summary.failures}
    assert set(reasons) == {"empty.md", "latin1.txt", "broken.md", "corrupt.pdf"}
    assert "empty" in reasons["empty.md"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "front matter" in reasons["broken.md"]


def test_opening_an_index_with_another_model_is_a_clear_error(settings, small_corpus):
    kb = build_knowledge_base(settings)
    kb.ingestor.ingest([small_corpus])
    with pytest.raises(IndexModelMismatch) as info:
        open_store(settings, kb.database, "some-other-model", 768)
    kb.close()
    assert "--rebuild" in info.value.user_message and "multilingual-e5-small" in info.value.user_message


def test_rebuild_reuses_the_embedding_cache(settings, small_corpus):
    from assistant.knowledge.store import drop_index

    kb = build_knowledge_base(settings)
    kb.ingestor.ingest([small_corpus])
    drop_index(settings, kb.database)
    kb.close()
    kb = build_knowledge_base(settings)
    summary = kb.ingestor.ingest([small_corpus])
    assert summary.added == 3
    assert kb.embed_model.misses == 0 and kb.embed_model.hits >= 3


def run_cli(args: list[str], data_dir: Path, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "GALAXY_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        **kwargs,
    )


def test_cli_ingest_and_stats(tmp_path, small_corpus):
    (small_corpus / "broken.md").write_text("---\nid: x\n", encoding="utf-8")
    data = tmp_path / "cli-data"
    result = run_cli(["ingest", str(small_corpus), "--json"], data)
    assert result.returncode == 1, result.stderr  # one file failed
    summary = json.loads(result.stdout)
    assert summary["added"] == 3 and summary["failed"] == 1
    assert summary["failures"][0]["path"].endswith("broken.md")
    stats = json.loads(run_cli(["stats", "--json"], data).stdout)
    assert stats["documents"] == 3
    assert stats["by_language"] == {"en": 2, "fr": 1}
    assert stats["by_kind"]["solution"]["documents"] == 3
    assert stats["by_country"]["KEN"] == 1 and stats["by_sdg"]["6"] == 1
    (small_corpus / "broken.md").unlink()
    again = run_cli(["ingest", str(small_corpus)], data)
    assert again.returncode == 0 and "unchanged" in again.stdout


def _many_docs(folder: Path, n: int) -> None:
    topics = ["solar irrigation", "mobile money", "drip kits", "school meals", "biogas", "mangroves", "seed banks"]
    for i in range(n):
        write_doc(
            folder,
            f"sol-gen-{i:04d}",
            title=f"Generated solution {i} on {topics[i % len(topics)]}",
            body=f"Case {i}: a community project about {topics[i % len(topics)]} with local partners.",
            countries=(["KEN", "SEN", "BGD", "BRA"][i % 4],),
            sdgs=(1 + i % 17,),
        )


@pytest.mark.slow
def test_sigkill_midway_leaves_an_index_that_opens_and_is_completed_by_rerunning(tmp_path):
    corpus = tmp_path / "many"
    _many_docs(corpus, 200)
    data = tmp_path / "killed"
    env = {**os.environ, "GALAXY_DATA_DIR": str(data)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", str(corpus)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    docstore = data / "galaxy.sqlite3"
    deadline = time.time() + 300
    import sqlite3

    try:
        while time.time() < deadline:
            if docstore.exists():
                try:
                    with sqlite3.connect(docstore, timeout=1) as conn:
                        done = conn.execute(
                            "SELECT COUNT(*) FROM kv WHERE collection=?", (KnowledgeStore.MANIFEST,)
                        ).fetchone()[0]
                except sqlite3.OperationalError:
                    done = 0
                if done >= 48:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, "ingest finished before it could be killed; make the corpus larger"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)

    from assistant.settings import load_settings

    settings = load_settings(data_dir=data)
    kb = build_knowledge_base(settings)
    partial = len(kb.documents())
    assert 48 <= partial < 200
    query = kb.embed_model.get_query_embedding("solar irrigation")
    hits = kb.store.collection.query(query_embeddings=[query], n_results=3)
    assert hits["ids"][0], "the interrupted index must still answer"
    kb.close()

    rerun = run_cli(["ingest", str(corpus), "--json"], data)
    assert rerun.returncode == 0, rerun.stderr
    kb = build_knowledge_base(settings)
    docs = kb.documents()
    assert len(docs) == 200
    got = kb.store.collection.get(include=["metadatas"])
    ids = got["ids"]
    assert len(ids) == len(set(ids))
    from assistant.knowledge.ingest import build_splitter, to_llama_document

    splitter = build_splitter(settings.chunk)
    expected: set[str] = set()
    for doc in docs.values():
        expected.update(n.node_id for n in splitter.get_nodes_from_documents([to_llama_document(doc)]))
    assert set(ids) == expected, "no duplicate and no orphan chunk"
    assert kb.store.kv.get_all(KnowledgeStore.PENDING) == {}


@pytest.mark.slow
def test_chroma_server_mode_ingests_and_queries(tmp_path, small_corpus):
    chroma_bin = Path(sys.executable).with_name("chroma")
    assert chroma_bin.exists(), "chromadb ships the `chroma` server command"
    port = free_port()
    server = subprocess.Popen(
        [str(chroma_bin), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=60, proc=server)
        from assistant.settings import load_settings

        settings = load_settings(
            data_dir=tmp_path / "data", chroma={"mode": "server", "host": "127.0.0.1", "port": port}
        )
        kb = build_knowledge_base(settings)
        summary = kb.ingestor.ingest([small_corpus])
        assert summary.added == 3
        assert not (tmp_path / "data" / "chroma").exists(), "server mode must not create a local Chroma store"
        query = kb.embed_model.get_query_embedding("drinking water kiosks")
        hits = kb.store.collection.query(query_embeddings=[query], n_results=1, include=["metadatas"])
        assert hits["metadatas"][0][0]["doc_id"] == "sol-ken-water-kiosks"
        import chromadb

        direct = chromadb.HttpClient(host="127.0.0.1", port=port).get_collection("galaxy")
        assert direct.count() == kb.store.count_chunks() > 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def _long_markdown(folder: Path, body: str) -> Path:
    path = folder / "long-guide.md"
    path.write_text(
        f"---\nid: long-guide\ntitle: A long field guide\ncountries: [KEN]\n---\n{body}\n", encoding="utf-8"
    )
    return path


def test_progress_counts_the_chunks_of_one_long_file_and_an_edit_reembeds_a_handful(settings, tmp_path):
    from tests.assistant.test_chunking import long_text

    settings.embedding.batch_size = 8
    folder = tmp_path / "docs"
    folder.mkdir()
    body = long_text(600)
    path = _long_markdown(folder, body)
    kb = build_knowledge_base(settings)
    calls: list[tuple[int, int]] = []
    summary = kb.ingestor.ingest([path], on_progress=lambda done, total: calls.append((done, total)))
    assert summary.added == 1 and summary.chunks > 25
    # One document, yet the counts advance batch by batch up to every chunk written.
    assert len(calls) >= summary.chunks // 8
    assert {total for _, total in calls} == {summary.chunks}
    assert [done for done, _ in calls] == sorted({done for done, _ in calls}) and calls[-1][0] == summary.chunks

    misses = kb.embed_model.misses
    _long_markdown(folder, "Updated on 1 December 2026 with the cooperatives of the northern districts\n" + body)
    calls.clear()
    edited = kb.ingestor.ingest([path], on_progress=lambda done, total: calls.append((done, total)))
    assert edited.updated == 1 and calls[-1] == (edited.chunks, edited.chunks)
    reembedded = kb.embed_model.misses - misses
    assert 1 <= reembedded <= 13 < edited.chunks, reembedded
    assert kb.store.count_chunks() == edited.chunks


def test_the_progress_bar_counts_chunks(settings, small_corpus, capsys):
    kb = build_knowledge_base(settings)
    summary = kb.ingestor.ingest([small_corpus], progress=True)
    bar = capsys.readouterr().err
    assert f"{summary.chunks}/{summary.chunks}" in bar and "chunk" in bar and "3/3 documents" in bar
