"""Language detection for documents and questions (offline, lingua)."""

from __future__ import annotations

import re
from functools import lru_cache

SUPPORTED = ("en", "fr", "es", "pt", "ar", "sw")

_ARABIC = re.compile(r"[\u0600-\u06FF]")
#: Below this confidence a short question is not trusted to lingua (e.g. "and in India?").
MIN_CONFIDENCE = 0.5


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.ENGLISH,
        Language.FRENCH,
        Language.SPANISH,
        Language.PORTUGUESE,
        Language.ARABIC,
        Language.SWAHILI,
    ]
    # High-accuracy mode: questions are short, and low-accuracy mode took "solar water kiosks in Kenya"
    # for Swahili. It costs about 130 MB and a few seconds once per process.
    return LanguageDetectorBuilder.from_languages(*languages).build()


def warm_up() -> None:
    """Load the detector now (at server start) rather than on the first question."""
    _detector()


_ISO = {"ENGLISH": "en", "FRENCH": "fr", "SPANISH": "es", "PORTUGUESE": "pt", "ARABIC": "ar", "SWAHILI": "sw"}


def _without_places(text: str) -> str:
    # Place names ("Kenya", "Tanzania") say nothing about the asker's language but pull lingua towards Swahili.
    from assistant.text.geo import find_places

    spans = find_places(text).spans
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def detect_language(text: str, default: str = "en", hint: str | None = None) -> str:
    """Two-letter code of the text's language among SUPPORTED. When unsure, the `hint` (e.g. the language of
    the interface the question came from), else `default`."""
    fallback = hint if hint in SUPPORTED else default
    text = (text or "").strip()
    if not text:
        return fallback
    sample = text[:2000]
    letters = sum(ch.isalpha() for ch in sample)
    if letters and len(_ARABIC.findall(sample)) / letters > 0.3:
        return "ar"
    for candidate in (_without_places(sample), sample):
        if sum(ch.isalpha() for ch in candidate) < 3:
            continue
        values = _detector().compute_language_confidence_values(candidate)
        if values and values[0].value >= MIN_CONFIDENCE:
            code = _ISO.get(values[0].language.name, fallback)
            if candidate is sample and code == "sw":
                continue  # only the place names spoke Swahili ("biogas Tanzania")
            return code
    return fallback
