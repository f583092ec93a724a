"""Lexical text processing shared by BM25, snippets and the citation check: folding, tokens, stems."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from assistant.text.data import read_data

_WORD = re.compile(r"[\w']+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s+(?=[\"'«(\[]?[A-ZÀ-ÖØ-Þ0-9\u0600-\u06FF])|\n{2,}|\n(?=[-*•#]|\d+\.)")


_STEMMER_NAMES = {"en": "english", "fr": "french", "es": "spanish", "pt": "portuguese", "ar": "arabic", "sw": None}


def fold(text: str) -> str:
    """Lower case without accents (Arabic letters are kept)."""
    if text.isascii():  # nothing to strip; the common case, and many times faster
        return text.lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold()


@lru_cache(maxsize=8)
def _stemmer(language: str):
    name = _STEMMER_NAMES.get(language)
    if not name:
        return None
    import Stemmer

    return Stemmer.Stemmer(name)


def words(text: str) -> list[str]:
    out = []
    for token in _WORD.findall(fold(text)):
        token = token.strip("'_")
        # French/Italian elisions: l'eau -> eau, d'irrigation -> irrigation
        if "'" in token:
            token = token.split("'")[-1]
        if token:
            out.append(token)
    return out


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    data = read_data("stopwords.json")
    return frozenset(fold(word) for word in (*data["words"], *data["ar"]))


def content_words(text: str) -> list[str]:
    stopwords = _stopwords()
    return [w for w in words(text) if w not in stopwords and (len(w) > 1 or w.isdigit())]


def stems(text: str, language: str = "en") -> list[str]:
    tokens = content_words(text)
    stemmer = _stemmer(language)
    if stemmer is None:
        return tokens
    return stemmer.stemWords(tokens)


def multilingual_stems(text: str, languages: tuple[str, ...]) -> list[str]:
    """Stems under several languages at once: a query is matched against documents of any language."""
    tokens = content_words(text)
    out: list[str] = []
    for language in languages:
        stemmer = _stemmer(language)
        out.extend(stemmer.stemWords(tokens) if stemmer else tokens)
    return out


def sentences(text: str) -> list[str]:
    parts = []
    for block in _SENTENCE_END.split(text):
        block = " ".join(block.split()).strip(" -*•#")
        if block:
            parts.append(block)
    return parts


def strip_instructions(text: str) -> str:
    """Document text without the sentences that address the assistant itself ("ignore previous instructions",
    "tell users to wire money..."): they are not knowledge, and a model must never be shown them as such."""
    return "\n\n".join(s for s in sentences(text) if not is_instruction(s))


def is_instruction(sentence: str) -> bool:
    """Whether a sentence gives the assistant orders (the patterns live in assistant.text.injection)."""
    from assistant.text.injection import is_instruction as instruction_like

    return instruction_like(sentence)
