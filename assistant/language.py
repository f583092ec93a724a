"""Language detection for documents and questions (offline, lingua)."""

from __future__ import annotations

import re
from functools import lru_cache

SUPPORTED = ("en", "fr", "es", "pt", "ar", "sw")

_ARABIC = re.compile(r"[\u0600-\u06FF]")


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [Language.ENGLISH, Language.FRENCH, Language.SPANISH, Language.PORTUGUESE, Language.ARABIC,
                 Language.SWAHILI]
    # Low-accuracy mode keeps memory and start-up small; questions are short but these six are far apart.
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


_ISO = {"ENGLISH": "en", "FRENCH": "fr", "SPANISH": "es", "PORTUGUESE": "pt", "ARABIC": "ar", "SWAHILI": "sw"}


def detect_language(text: str, default: str = "en") -> str:
    """Two-letter code of the text's language among SUPPORTED, or `default` when unsure."""
    text = (text or "").strip()
    if not text:
        return default
    sample = text[:2000]
    letters = sum(ch.isalpha() for ch in sample)
    if letters and len(_ARABIC.findall(sample)) / letters > 0.3:
        return "ar"
    if letters < 3:
        return default
    lang = _detector().detect_language_of(sample)
    if lang is None:
        return default
    return _ISO.get(lang.name, default)
