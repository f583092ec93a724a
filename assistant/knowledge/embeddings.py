"""llama-index's face of the encoders (`assistant.knowledge.encoders`): the ingestion pipeline and the store
take a `BaseEmbedding`. Passages go through the content-hash cache, questions straight to the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.knowledge.encoders import CachedEncoder, EmbeddingCache, Encoder, build_encoder
from assistant.settings import EmbeddingSettings


class CachedEmbedding(BaseEmbedding):
    """An encoder behind the cache, as llama-index's `BaseEmbedding` (batches of `embed_batch_size`)."""

    _cached: CachedEncoder = PrivateAttr()

    def __init__(self, encoder: Encoder, cache: EmbeddingCache, **kwargs: Any):
        super().__init__(model_name=encoder.model_name, **kwargs)
        self._cached = CachedEncoder(encoder, cache)

    @property
    def dim(self) -> int:
        return self._cached.dim

    @property
    def encoder(self) -> Encoder:
        return self._cached.encoder

    @property
    def cached(self) -> CachedEncoder:
        """The same encoder and cache without llama-index's machinery around each call."""
        return self._cached

    @property
    def cache(self) -> EmbeddingCache:
        return self._cached.cache

    @property
    def hits(self) -> int:
        return self._cached.hits

    @property
    def misses(self) -> int:
        return self._cached.misses

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._cached.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._cached.get_text_embedding_batch(list(texts))


def build_embedding(
    settings: EmbeddingSettings, cache: EmbeddingCache, unpacked_dir: Path | None = None
) -> CachedEmbedding:
    """The embedding model chosen by `settings.mode`, behind `cache` (`unpacked_dir`: `build_encoder`)."""
    return CachedEmbedding(build_encoder(settings, unpacked_dir), cache, embed_batch_size=settings.batch_size)
