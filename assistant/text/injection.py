"""Instruction-like text inside documents (prompt injection): found, and left out before it can act.

A document is knowledge, never a voice that gives the assistant orders. Sentences that address the assistant
("ignore your previous instructions", "à partir de maintenant tu dois...", "Assistant：", "<|im_start|>system"),
and markup that hides text from readers (HTML comments, `javascript:` links, invisible styles), are dropped:
from untrusted documents at ingestion (`neutralise`), and from every document before its text reaches a prompt
or an extractive snippet (`is_instruction`, through `assistant.text.textproc`).

The patterns are data (assistant/data/injection_patterns.json, one list per language, all applied to every
sentence since a record may mix languages). They match folded text: NFKC (full-width colons and letters become
ASCII), zero-width and bidi controls removed, look-alike Cyrillic and Greek letters mapped to Latin, lower case,
accents and Arabic diacritics removed, so one pattern covers the disguises of a phrase.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from assistant.text.data import read_data

PATTERNS_FILE = "injection_patterns.json"

#: Characters that render as nothing: zero-width spaces and joiners, bidi controls, soft hyphen, variation
#: selectors, the Arabic tatweel and the Hangul fillers, which hide words from readers and from patterns.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u0640\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0001\U000e007f\U000e0100-\U000e01ef]"
)
#: Unicode "tag" characters spell ASCII invisibly (U+E0020-U+E007E): read as the letters they hide.
_TAGS = re.compile("[\U000e0020-\U000e007e]+")
_SPACES = re.compile(r"\s+")
#: Content readers never see, taken out of untrusted text whole.
_HIDDEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<\s*(script|style|iframe)\b.*?(?:<\s*/\s*\1\s*>|\Z)|^\s*\[(?://|comment|hidden|_)\]\s*:.*$",
    re.IGNORECASE | re.DOTALL | re.MULTILINE,
)
#: A markdown link or image whose target runs script: the label is kept, the target goes.
_SCRIPT_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*(?:javascript|vbscript|data)\s*:(?:[^()]|\([^()]*\))*\)", re.IGNORECASE)
_LINE = re.compile(r"\n")


@dataclass(frozen=True)
class _Patterns:
    confusables: dict[int, str]
    markup: re.Pattern[str]
    roles: re.Pattern[str]
    phrases: re.Pattern[str]


@cache
def _patterns() -> _Patterns:
    data = read_data(PATTERNS_FILE)
    phrases = [p for patterns in data["languages"].values() for p in patterns]
    return _Patterns(
        confusables={ord(k): v for k, v in data["confusables"].items()},
        markup=re.compile("|".join(f"(?:{p})" for p in data["markup"]), re.IGNORECASE | re.MULTILINE),
        roles=re.compile("|".join(f"(?:{p})" for p in data["roles"])),
        phrases=re.compile("|".join(f"(?:{p})" for p in phrases)),
    )


def languages() -> list[str]:
    """The languages the patterns cover."""
    return list(read_data(PATTERNS_FILE)["languages"])


def visible(text: str) -> str:
    """NFKC text without invisible characters, tag characters read as the ASCII they hide."""
    text = _TAGS.sub(lambda m: " " + "".join(chr(ord(c) - 0xE0000) for c in m.group()) + " ", text)
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def fold(text: str) -> str:
    """The text patterns are matched against: visible, look-alikes mapped, lower case, no accents or harakat."""
    text = visible(text).casefold().translate(_patterns().confusables)
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    bare = unicodedata.normalize("NFC", bare.translate(_patterns().confusables))
    return _SPACES.sub(" ", bare.replace("\u2019", "'").replace("`", "'")).strip()


def is_instruction(sentence: str) -> bool:
    """Whether a sentence gives orders to the assistant, poses as a role marker or hides markup."""
    patterns = _patterns()
    if patterns.markup.search(visible(sentence)):
        return True
    folded = fold(sentence)
    return bool(patterns.roles.search(folded) or patterns.phrases.search(folded))


def _segments(paragraph: str) -> list[str]:
    from assistant.text.textproc import sentences

    return [s for line in _LINE.split(paragraph) for s in sentences(line)]


def neutralise(text: str, marker: str = "") -> str:
    """Untrusted text without hidden content and without its instruction-like sentences (each replaced by
    `marker`, or dropped). Text with nothing to remove comes back unchanged, layout included."""
    if not text:
        return text
    cleaned = _SCRIPT_LINK.sub(lambda m: m.group(1), _HIDDEN.sub(" ", text))
    if cleaned == text and not any(is_instruction(s) for s in _segments(text)):
        return text
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", cleaned):
        kept = [marker if is_instruction(s) else s for s in _segments(paragraph)]
        joined = " ".join(s for s in kept if s)
        if joined:
            paragraphs.append(joined)
    return "\n\n".join(paragraphs)


def flagged(text: str) -> list[str]:
    """The sentences of a text that `neutralise` would remove (for reports and moderation)."""
    return [s for s in _segments(_SCRIPT_LINK.sub(lambda m: m.group(1), text)) if is_instruction(s)]
