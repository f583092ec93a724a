"""The search snapshot saved beside an embedded knowledge base (`assistant.retrieval.saved`): a one-shot search
over it ranks exactly like a search over the store, and a change to the store makes it stale."""

from __future__ import annotations

import pytest

from assistant.retrieval.saved import SavedSnapshot, open_saved_retriever
from tests.conftest import write_doc

QUESTIONS = [
    "solar water kiosks",
    "fours pour fumer le poisson au Sénégal",
    "restaurar suelos degradados con compost",
]


@pytest.fixture
def ingested(small_corpus, tmp_path):
    from assistant.container import build_knowledge_base
    from assistant.settings import load_settings

    settings = load_settings(data_dir=tmp_path / "data")
    kb = build_knowledge_base(settings)
    assert kb.ingestor.ingest([small_corpus]).failed == 0
    yield settings, kb
    kb.close()


def _ranking(retriever, question: str) -> list[tuple[str, float, str]]:
    return [(h.doc.id, round(h.score, 6), h.snippet) for h in retriever.search(question, k=3).hits]


def test_a_search_over_the_saved_snapshot_ranks_like_one_over_the_store(ingested):
    from assistant.container import build_retriever

    settings, kb = ingested
    assert open_saved_retriever(settings) is None  # nothing saved yet: the caller reads the store
    over_store = build_retriever(kb)
    assert settings.search_snapshot_path.exists()
    saved = open_saved_retriever(settings)
    assert saved is not None and saved.second_weight == over_store.second_weight > 0
    for question in QUESTIONS:
        assert _ranking(saved, question) == _ranking(over_store, question), question
    with pytest.raises(RuntimeError, match="cannot refresh"):
        saved.refresh()


def test_an_ingest_makes_the_saved_snapshot_stale_and_the_next_build_saves_a_new_one(ingested, tmp_path):
    from assistant.container import build_retriever

    settings, kb = ingested
    build_retriever(kb)
    assert open_saved_retriever(settings) is not None
    more = tmp_path / "more"
    write_doc(
        more, "sol-ner-solar-pumps", title="Solar pumps for market gardens", body="Pumps. " * 20, countries=("NER",)
    )
    assert kb.ingestor.ingest([more]).added == 1
    assert open_saved_retriever(settings) is None
    build_retriever(kb)
    saved = open_saved_retriever(settings)
    assert saved is not None and "sol-ner-solar-pumps" in saved.documents


def test_a_damaged_or_foreign_file_is_ignored_and_replaced(ingested):
    from assistant.container import build_retriever

    settings, kb = ingested
    settings.search_snapshot_path.write_bytes(b"not a pickle at all")
    assert open_saved_retriever(settings) is None
    build_retriever(kb)
    assert open_saved_retriever(settings) is not None


def test_another_second_encoder_setting_does_not_use_the_saved_snapshot(ingested):
    from assistant.container import build_retriever

    settings, kb = ingested
    build_retriever(kb)
    other = settings.model_copy(update={"embedding": settings.embedding.model_copy(update={"second_weight": 0.0})})
    assert open_saved_retriever(other) is None


def test_only_the_embedded_stack_saves_a_snapshot(tmp_path):
    from assistant.settings import ChromaSettings, DatabaseSettings, load_settings

    local = load_settings(data_dir=tmp_path)
    assert SavedSnapshot.applies(local)
    assert not SavedSnapshot.applies(local.model_copy(update={"chroma": ChromaSettings(mode="server")}))
    postgres = DatabaseSettings(url="postgresql://galaxy@127.0.0.1/galaxy")
    assert not SavedSnapshot.applies(local.model_copy(update={"database": postgres}))
