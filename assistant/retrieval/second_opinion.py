"""A second encoder's view of whether the knowledge base holds something on a question.

e5-small's cosines crowd into a narrow band (answerable and unanswerable questions overlap between 0.81 and
0.87), so the relevance gate refused one answerable question in nine. The multilingual USE encoder is trained
differently (translation ranking, not contrastive pre-training) and errs on other questions: the sum of both
models' similarities separates the two kinds far better than either (`assistant.knowledge.embeddings`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from assistant.knowledge.encoders import SECOND_PASSAGE_CHARS

if TYPE_CHECKING:
    from assistant.knowledge.encoders import TextEmbedder
    from assistant.retrieval.results import Hit

#: Passages compared with the question: the top of the ranking, where an answer would come from.
PASSAGES = 3


def passage_text(hit: Hit) -> str:
    doc = hit.doc
    return " ".join(part for part in (doc.title + ".", doc.summary or "", hit.chunk.text) if part)[
        :SECOND_PASSAGE_CHARS
    ]


def unit_rows(vectors) -> np.ndarray:
    """`vectors` (one, or one per row) as float32 of unit length."""
    matrix = np.asarray(vectors, dtype=np.float32)
    return matrix / np.clip(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12, None)


class SecondOpinion:
    """The best cosine between a question and its top passages, by another embedding model (passages through
    that model's content-hash cache, so a passage is embedded once)."""

    def __init__(self, model: TextEmbedder):
        self.model = model

    def cosines(
        self, question: str, hits: Sequence[Hit], embed_query: Callable[[str], list[float]] | None = None
    ) -> np.ndarray:
        """The cosine between the question and each of the top passages (none for a blank question);
        `embed_query`: the caller's (cached) way to embed the question with this model."""
        top = list(hits[:PASSAGES])
        if not top or not question.strip():
            return np.zeros(0, dtype=np.float32)
        query = unit_rows((embed_query or self.model.get_query_embedding)(question))
        return unit_rows(self.model.get_text_embedding_batch([passage_text(h) for h in top])) @ query

    def similarity(
        self,
        question: str,
        hits: Sequence[Hit],
        embed_query: Callable[[str], list[float]] | None = None,
        language: str | None = None,
        cross_lingual_lift: float = 0.0,
    ) -> float:
        """The best of `cosines`, `cross_lingual_lift` added to each passage whose record is in another language
        than `language`, the question's (`RelevanceThresholds.cross_lingual_lift`)."""
        cosines = self.cosines(question, hits, embed_query)
        if not cosines.size:
            return 0.0
        if language is not None and cross_lingual_lift:
            cosines += np.array([cross_lingual_lift * (h.doc.language != language) for h in hits[: cosines.size]])
        return float(cosines.max())


class ScopeExamples:
    """Questions plainly outside the knowledge base (intents.json "out_of_scope_examples"): a refused question
    this close to one of them, by the second encoder, gets the scope message instead of "nothing found"."""

    def __init__(self, model: TextEmbedder, examples: Sequence[str]):
        self.model = model
        self.examples = list(examples)
        self._matrix: np.ndarray | None = None

    def similarity(self, query: Sequence[float]) -> float:
        """The best cosine between the question's vector (by this model) and an example."""
        if not self.examples:
            return 0.0
        if self._matrix is None:  # embedded once, through the model's cache
            self._matrix = unit_rows(self.model.get_text_embedding_batch(self.examples))
        return float((self._matrix @ unit_rows(query)).max())
