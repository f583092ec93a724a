"""Column mappings for CSV tables: which columns feed which document field, the `undp-acclabs` preset, and a mapping
guessed from a header when none is given."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant.errors import InvalidInput
from assistant.knowledge.documents import KINDS, Kind

Columns = str | Sequence[str] | None
_NUMBERED = "{n}"


@dataclass
class CsvMapping:
    """Which column(s) feed each document field.

    Each field takes one column name or a list of them. A name may contain `{n}` for numbered columns
    ("sdgs-tag-{n}" means sdgs-tag-1, sdgs-tag-2, ... every one the file has). Text fields take the first
    non-empty column (`body` joins them all); list fields (countries, sdgs, themes, partners) take every
    value, and a cell may itself hold a ";"- or ","-separated list (partners: ";" or "|" only, since
    organisation names often contain commas). Country cells may hold ISO3, ISO2 or names; SDG cells numbers
    ("6", "SDG 6") or goal names (misspellings tolerated).
    """

    id: Columns = None
    title: Columns = None
    summary: Columns = None
    body: Columns = None
    countries: Columns = None
    region: Columns = None
    sdgs: Columns = None
    themes: Columns = None
    provider: Columns = None
    partners: Columns = None
    contact: Columns = None
    url: Columns = None
    language: Columns = None
    status: Columns = None
    #: Kind of every document of the file; `kind_column` (values among KINDS) overrides it per row.
    kind: Kind = "solution"
    kind_column: Columns = None
    #: Provider built from the row when the provider column is empty, e.g. "UNDP Accelerator Lab {country}";
    #: `{column}` is that column's value; the template is skipped when a referenced value is empty.
    provider_template: str | None = None
    #: Fields this mapping leaves out are guessed from the header (a curator's `--map` names only what differs).
    guess: bool = False
    #: Columns no field uses become the document's `extra` metadata (presets of known exports turn this off).
    keep_extra: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")

    def columns(self, name: str) -> tuple[str, ...]:
        value = getattr(self, name)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        return tuple(value)


_SETTINGS = ("kind", "provider_template", "guess", "keep_extra")
_COLUMN_FIELDS = tuple(f.name for f in fields(CsvMapping) if f.name not in _SETTINGS)
#: Every key a mapping (``--map FIELD=COLUMN`` or a mapping file) may set.
MAPPING_KEYS: tuple[str, ...] = _COLUMN_FIELDS + _SETTINGS
_LIST_FIELDS = ("countries", "sdgs", "themes", "partners")


ACCLABS = CsvMapping(
    id="pad_id",
    title="title",
    summary="snippet",
    body="content",
    # iso3 first (the lab's country), then every location. Some locations carry Natural Earth sub-unit codes
    # (ZAX, USB, ENG...) that are not ISO3: the location-N-country names after them rescue those.
    countries=("iso3", "location-{n}-iso3", "location-{n}-country"),
    sdgs="sdgs-tag-{n}",
    themes="thematic_areas-tag-{n}",  # auto_thematic-tag-N are machine-extracted keywords: noise
    status="status",
    provider_template="UNDP Accelerator Lab {country}",
    keep_extra=False,  # dozens of auto-tag and location columns: noise, and re-embedding every record
)

#: Header names recognised when no mapping is given (compared lower-cased, "-"/" " read as "_").
_GUESSES: dict[str, tuple[str, ...]] = {
    "id": ("id", "pad_id", "identifier", "doc_id", "document_id"),
    "title": ("title", "name"),
    "summary": ("summary", "snippet", "description", "abstract"),
    "body": ("body", "content", "text"),
    "countries": ("country", "countries", "iso3", "country_code", "country_iso3"),
    "region": ("region",),
    "sdgs": ("sdg", "sdgs"),
    "themes": ("theme", "themes", "tags", "tag", "topics"),
    "provider": ("provider", "organisation", "organization"),
    "partners": ("partners", "partner"),
    "contact": ("contact", "email"),
    "url": ("url", "link"),
    "language": ("language", "lang"),
    "status": ("status",),
    "kind_column": ("kind",),
}
_NUMBER_SUFFIX = re.compile(r"(_tag)?_?\d+$")


def _norm_header(name: str) -> str:
    return re.sub(r"[\s\-_]+", "_", name.strip().lower())


def guess_mapping(header: Sequence[str]) -> CsvMapping:
    """A mapping from common header names; list fields also take numbered columns ("sdg_1", "sdgs-tag-2")."""
    chosen: dict[str, Any] = {}  # CsvMapping's keyword arguments: column fields only
    normalised = [(_norm_header(h), h) for h in header]
    for field_name, names in _GUESSES.items():
        found: list[str] = []
        for name in names:  # in order of preference
            found += [h for norm, h in normalised if norm == name and h not in found]
        if field_name in _LIST_FIELDS:
            found += [
                h
                for norm, h in normalised
                if h not in found and norm != _NUMBER_SUFFIX.sub("", norm) and _NUMBER_SUFFIX.sub("", norm) in names
            ]
        if found:
            chosen[field_name] = found if field_name in _LIST_FIELDS else found[:1]
    return CsvMapping(**chosen)


def _expand(spec: str, header: Sequence[str], index: dict[str, int]) -> list[int]:
    """Column indexes a column spec names: exact (then case-insensitive) match, or every `{n}` column."""
    if _NUMBERED in spec:
        before, _, after = spec.partition(_NUMBERED)
        pattern = re.compile(re.escape(before.lower()) + r"(\d+)" + re.escape(after.lower()) + r"$")
        numbered = []
        for i, name in enumerate(header):
            match = pattern.match(name.strip().lower())
            if match:
                numbered.append((int(match.group(1)), i))
        return [i for _, i in sorted(numbered)]
    if spec in index:
        return [index[spec]]
    lowered = spec.strip().lower()
    return [i for i, name in enumerate(header) if name.strip().lower() == lowered][:1]


@dataclass
class ResolvedMapping:
    columns: dict[str, list[int]]
    template: str | None
    template_fields: list[int]
    kind: Kind
    #: Indexes of the columns kept as `extra` metadata (every column no field uses, with keep_extra).
    extra: list[int] = field(default_factory=list)
    #: "field=column" for each column the mapping names that the file does not have.
    missing: list[str] = field(default_factory=list)

    def used(self) -> set[int]:
        return {i for found in self.columns.values() for i in found} | set(self.template_fields)


def _resolve_columns(mapping: CsvMapping, header: list[str], missing: list[str]) -> dict[str, list[int]]:
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(name, i)
    columns: dict[str, list[int]] = {}
    for name in _COLUMN_FIELDS:
        found: list[int] = []
        for spec in mapping.columns(name):
            matched = _expand(spec, header, index)
            if not matched and _NUMBERED not in spec:
                missing.append(f"{name}={spec}")
            found += [i for i in matched if i not in found]
        columns[name] = found
    return columns


def _with_guesses(mapping: CsvMapping, columns: dict[str, list[int]], header: list[str]) -> None:
    """Fill the fields the mapping leaves out from the header's names, never reusing a column it assigns."""
    taken = {i for found in columns.values() for i in found}
    guessed = _resolve_columns(guess_mapping(header), header, [])
    for name in _COLUMN_FIELDS:
        if not mapping.columns(name):
            columns[name] = [i for i in guessed[name] if i not in taken]
            taken.update(columns[name])


