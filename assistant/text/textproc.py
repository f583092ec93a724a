"""Lexical text processing shared by BM25, snippets and the citation check: folding, tokens, stems."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[\w']+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?؟。])\s+(?=[\"'«(\[]?[A-ZÀ-ÖØ-Þ0-9\u0600-\u06FF])|\n{2,}|\n(?=[-*•#]|\d+\.)")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "without",
        "about",
        "into",
        "over",
        "under",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "they",
        "them",
        "it",
        "its",
        "we",
        "our",
        "you",
        "your",
        "i",
        "my",
        "me",
        "he",
        "she",
        "his",
        "her",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "why",
        "when",
        "where",
        "do",
        "does",
        "did",
        "done",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "have",
        "has",
        "had",
        "not",
        "no",
        "any",
        "some",
        "all",
        "more",
        "most",
        "other",
        "such",
        "only",
        "own",
        "same",
        "so",
        "than",
        "too",
        "very",
        "just",
        "also",
        "there",
        "here",
        "via",
        "per",
        "one",
        "two",
        "exist",
        "exists",
        "existing",
        "solution",
        "solutions",
        "example",
        "examples",
        "find",
        "show",
        "tell",
        "give",
        "list",
        "please",
        "want",
        "need",
        "looking",
        "le",
        "la",
        "les",
        "un",
        "une",
        "des",
        "du",
        "de",
        "d",
        "l",
        "et",
        "ou",
        "en",
        "au",
        "aux",
        "dans",
        "par",
        "pour",
        "sur",
        "avec",
        "sans",
        "sous",
        "est",
        "sont",
        "été",
        "être",
        "qui",
        "que",
        "quoi",
        "quel",
        "quelle",
        "quels",
        "quelles",
        "comment",
        "pourquoi",
        "où",
        "ce",
        "cette",
        "ces",
        "ceux",
        "il",
        "elle",
        "ils",
        "elles",
        "nous",
        "vous",
        "je",
        "tu",
        "leur",
        "leurs",
        "son",
        "sa",
        "ses",
        "mon",
        "ma",
        "mes",
        "ton",
        "ta",
        "tes",
        "ne",
        "pas",
        "plus",
        "se",
        "s",
        "qu",
        "y",
        "a",
        "existe",
        "existent",
        "solution",
        "solutions",
        "exemple",
        "exemples",
        "el",
        "la",
        "los",
        "las",
        "un",
        "una",
        "unos",
        "unas",
        "de",
        "del",
        "y",
        "o",
        "en",
        "al",
        "por",
        "para",
        "con",
        "sin",
        "sobre",
        "es",
        "son",
        "fue",
        "ser",
        "que",
        "qué",
        "cual",
        "cuál",
        "cuáles",
        "cómo",
        "como",
        "por",
        "qué",
        "dónde",
        "este",
        "esta",
        "estos",
        "estas",
        "ese",
        "esa",
        "hay",
        "existe",
        "existen",
        "solución",
        "soluciones",
        "ejemplo",
        "su",
        "sus",
        "o",
        "a",
        "os",
        "as",
        "um",
        "uma",
        "uns",
        "umas",
        "de",
        "do",
        "da",
        "dos",
        "das",
        "e",
        "ou",
        "em",
        "no",
        "na",
        "nos",
        "nas",
        "ao",
        "aos",
        "por",
        "para",
        "com",
        "sem",
        "sobre",
        "é",
        "são",
        "foi",
        "ser",
        "que",
        "qual",
        "quais",
        "como",
        "onde",
        "este",
        "esta",
        "estes",
        "estas",
        "esse",
        "essa",
        "há",
        "existe",
        "existem",
        "solução",
        "soluções",
        "exemplo",
        "seu",
        "sua",
        "seus",
        "suas",
    ]
)

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


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


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
