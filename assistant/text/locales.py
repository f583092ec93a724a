"""Every user-facing phrase, one JSON file per language in assistant/locales/ (en.json, fr.json...).

The files are read once per process and validated together: there is exactly one file per language of
`assistant.text.language.SUPPORTED`, every key of en.json exists in every other file (and no other key does), with
the same kind of value (text or list of texts) and the same `{name}` placeholders. A file that breaks a rule raises
`LocaleError` naming the file and the key.

Keys are dotted paths into the files' sections: `phrase("fr", "bot.welcome")`, `section("es", "region_names")`.
A language outside SUPPORTED (or None) reads English, as every interface did before the phrases moved here. Where
a language has no translation of its own, its file holds the English text, so every key exists everywhere.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from assistant.text.language import SUPPORTED

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DEFAULT_LANGUAGE = "en"

#: A flattened locale: dotted key -> text, or tuple of texts for list values.
Flat = dict[str, str | tuple[str, ...]]


class LocaleError(ValueError):
    """A locale file is missing, unreadable or disagrees with en.json."""


# -- reading ---------------------------------------------------------------------------------------------------------


def placeholders(template: str) -> frozenset[str]:
    """The `{name}` fields of a template ("{n} solution(s), e.g. {title}" -> {"n", "title"})."""
    try:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)
    except ValueError as exc:  # an unmatched brace
        raise LocaleError(f"malformed template {template!r}: {exc}") from exc


def _flatten(data: Mapping, prefix: str, file: str) -> Flat:
    flat: Flat = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{path}.", file))
        elif isinstance(value, str):
            flat[path] = value
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            flat[path] = tuple(value)
        else:
            raise LocaleError(f"{file}: key {path!r} must be a text, a list of texts or a section")
    return flat


def _read(language: str, folder: Path) -> tuple[dict, Flat]:
    path = folder / f"{language}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LocaleError(f"{path.name}: missing (every language in SUPPORTED needs a locale file)") from exc
    except json.JSONDecodeError as exc:
        raise LocaleError(f"{path.name}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise LocaleError(f"{path.name}: must hold a JSON object")
    return data, _flatten(data, "", path.name)


# -- validation ------------------------------------------------------------------------------------------------------


def _fields(value: str | tuple[str, ...]) -> frozenset[str]:
    items = (value,) if isinstance(value, str) else value
    return frozenset().union(*(placeholders(item) for item in items))


def _problems(file: str, flat: Flat, reference: Flat) -> list[str]:
    """What is wrong with one locale measured against en.json."""
    problems = [f"{file}: key {key!r} is missing (en.json has it)" for key in reference if key not in flat]
    problems += [f"{file}: key {key!r} is not in en.json" for key in flat if key not in reference]
    for key, value in flat.items():
        expected = reference.get(key)
        if expected is None:
            continue
        if isinstance(value, str) != isinstance(expected, str):
            problems.append(f"{file}: key {key!r} must be a {'text' if isinstance(expected, str) else 'list'}")
        elif _fields(value) != _fields(expected):
            problems.append(
                f"{file}: key {key!r} has placeholders {sorted(_fields(value))}, en.json has {sorted(_fields(expected))}"
            )
    return problems


@dataclass(frozen=True)
class Locale:
    language: str
    data: dict  # as in the file: sections of texts
    flat: Flat  # dotted key -> value


def validate(folder: Path = LOCALES_DIR, languages: tuple[str, ...] = SUPPORTED) -> dict[str, Locale]:
    """Read and check every locale file; raise LocaleError listing every problem, else return them."""
    extra = sorted(p.name for p in folder.glob("*.json") if p.stem not in languages)
    if extra:
        raise LocaleError(f"{', '.join(extra)}: not a language in SUPPORTED (assistant/text/language.py)")
    locales = {language: Locale(language, *_read(language, folder)) for language in languages}
    reference = locales[DEFAULT_LANGUAGE].flat
    problems = [
        problem
        for language, locale in locales.items()
        if language != DEFAULT_LANGUAGE
        for problem in _problems(f"{language}.json", locale.flat, reference)
    ]
    if problems:
        raise LocaleError("invalid locale files:\n  " + "\n  ".join(problems))
    return locales


@cache
def _locales() -> Mapping[str, Locale]:
    """Every locale, read and validated once per process."""
    return MappingProxyType(validate())


# -- lookup ----------------------------------------------------------------------------------------------------------


def _locale(language: str | None) -> Locale:
    return _locales()[language if language is not None and language in SUPPORTED else DEFAULT_LANGUAGE]


def template(language: str | None, key: str) -> str:
    """The raw text of a key (placeholders unfilled), English for a language outside SUPPORTED."""
    locale = _locale(language)
    value = locale.flat[key]
    if not isinstance(value, str):
        raise LocaleError(f"{locale.language}.json: key {key!r} is a list, not a text")
    return value


def phrase(language: str | None, key: str, /, **values: object) -> str:
    """The text of a key in a language, its placeholders filled from `values` (left as they are without values)."""
    text = template(language, key)
    return text.format(**values) if values else text


def texts(language: str | None, key: str) -> tuple[str, ...]:
    """A list-valued key (e.g. "bot_examples"), English for a language outside SUPPORTED."""
    locale = _locale(language)
    value = locale.flat[key]
    if isinstance(value, str):
        raise LocaleError(f"{locale.language}.json: key {key!r} is a text, not a list")
    return value


def section(language: str | None, name: str) -> Mapping[str, str]:
    """A whole section of texts (e.g. "region_names", "bot"), read-only; English outside SUPPORTED."""
    locale = _locale(language)
    value = locale.data.get(name)
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise LocaleError(f"{locale.language}.json: {name!r} is not a section of texts")
    return MappingProxyType(value)
