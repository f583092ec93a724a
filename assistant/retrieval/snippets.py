"""Each hit's snippet: the sentence of its best passage that shares most words with the question."""

from __future__ import annotations

from functools import lru_cache

from assistant.knowledge.documents import KnowledgeDocument
from assistant.text.textproc import content_words, is_instruction, sentences


@lru_cache(maxsize=8192)
def _candidate_sentences(text: str, title: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """A passage's sentences that may serve as a snippet, with their words: worked out once per passage, since
    the same passages come back for question after question."""
    return tuple(
        (sentence, frozenset(content_words(sentence)))
        for sentence in sentences(text)
        if sentence != title and not is_instruction(sentence)
    )


def best_snippet(text: str, query: str, doc: KnowledgeDocument, max_chars: int = 260) -> str:
    """The sentence of the passage that shares most words with the query (the title and summary never count)."""
    query_words = set(content_words(query))
    best, best_score = "", -1.0
    for i, (sentence, sentence_words) in enumerate(_candidate_sentences(text, doc.title)):
        overlap = len(query_words & sentence_words)
        score = overlap - i * 0.01  # ties go to the earlier sentence
        if score > best_score and len(sentence) > 20:
            best, best_score = sentence, score
    best = best or doc.summary or text
    if len(best) > max_chars:
        best = best[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return best
