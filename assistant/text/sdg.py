"""The 17 Sustainable Development Goals: names in en/fr/es/pt/ar, parsing, and detection in free text.

`sdg_number` reads one value from data (a tag, a code, a name, even misspelt); `find_sdgs` reads a
user's question. Matching is accent- and case-insensitive and works on whole words (see
assistant.text.geo.tokenise); the first word of an Arabic name or keyword may carry the one-letter
clitics, and the article when written without it, as Arabic place names may ("بالزراعة", "للمياه").
Names, keywords and connective words come from assistant/data/sdgs.json (its "about" entries
describe the format), read once at import and checked.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from assistant.text.data import read_data
from assistant.text.geo import Token, arabic_forms, normalise, tokenise

__all__ = ["SDG_NAMES", "SDG_NAMES_I18N", "find_sdgs", "normalise_sdgs", "sdg_number"]

_SDGS_FILE = "sdgs.json"
_GOAL_FIELDS: dict[str, type] = {"number": int, "names": dict, "other_names": list, "keywords": list}


def _check_goal(i: int, goal: object) -> None:
    if not isinstance(goal, dict):
        raise ValueError(f"{_SDGS_FILE}: goals entry {i} is not an object")
    where = f"{_SDGS_FILE}: goals entry {i} (goal {goal.get('number')!r})"
    for field, kind in _GOAL_FIELDS.items():
        value = goal.get(field)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{where} needs {field!r} as a {kind.__name__}")
        strings = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
        if not all(isinstance(v, str) for v in strings):
            raise ValueError(f"{where} has a value that is not a string in {field!r}")
    if goal["number"] != i + 1:
        raise ValueError(f"{where}: goals must run 1..17 in order")


def _check_data(data: Any) -> dict[str, Any]:
    goals = data.get("goals") if isinstance(data, dict) else None
    if not isinstance(goals, list) or len(goals) != 17:
        raise ValueError(f"{_SDGS_FILE}: 'goals' must be a list of the 17 goals")
    for i, goal in enumerate(goals):
        _check_goal(i, goal)
    # Goal 1 sets the languages every goal must be named in, so a missing translation is caught here.
    languages = sorted(goals[0]["names"])
    if "en" not in languages:
        raise ValueError(f"{_SDGS_FILE}: goal 1 has no English ('en') name")
    for goal in goals:
        if sorted(goal["names"]) != languages:
            raise ValueError(
                f"{_SDGS_FILE}: goal {goal['number']} is named in {sorted(goal['names'])}, not {languages}"
            )
    connectives = data.get("connectives")
    if not isinstance(connectives, list) or not all(isinstance(w, str) for w in connectives):
        raise ValueError(f"{_SDGS_FILE}: 'connectives' must be a list of strings")
    return data


@functools.cache
def _sdg_data() -> dict[str, Any]:
    return _check_data(read_data(_SDGS_FILE))


_GOALS: list[dict[str, Any]] = _sdg_data()["goals"]

SDG_NAMES: dict[int, str] = {g["number"]: g["names"]["en"] for g in _GOALS}

SDG_NAMES_I18N: dict[str, dict[int, str]] = {
    lang: {g["number"]: g["names"][lang] for g in _GOALS} for lang in _GOALS[0]["names"] if lang != "en"
}

_OTHER_NAMES: dict[int, tuple[str, ...]] = {g["number"]: tuple(g["other_names"]) for g in _GOALS}

_KEYWORDS: dict[int, tuple[str, ...]] = {g["number"]: tuple(g["keywords"]) for g in _GOALS}

_CONNECTIVES: frozenset[str] = frozenset(_sdg_data()["connectives"])


# "SDG 6", "SDG6", "SDGs 6 and 7", "ODD 13", "ODS 4", "Goal 5", "Objectif 6", "Objetivo 6",
# "Sustainable Development Goal 6", "ODD n° 6", "الهدف 6", "بالهدف رقم 6" (Arabic clitics: و ف, then
# ب ك ل, then the article), "أهداف التنمية المستدامة 6 و 7"... on normalised text (folded words,
# single spaces: "أهداف التنمية" is "اهداف التنميه" there).
_PREFIX = (
    r"(?:sdgs?|odd|ods|goals?|objectifs?|objetivos?|objectives?"
    r"|sustainable development goals?|objectifs? de developpement durable"
    r"|objetivos? de desarrollo sostenible|objetivos? de desenvolvimento sustentavel"
    r"|[وف]?(?:لل|[بكل]?(?:ال)?)(?:هدف|اهداف)(?: التنميه المستدامه)?)"
)
_NUMBER_MARK = r"(?:\s*(?:n|no|nr|num|numero|number|رقم))?"
_SINGLE = re.compile(rf"^(?:{_PREFIX}{_NUMBER_MARK}\s*)?0*(\d{{1,2}})(?:\s.*)?$")
_BARE_NUMBER = re.compile(r"^0*(\d{1,2})$")
_MENTION = re.compile(rf"\b{_PREFIX}{_NUMBER_MARK}\s*(\d{{1,2}}(?:\s+(?:(?:and|et|y|e|or|ou|o|و|او)\s+)?\d{{1,2}})*)\b")


def _name_key(name: str) -> str:
    return " ".join(w for w in normalise(name).split() if w not in _CONNECTIVES)


def _all_names() -> dict[int, list[str]]:
    names: dict[int, list[str]] = {n: [SDG_NAMES[n]] for n in SDG_NAMES}
    for table in SDG_NAMES_I18N.values():
        for n, name in table.items():
            names[n].append(name)
    for n, others in _OTHER_NAMES.items():
        names[n].extend(others)
    return names


def _build_name_keys() -> dict[str, int]:
    keys: dict[str, int] = {}
    for n, names in _all_names().items():
        for name in names:
            key = _name_key(name)
            if keys.setdefault(key, n) != n:
                raise ValueError(f"{_SDGS_FILE}: SDG name {name!r} is ambiguous between goals {keys[key]} and {n}")
    return keys


_NAME_KEYS: dict[str, int] = _build_name_keys()


# --------------------------------------------------------------------------------------------
# Phrase matching over tokens
# --------------------------------------------------------------------------------------------

_Kind = Literal["explicit", "name", "keyword"]


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    stem: bool  # the last word is a prefix
    goal: int
    kind: _Kind


def _phrase(text: str, goal: int, kind: _Kind) -> _Phrase:
    stem = text.endswith("*")
    return _Phrase(tuple(normalise(text.rstrip("*")).split()), stem, goal, kind)


def _build_phrases() -> list[_Phrase]:
    phrases = [_phrase(k, n, "keyword") for n, words in _KEYWORDS.items() for k in words]
    # Multi-word names only: one-word "names" ("Education", "Climate") are just keywords in a question.
    phrases += [
        _phrase(name, n, "name")
        for n, names in _all_names().items()
        for name in names
        if len(normalise(name).split()) > 1
    ]
    return phrases


_PHRASES: list[_Phrase] = _build_phrases()
# Phrases are tried only where their first word could start: by exact first word, or, for
# one-word stems, by the stem's first three letters (every stem is longer than that).
_STEM_KEY = 3


def _index_phrases() -> tuple[dict[str, list[_Phrase]], dict[str, list[_Phrase]]]:
    by_first_word: dict[str, list[_Phrase]] = {}
    stems_by_start: dict[str, list[_Phrase]] = {}
    for p in _PHRASES:
        if p.stem and len(p.words) == 1:
            if len(p.words[0]) <= _STEM_KEY:
                raise ValueError(f"{_SDGS_FILE}: keyword stem {p.words[0]!r} (goal {p.goal}) is too short to be safe")
            stems_by_start.setdefault(p.words[0][:_STEM_KEY], []).append(p)
        else:
            by_first_word.setdefault(p.words[0], []).append(p)
    return by_first_word, stems_by_start


_BY_FIRST_WORD, _STEMS_BY_START = _index_phrases()


def _matches_at(tokens: list[Token], start: int, phrase: _Phrase, first: str) -> bool:
    """Whether `phrase` is at `start`, its first word read as `first` (the word or one of its Arabic forms)."""
    end = start + len(phrase.words)
    if end > len(tokens):
        return False
    words = [first] + [t.text for t in tokens[start + 1 : end]]
    if phrase.stem:
        return words[:-1] == list(phrase.words[:-1]) and words[-1].startswith(phrase.words[-1])
    return words == list(phrase.words)


@dataclass(frozen=True)
class _Hit:
    start: int  # token index
    length: int
    goals: tuple[int, ...]
    kind: _Kind


def _explicit_hits(tokens: list[Token]) -> list[_Hit]:
    """Numbered mentions, found on the normalised text and mapped back to token positions."""
    joined = " ".join(t.text for t in tokens)
    token_at: dict[int, int] = {}
    offset = 0
    for i, t in enumerate(tokens):
        for c in range(offset, offset + len(t.text) + 1):
            token_at[c] = i
        offset += len(t.text) + 1
    hits = []
    for m in _MENTION.finditer(joined):
        goals = tuple(n for n in (int(x) for x in re.findall(r"\d+", m.group(1))) if 1 <= n <= 17)
        if goals:
            first, last = token_at[m.start()], token_at[m.end() - 1]
            hits.append(_Hit(first, last - first + 1, goals, "explicit"))
    return hits


def _phrase_hits(tokens: list[Token]) -> list[_Hit]:
    hits = []
    for start in range(len(tokens)):
        by_length: dict[tuple[int, _Kind], list[int]] = {}
        # An Arabic first word may carry clitics and the article, as in place names ("بالزراعة" = "ب" + "الزراعة").
        word = tokens[start].text
        for first in (word, *(form for form, _ in arabic_forms(word))):
            for phrase in _BY_FIRST_WORD.get(first, []) + _STEMS_BY_START.get(first[:_STEM_KEY], []):
                if _matches_at(tokens, start, phrase, first):
                    by_length.setdefault((len(phrase.words), phrase.kind), []).append(phrase.goal)
        for (length, kind), goals in by_length.items():
            hits.append(_Hit(start, length, tuple(dict.fromkeys(goals)), kind))
    return hits


_RANK: dict[_Kind, int] = {"explicit": 0, "name": 1, "keyword": 2}


def _select(hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits: explicit mentions first, then longer phrases, then names over keywords."""
    taken: set[int] = set()
    kept = []
    for hit in sorted(hits, key=lambda h: (h.kind != "explicit", -h.length, _RANK[h.kind], h.start)):
        span = set(range(hit.start, hit.start + hit.length))
        if span & taken:
            continue
        taken |= span
        kept.append(hit)
    return kept


