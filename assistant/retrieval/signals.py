"""Refusal signals: how much evidence a search found that the knowledge base holds something on the question
(the best chunk's cosine, how many of the question's words the best documents share, how many of its words
the knowledge base has never seen), and the reading of them against the embedding model's thresholds."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from assistant.knowledge.profiles import RelevanceThresholds
from assistant.retrieval.candidates import DenseHit

if TYPE_CHECKING:
    from assistant.retrieval.results import SearchResult

#: Novelty: when most of a question's words occur nowhere in the knowledge base, it is about something else.
#: Only trusted where the knowledge base holds enough documents in the question's language for its vocabulary
#: to be representative: the 135 French records of the AccLabs set are not (a French question on "batteries
#: fabriquées ou recyclées" met neither word and was refused, while six records are on it), the 759 English ones
#: are. At 200 instead of 100 the development sets keep every out-of-scope question refused.
MAX_UNKNOWN_RATIO = 0.5
MIN_DOCS_FOR_VOCABULARY = 200
#: The dense ranks whose mean similarity is "the crowd" the best chunk must stand above.
BACKGROUND_RANKS = slice(10, 40)


def coverage(query_stems: set[str], doc_stems: set[str], own_stems: set[str]) -> float:
    """Share of the question's own stems (in its language) that the document's words cover, at most 1."""
    return min(1.0, len(query_stems & doc_stems) / max(1, len(own_stems)))


def add_signals(
    result: SearchResult, dense_sim: dict[int, float], dense: list[DenseHit], own_stems: set[str], vocabulary: set[str]
) -> None:
    """Fill in the result's refusal signals (a result without hits keeps them at zero)."""
    if not result.hits:
        return
    result.top_dense = max(dense_sim.values(), default=0.0)
    result.top_coverage = max(h.lexical for h in result.hits[:3])
    background = [sim for _, _, sim in dense[BACKGROUND_RANKS]]
    if background:
        result.dense_margin = result.top_dense - float(np.mean(background))
    if own_stems:
        result.unknown_ratio = sum(1 for w in own_stems if w not in vocabulary) / len(own_stems)


def is_relevant(
    result: SearchResult,
    limits: RelevanceThresholds,
    docs_in_language: int = 0,
    second_opinion: Callable[[], float] | None = None,
) -> bool:
    """Whether the result shows the knowledge base holds something on the question; `docs_in_language` is how
    many documents it holds in the question's language (its vocabulary is trusted past MIN_DOCS_FOR_VOCABULARY).
    A question this model's thresholds would refuse is still answered when, with `second_opinion` (another
    model's best cosine, asked only then) and a threshold for it, the sum of both models' similarities reaches it."""
    if not result.hits:
        return False
    if docs_in_language >= MIN_DOCS_FOR_VOCABULARY and result.unknown_ratio >= MAX_UNKNOWN_RATIO:
        return False
    if result.top_dense >= limits.dense:
        return True
    if result.top_dense >= limits.dense_with_words and result.top_coverage >= limits.coverage:
        return True
    if second_opinion is None or limits.with_second_opinion is None:
        return False
    margin = result.top_dense + second_opinion() - limits.with_second_opinion
    if margin < 0:
        return False
    result.second_opinion_margin = margin
    return True
