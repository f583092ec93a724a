"""Countries and regions: codes, names in en/fr/es/pt/ar/sw, neighbours, and place detection in free text.

The tables come from assistant/data/countries.json and regions.json (their "about" entries describe
the format), read once at import and checked, so a bad entry fails loudly and by name instead of
silently matching nothing. Matching folds accents and case (NFKD, combining marks stripped,
casefold) and works on whole words, so "Niger" is never found inside "Nigeria" and "Mali" never
inside "Somalia". Arabic letter variants are folded too, and an Arabic word may carry one-letter
clitics ("بالسنغال" is "ب" + "السنغال"); the "about" entries of countries.json give the rules.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from assistant.text.data import read_data

__all__ = [
    "COUNTRIES",
    "PRIMARY_REGIONS",
    "REGIONS",
    "Country",
    "PlaceMatch",
    "Region",
    "Token",
    "country_code",
    "country_name",
    "find_places",
    "fold",
    "neighbours",
    "normalise",
    "region_of",
    "tokenise",
]


# --------------------------------------------------------------------------------------------
# Text folding and tokenising (shared with assistant.text.sdg)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """A word of the folded text, with its character span in the original text."""

    text: str
    start: int
    end: int


# Arabic letters written interchangeably: ة/ه and ى/ي, Persian-style ک/ی, and the tatweel (a
# stretching stroke, not a letter). NFKD already turns أ إ آ into ا, ؤ into و and ئ into ي, and
# short vowels and shadda are combining marks, dropped with the accents.
_ARABIC_VARIANTS = str.maketrans({"ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك", "ـ": None})


def fold(text: str) -> str:
    """Accent- and case-insensitive form: NFKD, combining marks dropped, casefolded; Arabic
    letter variants unified (أ إ آ -> ا, ة -> ه, ى -> ي)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().translate(_ARABIC_VARIANTS)


def tokenise(text: str) -> list[Token]:
    """Folded alphanumeric words of `text`; every other character (apostrophes, hyphens,
    punctuation) separates words, which is what makes "l'Afrique" and "Guinea-Bissau" match."""
    tokens: list[Token] = []
    chars: list[str] = []
    start = end = 0
    for i, ch in enumerate(text):
        folded = fold(ch)
        if not folded:
            # A lone combining mark (text already decomposed) belongs to the word it follows.
            if chars:
                end = i + 1
            continue
        for c in folded:
            if c.isalnum():
                if not chars:
                    start = i
                chars.append(c)
                end = i + 1
            elif chars:
                tokens.append(Token("".join(chars), start, end))
                chars = []
    if chars:
        tokens.append(Token("".join(chars), start, end))
    return tokens


def normalise(text: str) -> str:
    """Folded words joined by single spaces: the key every name table is indexed by."""
    return " ".join(t.text for t in tokenise(text))


# --------------------------------------------------------------------------------------------
# Data files
# --------------------------------------------------------------------------------------------

_COUNTRIES_FILE = "countries.json"
_REGIONS_FILE = "regions.json"

_COUNTRY_FIELDS: dict[str, type] = {
    "iso3": str,
    "iso2": str,
    "name": str,
    "region": str,
    "aliases": list,
    "demonyms": list,
    "neighbours": list,
}
_REGION_FIELDS: dict[str, type] = {"name": str, "aliases": list, "members": dict}
# A misspelt key ("exept") would otherwise be ignored and silently widen the region.
_MEMBER_KEYS = frozenset({"regions", "countries", "except", "global_south"})


def _entries(file: str, data: Mapping[str, Any], key: str, fields: Mapping[str, type]) -> list[dict[str, Any]]:
    """data[key] as a list of entries, each holding every required field with the right type."""
    entries = data.get(key)
    if not isinstance(entries, list):
        raise ValueError(f"{file}: {key!r} must be a list")
    for i, entry in enumerate(entries):
        label = (entry.get("iso3") or entry.get("name")) if isinstance(entry, dict) else None
        for field, kind in fields.items():
            value = entry.get(field) if isinstance(entry, dict) else None
            strings = value if isinstance(value, list) else []
            if not isinstance(value, kind) or not all(isinstance(v, str) for v in strings):
                wanted = "a list of strings" if kind is list else f"a {kind.__name__}"
                raise ValueError(f"{file}: {key} entry {i} ({label!r}) needs {field!r} as {wanted}")
    return entries