def _keyword_goals(text: str) -> list[int]:
    """Goals whose keywords cover all of `text` (used for one-word tags such as "Water")."""
    tokens = tokenise(text)
    kept = _select(_phrase_hits(tokens))
    if sum(h.length for h in kept) != len(tokens):
        return []
    return list(dict.fromkeys(g for h in kept for g in h.goals))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def sdg_number(value: object) -> int | None:
    """Goal number 1..17 from an int, a code ("6", "SDG 6", "ODD 6", "ODS 6", "Goal 6",
    "Objetivo 6", "الهدف 6"), a name in en/fr/es/pt/ar (misspellings tolerated), or a one-goal keyword tag
    ("Water"); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= 17 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and 1 <= value <= 17 else None
    if not isinstance(value, str):
        return None
    text = normalise(value)
    if not text:
        return None
    number = _SINGLE.match(text)
    if number and (_BARE_NUMBER.match(text) or not text[0].isdigit()):
        n = int(number.group(1))
        return n if 1 <= n <= 17 else None
    key = _name_key(value)
    if key in _NAME_KEYS:
        return _NAME_KEYS[key]
    close = difflib.get_close_matches(key, list(_NAME_KEYS), n=1, cutoff=0.85)
    if close:
        return _NAME_KEYS[close[0]]
    goals = _keyword_goals(value)
    return goals[0] if len(goals) == 1 else None


def normalise_sdgs(values: Iterable[object]) -> list[int]:
    """Sorted unique goal numbers; unknown values dropped. A single value is accepted too, and a
    string holding a list ("SDG 6; SDG 13") gives every goal in it."""
    if isinstance(values, (str, bytes, int, float)):
        values = [values]
    found: set[int] = set()
    for value in values:
        found.update(_goals_in_value(value))
    return sorted(found)


def _goals_in_value(value: object) -> list[int]:
    whole = sdg_number(value)
    if isinstance(value, str):
        # Split only when every piece is a goal: names contain commas too ("Peace, justice and ...").
        parts = [p for p in re.split(r"[,;|/]", value) if p.strip()]
        numbers = [sdg_number(p) for p in parts]
        if len(parts) > 1 and (whole is None or all(n is not None for n in numbers)):
            return [n for n in numbers if n is not None]
    return [whole] if whole is not None else []


def find_sdgs(text: str) -> list[int]:
    """Goals a free-text question refers to: numbered mentions and goal names first, then keyword
    hits, each group in order of first appearance; no duplicates."""
    if not isinstance(text, str) or not text.strip():
        return []
    tokens = tokenise(text)
    kept = sorted(_select(_explicit_hits(tokens) + _phrase_hits(tokens)), key=lambda h: (h.kind == "keyword", h.start))
    return list(dict.fromkeys(g for h in kept for g in h.goals))


def covered_words(text: str) -> set[int]:
    """The positions (in `tokenise(text)`) of the words that name an SDG or one of its keywords."""
    covered: set[int] = set()
    for hit in _select(_explicit_hits(tokenise(text)) + _phrase_hits(tokenise(text))):
        covered |= set(range(hit.start, hit.start + hit.length))
    return covered