def resolve_mapping(mapping: CsvMapping, header: list[str]) -> ResolvedMapping:
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(name, i)
    missing: list[str] = []
    columns = _resolve_columns(mapping, header, missing)
    if mapping.guess:
        _with_guesses(mapping, columns, header)
    template_fields: list[int] = []
    template = mapping.provider_template
    if template:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        positions = [_expand(n, header, index) for n in names]
        if all(positions):
            template_fields = [p[0] for p in positions]
            template = re.sub(r"\{[^{}]*\}", "{}", template)
        else:
            template = None
    resolved = ResolvedMapping(columns, template, template_fields, mapping.kind, missing=missing)
    if mapping.keep_extra:
        used = resolved.used()
        resolved.extra = [i for i in range(len(header)) if i not in used]
    return resolved


def _check_key(key: str, where: str) -> None:
    if key not in MAPPING_KEYS:
        raise InvalidInput(f"Unknown field '{key}' in {where}; fields: {', '.join(MAPPING_KEYS)}.")


def _setting(key: str, value: Any, where: str) -> Any:
    if key in ("guess", "keep_extra"):
        if isinstance(value, bool):
            return value
        if str(value).strip().lower() in ("true", "yes", "1", "false", "no", "0"):
            return str(value).strip().lower() in ("true", "yes", "1")
        raise InvalidInput(f"'{key}' in {where} takes true or false, not {value!r}.")
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"'{key}' in {where} takes one text value, not {value!r}.")
    return value.strip()


def _read_mapping_file(path: Path) -> dict[str, Any]:
    import yaml

    where = f"the mapping file {path}"
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"Cannot read {where}: {exc.strerror or exc}.") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{where[0].upper()}{where[1:]} is not valid YAML ({exc}).") from None
    if not isinstance(loaded, dict):
        raise InvalidInput(f"{where[0].upper()}{where[1:]} must map fields to columns (title: solution_name).")
    values: dict[str, Any] = {}
    for key, value in loaded.items():
        key = str(key)
        _check_key(key, where)
        if key in _SETTINGS:
            values[key] = _setting(key, value, where)
        elif isinstance(value, str) and value.strip():
            values[key] = [value.strip()]
        elif isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
            values[key] = [v.strip() for v in value]
        else:
            raise InvalidInput(f"'{key}' in {where} takes a column name or a list of them, not {value!r}.")
    return values


def curator_mapping(pairs: Sequence[str] = (), path: Path | None = None) -> CsvMapping:
    """A curator's mapping: the mapping file's entries, then each ``FIELD=COLUMN`` of `pairs` over them (a field
    named twice takes both columns). Fields left out are guessed from the header unless the file says
    ``guess: false``."""
    values: dict[str, Any] = _read_mapping_file(path) if path else {}
    overridden: set[str] = set()
    for pair in pairs:
        key, sep, column = pair.partition("=")
        key, column = key.strip(), column.strip()
        if not sep or not key or not column:
            raise InvalidInput(f"--map takes FIELD=COLUMN (e.g. title=solution_name), not '{pair}'.")
        _check_key(key, "--map")
        if key in _SETTINGS:
            values[key] = _setting(key, column, "--map")
        else:
            values[key] = [*(values.get(key, []) if key in overridden else []), column]
            overridden.add(key)
    values.setdefault("guess", True)
    try:
        return CsvMapping(**values)
    except ValueError as exc:
        raise InvalidInput(f"Invalid mapping: {exc}.") from None