def _strings(file: str, data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{file}: {key!r} must be a list of strings")
    return value


def _check_codes(file: str, owner: str, codes: Iterable[str], known: Mapping[str, object]) -> None:
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValueError(f"{file}: {owner} names unknown country codes {unknown}")


@functools.cache
def _country_data() -> tuple[list[dict[str, Any]], list[str]]:
    """(country entries, not-a-place phrases) from countries.json."""
    data = read_data(_COUNTRIES_FILE)
    rows = _entries(_COUNTRIES_FILE, data, "countries", _COUNTRY_FIELDS)
    by_code: dict[str, dict[str, Any]] = {}
    for row in rows:
        if by_code.setdefault(row["iso3"], row) is not row:
            raise ValueError(f"{_COUNTRIES_FILE}: country {row['iso3']!r} appears twice")
    for row in rows:
        _check_codes(_COUNTRIES_FILE, f"the neighbours of {row['iso3']!r}", row["neighbours"], by_code)
    return rows, _strings(_COUNTRIES_FILE, data, "not_a_place")


@functools.cache
def _region_data() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(region entries, the "north" definition) from regions.json, checked against countries.json."""
    data = read_data(_REGIONS_FILE)
    regions = _entries(_REGIONS_FILE, data, "regions", _REGION_FIELDS)
    north = data.get("north")
    if not isinstance(north, dict):
        raise ValueError(f"{_REGIONS_FILE}: 'north' must be an object")
    primary = {r["name"] for r in regions if r.get("primary")}
    by_code = {row["iso3"]: row for row in _country_data()[0]}
    for row in by_code.values():
        if row["region"] not in primary:
            raise ValueError(f"{_COUNTRIES_FILE}: {row['iso3']!r} has region {row['region']!r}, not a primary region")
    for owner, spec in [("north", north)] + [(repr(r["name"]), r["members"]) for r in regions]:
        _check_members(owner, spec, primary, by_code)
    return regions, north


def _check_members(owner: str, spec: Mapping[str, Any], primary: set[str], known: Mapping[str, object]) -> None:
    extra = set(spec) - _MEMBER_KEYS - {"note"}
    if extra:
        raise ValueError(f"{_REGIONS_FILE}: the members of {owner} have unknown keys {sorted(extra)}")
    unknown_regions = [name for name in spec.get("regions", ()) if name not in primary]
    if unknown_regions:
        raise ValueError(f"{_REGIONS_FILE}: the members of {owner} name unknown regions {unknown_regions}")
    for key in ("countries", "except"):
        _check_codes(_REGIONS_FILE, f"the members of {owner}", spec.get(key, ()), known)


# --------------------------------------------------------------------------------------------
# Types and tables built from the data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    iso3: str
    name: str
    names: tuple[str, ...]
    region: str
    global_south: bool
    iso2: str = ""
    neighbours: tuple[str, ...] = ()


@dataclass(frozen=True)
class Region:
    name: str
    aliases: tuple[str, ...]
    members: frozenset[str]


@dataclass
class PlaceMatch:
    countries: list[str]
    regions: list[str]
    spans: list[tuple[int, int]]


def _plurals(demonym: str) -> list[str]:
    """The demonym and its likely plurals (en/fr/es/pt): -s, -es after s/x ("sénégalais" ->
    "sénégalaises", "senegalés" -> "senegaleses"), both after i ("marroquí" -> "marroquíes")."""
    if demonym.endswith(("s", "x", "S", "X")):
        return [demonym, demonym + "es"]
    if demonym.endswith(("z", "Z")):
        return [demonym]
    if fold(demonym).endswith("i"):
        return [demonym, demonym + "s", demonym + "es"]
    return [demonym, demonym + "s"]


def _country_names(row: Mapping[str, Any]) -> tuple[str, ...]:
    names = [row["name"], *row["aliases"]] + [form for d in row["demonyms"] for form in _plurals(d)]
    # Keep the first spelling of each folded form, without the case-sensitivity marker.
    seen: dict[str, str] = {}
    for alias in names:
        seen.setdefault(normalise(alias), alias.lstrip("="))
    return tuple(seen.values())


def _is_north(iso3: str, region: str) -> bool:
    north = _region_data()[1]
    return region in north.get("regions", ()) or iso3 in north.get("countries", ())


def _build_countries() -> dict[str, Country]:
    return {
        row["iso3"]: Country(
            iso3=row["iso3"],
            name=row["name"],
            names=_country_names(row),
            region=row["region"],
            global_south=not _is_north(row["iso3"], row["region"]),
            iso2=row["iso2"],
            neighbours=tuple(row["neighbours"]),
        )
        for row in _country_data()[0]
    }


COUNTRIES: dict[str, Country] = _build_countries()

_ISO2: dict[str, str] = {c.iso2: c.iso3 for c in COUNTRIES.values()}

PRIMARY_REGIONS: tuple[str, ...] = tuple(r["name"] for r in _region_data()[0] if r.get("primary"))


def _members(spec: Mapping[str, Any]) -> frozenset[str]:
    if spec.get("global_south"):
        return frozenset(c.iso3 for c in COUNTRIES.values() if c.global_south)
    regions = set(spec.get("regions", ()))
    members = {c.iso3 for c in COUNTRIES.values() if c.region in regions} | set(spec.get("countries", ()))
    return frozenset(members - set(spec.get("except", ())))


def _build_regions() -> dict[str, Region]:
    return {
        r["name"]: Region(
            name=r["name"],
            aliases=(r["name"], *(a.lstrip("=") for a in r["aliases"])),
            members=_members(r["members"]),
        )
        for r in _region_data()[0]
    }


REGIONS: dict[str, Region] = _build_regions()


# --------------------------------------------------------------------------------------------
# Alias index for free-text matching
# --------------------------------------------------------------------------------------------

_Kind = Literal["country", "region", "none"]


@dataclass(frozen=True)
class _Target:
    kind: _Kind
    key: str
    upper_only: bool


def _alias_entries() -> Iterable[tuple[str, _Target]]:
    rows, not_a_place = _country_data()
    for row in rows:
        for alias in [row["name"], *row["aliases"]]:
            yield alias.lstrip("="), _Target("country", row["iso3"], alias.startswith("="))
        for demonym in row["demonyms"]:
            for form in _plurals(demonym):
                yield form, _Target("country", row["iso3"], False)
    for region in _region_data()[0]:
        for alias in [region["name"], *region["aliases"]]:
            yield alias.lstrip("="), _Target("region", region["name"], alias.startswith("="))
    for phrase in not_a_place:
        yield phrase, _Target("none", "", False)


def _build_alias_index() -> dict[tuple[str, ...], list[_Target]]:
    index: dict[tuple[str, ...], list[_Target]] = {}
    for alias, target in _alias_entries():
        key = tuple(normalise(alias).split())
        targets = index.setdefault(key, [])
        clash = [t for t in targets if (t.kind, t.key) != (target.kind, target.key)]
        if clash:
            # An alias naming two places would make answers depend on table order: fail at import.
            raise ValueError(f"alias {alias!r} names both {clash[0].key!r} and {target.key!r}")
        if target not in targets:
            targets.append(target)
    return index


_ALIAS_INDEX: dict[tuple[str, ...], list[_Target]] = _build_alias_index()
_MAX_ALIAS_TOKENS: int = max(len(k) for k in _ALIAS_INDEX)


# Arabic writes some words joined to the next one: "و" and, "ف" so, then "ب" in/with, "ك" like,
# "ل" for ("بالسنغال", "والمغرب", "لمصر", "وبالمغرب"); "ل" + "ال" is written "لل" ("للمغرب").
_ARABIC_CONJUNCTIONS = ("و", "ف")
_ARABIC_PREPOSITIONS = ("ب", "ك", "ل")
_ARABIC_ARTICLE = "ال"
_ARABIC_AND = "و"
_LIST_COMMAS = (",", "،")
#: Shortest word left once clitics are taken off: "في" of "وفي مالي"; single-word names are longer.
_MIN_ARABIC_STEM = 2


def _is_arabic(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in word)


@functools.lru_cache(maxsize=8192)
def arabic_forms(word: str) -> tuple[tuple[str, bool], ...]:
    """The forms a folded Arabic word may have without its one-letter clitics and, for names
    written without the article, without "ال" ("الموزمبيق"), each with whether an "و" was taken off;
    the word itself is not included. Empty for a word that is not Arabic."""
    if not _is_arabic(word):
        return ()
    forms: dict[str, bool] = {}

    def add(form: str, after_and: bool) -> None:
        if len(form) >= _MIN_ARABIC_STEM and form != word:
            forms.setdefault(form, after_and)

    heads = [(word, False)]
    if word[:1] in _ARABIC_CONJUNCTIONS:
        heads.append((word[1:], word[0] == _ARABIC_AND))
    for head, after_and in list(heads):
        if head[:2] == "لل":
            heads.append((_ARABIC_ARTICLE + head[2:], after_and))
        elif head[:1] in _ARABIC_PREPOSITIONS:
            heads.append((head[1:], after_and))
    for head, after_and in heads:
        add(head, after_and)
    for head, after_and in heads:
        if head.startswith(_ARABIC_ARTICLE):
            add(head[len(_ARABIC_ARTICLE) :], after_and)
    return tuple(forms.items())


def _after_comma(tokens: list[Token], text: str, start: int) -> bool:
    before = text[tokens[start - 1].end : tokens[start].start] if start else ""
    return any(mark in before for mark in _LIST_COMMAS)


def _target_at(tokens: list[Token], text: str, start: int, length: int) -> tuple[_Target, bool] | None:
    """The place named by `length` words from `start`, with whether it counts only in a list: an
    Arabic '=' name joined by "و" or a comma to the country before it ("السنغال ومالي", "السنغال، مالي")."""
    words = tuple(t.text for t in tokens[start : start + length])
    for target in _ALIAS_INDEX.get(words, ()):
        if target.upper_only and not all(text[t.start : t.end].isupper() for t in tokens[start : start + length]):
            if target.kind == "country" and _is_arabic(words[0]) and _after_comma(tokens, text, start):
                return target, True
            continue
        return target, False
    for form, after_and in arabic_forms(words[0]):
        for target in _ALIAS_INDEX.get((form, *words[1:]), ()):
            if not target.upper_only:
                return target, False
            if after_and and target.kind == "country":
                return target, True
    return None


def _candidate_matches(tokens: list[Token], text: str) -> list[tuple[int, int, _Target]]:
    found = []
    country_ends: set[int] = set()  # token indices where a country name ends
    for start in range(len(tokens)):
        for length in range(1, min(_MAX_ALIAS_TOKENS, len(tokens) - start) + 1):
            hit = _target_at(tokens, text, start, length)
            if hit is None:
                continue
            target, listed_only = hit
            if listed_only and start - 1 not in country_ends:
                continue
            found.append((start, length, target))
            if target.kind == "country":
                country_ends.add(start + length - 1)
    return found


def _longest_first(candidates: list[tuple[int, int, _Target]]) -> list[tuple[int, int, _Target]]:
    """Non-overlapping matches, longer ones winning, returned in text order."""
    taken: set[int] = set()
    kept = []
    for start, length, target in sorted(candidates, key=lambda c: (-c[1], c[0])):
        span = set(range(start, start + length))
        if span & taken:
            continue
        taken |= span
        kept.append((start, length, target))
    return sorted(kept, key=lambda c: c[0])


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def find_places(text: str) -> PlaceMatch:
    """Countries (ISO3) and region names mentioned in `text`, each once, in order of appearance.

    Regions are returned by name, not expanded: use REGIONS[name].members for that.
    """
    tokens = tokenise(text)
    match = PlaceMatch(countries=[], regions=[], spans=[])
    for start, length, target in _longest_first(_candidate_matches(tokens, text)):
        if target.kind == "none":
            continue
        match.spans.append((tokens[start].start, tokens[start + length - 1].end))
        found = match.countries if target.kind == "country" else match.regions
        if target.key not in found:
            found.append(target.key)
    return match


def _country(iso3: object) -> Country | None:
    return COUNTRIES.get(iso3.strip().upper()) if isinstance(iso3, str) else None


def region_of(iso3: str) -> str | None:
    """Primary region of a country code (any case), or None if unknown."""
    country = _country(iso3)
    return country.region if country else None


def neighbours(iso3: str) -> tuple[str, ...]:
    """ISO3 codes of the countries sharing a land border with a country code (any case), sorted;
    empty for an island state or an unknown code."""
    country = _country(iso3)
    return country.neighbours if country else ()


def country_code(name_or_code: str) -> str | None:
    """ISO3 code from an ISO3 or ISO2 code or any name, alias or demonym; None if not a country.

    Formal names with extra words ("Bolivia (Plurinational State of)") resolve when they name
    exactly one country.
    """
    if not isinstance(name_or_code, str) or not name_or_code.strip():
        return None
    raw = name_or_code.strip()
    if raw.upper() in COUNTRIES:
        return raw.upper()
    if len(raw) == 2 and raw.upper() in _ISO2:
        return _ISO2[raw.upper()]
    # An explicit lookup is not free text, so aliases kept upper-case-only there ("usa") count here.
    for target in _ALIAS_INDEX.get(tuple(normalise(raw).split()), ()):
        if target.kind == "country":
            return target.key
    places = find_places(raw)
    if len(places.countries) == 1 and not places.regions:
        return places.countries[0]
    return None


@functools.cache
def _localised_names() -> dict[str, Mapping[str, str]]:
    """iso3 -> {language: name} from the optional "names" maps of countries.json."""
    names: dict[str, Mapping[str, str]] = {}
    for row in _country_data()[0]:
        value = row.get("names", {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(f"{_COUNTRIES_FILE}: 'names' of {row['iso3']!r} must map languages to names")
        names[row["iso3"]] = value
    return names


def country_name(iso3: str, language: str | None = None) -> str:
    """Name of a country code (any case) in `language` when countries.json has it, else English; the code itself
    when unknown."""
    country = _country(iso3)
    if country is None:
        return iso3
    return _localised_names()[country.iso3].get(language or "en", country.name)
