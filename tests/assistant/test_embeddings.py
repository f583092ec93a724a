from __future__ import annotations

import numpy as np
import pytest

from assistant.knowledge.embeddings import (
    CachedEmbedding,
    E5Embedding,
    EmbeddingCache,
    MiniLMEmbedding,
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
