"""Organisation names: the de-duplication key, acronyms ("Full Name (ACR)", "ACR/Full Name"), the placeholders
publishers write instead of a name, and UNDP Accelerator Lab names."""

from __future__ import annotations

import re

from assistant.text.geo import country_code
from assistant.text.textproc import fold

#: Placeholder names publishers use instead of an organisation: never registered.
PLACEHOLDER_NAMES = frozenset(
    {
        "information redacted",
        "redacted",
        "public sector institutions",
        "international ngo",
        "national ngo",
        "private sector",
        "government",
        "unknown",
        "not available",
        "n a",
        "na",
        "none",
        "other",
        "others",
        "various",
        "anonymous",
        "confidential",
        "tbd",
        "to be determined",
        "multiple",
        "local partners",
        "partners",
    }
)

_LAB = re.compile(r"^\s*UNDP\s+Accelerator\s+Lab\s+(?:of\s+|in\s+)?(.+?)\s*$", re.IGNORECASE)
_PAREN_ACRONYM = re.compile(r"^(?P<full>.*?\S)\s*\((?P<acr>[^()]+)\)\s*$")
_ACRONYM_SHAPE = re.compile(r"^[A-Z0-9][A-Za-z0-9&.\-]{1,14}$")


def name_key(name: str) -> str:
    """The de-duplication key of a name: folded (case, accents), '&' read as 'and', punctuation dropped,
    a leading 'the' dropped, single spaces. Arabic and other scripts are kept."""
    text = fold(name or "").replace("&", " and ")
    words = re.sub(r"[\W_]+", " ", text).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def slug(text: str) -> str:
    """A record key made from a name ("Réseau Sahel" -> "reseau-sahel")."""
    return re.sub(r"\s+", "-", name_key(text)) or "org"


def looks_like_acronym(text: str) -> bool:
    text = (text or "").strip()
    return bool(_ACRONYM_SHAPE.match(text)) and sum(ch.isupper() for ch in text) >= 2


def split_acronym(name: str) -> tuple[str, str | None]:
    """("Food and Agriculture Organization", "FAO") from "Food and Agriculture Organization (FAO)", from
    "FAO/Food and Agriculture Organization" or "Food and Agriculture Organization/FAO"; (name, None) otherwise."""
    name = " ".join((name or "").split())
    match = _PAREN_ACRONYM.match(name)
    if match and looks_like_acronym(match.group("acr").strip()) and len(match.group("full").split()) >= 2:
        return match.group("full").strip(" -,"), match.group("acr").strip()
    if name.count("/") == 1:
        left, right = (part.strip() for part in name.split("/"))
        if looks_like_acronym(left) and len(right.split()) >= 2:
            return right, left
        if looks_like_acronym(right) and len(left.split()) >= 2:
            return left, right
    return name, None


def is_placeholder(name: str) -> bool:
    key = name_key(name)
    return not key or key in PLACEHOLDER_NAMES


def lab_country(name: str) -> str | None:
    """ISO3 of a "UNDP Accelerator Lab <Country>" name, else None."""
    match = _LAB.match(name or "")
    return country_code(match.group(1)) if match else None
