"""Language detection for documents and questions (offline, lingua)."""

from __future__ import annotations

import re
from functools import lru_cache

SUPPORTED = ("en", "fr", "es", "pt", "ar", "sw")

_ARABIC = re.compile(r"[\u0600-\u06FF]")
#: Below this confidence a short question is not trusted to lingua (e.g. "and in India?")...
MIN_CONFIDENCE = 0.5
#: ... unless nothing else is known of the asker (no `hint`) and lingua's first language is this many times as
#: likely as its second: "Qu'est-ce que le biogaz ?" is French at 0.34 against Portuguese at 0.23 (1.46), where
#: a tie ("y en Kenia?": English 0.26, Spanish 0.26) still falls back. Chosen on a handful of made-up short
#: questions and answer fragments in each language, not on the evaluation sets.
MIN_LEAD = 1.4


#: For questions (`detect_language(quick=True)`), lingua's low-accuracy mode (trigrams only, loaded in 0.02 s) is
#: trusted from this confidence up; below it the high-accuracy models (0.46 s to load) decide. Against the
#: high-accuracy models alone, on the 331 evaluation questions no result differs at any bar from 0.8 up (9 load
#: the high-accuracy models at 0.95). Not for records' sentences, whose labels mark quotes: there the quick mode
#: is confidently wrong on short sentences with names ("Yéro, the Hero of palm oil producers." Spanish at 0.995;
#: 25 of 4,767 AccLabs sentences differ at 0.9).
QUICK_TRUSTED = 0.95


def _builder():
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.ENGLISH,
        Language.FRENCH,
        Language.SPANISH,
        Language.PORTUGUESE,
        Language.ARABIC,
        Language.SWAHILI,
    ]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models()


@lru_cache(maxsize=1)
def _quick_detector():
    return _builder().with_low_accuracy_mode().build()


@lru_cache(maxsize=1)
def _detector():
    # High-accuracy mode for what the quick detector is unsure of: questions are short, and low-accuracy mode
    # alone took "solar water kiosks in Kenya" for Swahili. It costs about 130 MB and half a second once per
    # process; preloaded, the models of all six languages load together (0.45 s against 0.55 s lazily).
    return _builder().build()


def _confidences(text: str, quick: bool):
    if quick:
        values = _quick_detector().compute_language_confidence_values(text)
        if values and values[0].value >= QUICK_TRUSTED:
            return values
    return _detector().compute_language_confidence_values(text)


def warm_up() -> None:
    """Load both detectors now (at server start) rather than on the first question."""
    _quick_detector()
    _detector()


_ISO = {"ENGLISH": "en", "FRENCH": "fr", "SPANISH": "es", "PORTUGUESE": "pt", "ARABIC": "ar", "SWAHILI": "sw"}


def _without_places(text: str) -> str:
    # Place names ("Kenya", "Tanzania") say nothing about the asker's language but pull lingua towards Swahili.
    from assistant.text.geo import find_places

    spans = find_places(text).spans
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


def _trusted(values, hint: str | None) -> bool:
    """Whether lingua's first language is the text's: confident, or, with no hint to fall back on, well ahead."""
    if values[0].value >= MIN_CONFIDENCE:
        return True
    second = values[1].value if len(values) > 1 else 0.0
    return hint is None and values[0].value >= MIN_LEAD * max(second, 1e-9)


def detect_language(text: str, default: str = "en", hint: str | None = None, quick: bool = False) -> str:
    """Two-letter code of the text's language among SUPPORTED. When unsure, the `hint` (e.g. the language of
    the interface the question came from), else `default`. `quick` for a question: lingua's quick mode decides
    what it is sure of (`QUICK_TRUSTED`)."""
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
        values = _confidences(candidate, quick)
        if values and _trusted(values, hint):
            code = _ISO.get(values[0].language.name, fallback)
            if candidate is sample and code == "sw":
                continue  # only the place names spoke Swahili ("biogas Tanzania")
            return code
    return fallback
