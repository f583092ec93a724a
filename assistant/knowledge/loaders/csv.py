"""CSV tables: one document per row, through a column mapping (given, preset, or guessed from the header).

`ACCLABS` is the preset for the UNDP Accelerator Labs "solutions mapping" export (`pad_id`, `snippet`,
`content`, `location-N-iso3`, `sdgs-tag-N`, `thematic_areas-tag-N`, ...).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import LoadError
from assistant.knowledge.documents import Kind, KnowledgeDocument, is_kind
from assistant.knowledge.loaders.common import doc_id_for, read_text
from assistant.knowledge.loaders.csv_mapping import ACCLABS, CsvMapping, ResolvedMapping, guess_mapping, resolve_mapping
from assistant.text.language import SUPPORTED, detect_language

log = logging.getLogger(__name__)

#: Characters of title + summary + body given to language detection (the costly step on big files).
DETECT_CHARS = 600
_DELIMITERS = (",", ";", "\t")


def _raise_field_size_limit() -> None:
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # C long is 32-bit on some platforms
            limit //= 10


def sniff_delimiter(header_line: str) -> str:
    """The most frequent of , ; TAB in the header line outside quotes (',' when none)."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


_LIST_SPLIT = re.compile(r"\s*[;|\n]\s*")
_LIST_SPLIT_COMMA = re.compile(r"\s*[;|,\n]\s*")


def _split(cell: str, commas: bool = True) -> list[str]:
    parts = (_LIST_SPLIT_COMMA if commas else _LIST_SPLIT).split(cell)
    return [p.strip() for p in parts if p.strip()]


@lru_cache(maxsize=8192)
def _country_code(value: str) -> str | None:
    from assistant.text.geo import country_code

    return country_code(value)


@lru_cache(maxsize=8192)
def _sdg_number(value: str) -> int | None:
    from assistant.text.sdg import sdg_number

    return sdg_number(value)


_HARD_SEPARATOR = re.compile(r"[;|\n]")


def _cell_values(cell: str, lookup, codes_only_lists: bool):
    """(part, value) pairs of a cell that may hold one item or a list of them.

    ";", "|" and line breaks always separate items. A comma may belong to one name ("Congo, Democratic
    Republic of the", "Peace, justice and strong institutions"): the cell is split at commas only when every
    part resolves (`codes_only_lists`: and every part holds a digit, as in "SDG 6, 13").
    """
    if _HARD_SEPARATOR.search(cell):
        return [(part, lookup(part)) for part in _split(cell)]
    parts = _split(cell) if "," in cell else [cell]
    if len(parts) > 1:
        resolved = [(part, lookup(part)) for part in parts]
        splittable = all(value for _, value in resolved)
        if codes_only_lists:
            splittable = splittable and all(any(ch.isdigit() for ch in part) for part in parts)
        if splittable:
            return resolved
        whole = lookup(cell)
        if whole:
            return [(cell, whole)]
        return resolved
    return [(cell, lookup(cell))]


def _countries(values: list[str], unknown: set[str]) -> list[str]:
    """ISO3 codes of cells holding ISO3/ISO2 codes or names, or lists of them; unknown values are collected."""
    out: list[str] = []
    for value in values:
        for part, code in _cell_values(value, _country_code, codes_only_lists=False):
            if not code:
                unknown.add(part)
            elif code not in out:
                out.append(code)
    return out


def _sdgs(values: list[str]) -> list[int]:
    out: list[int] = []
    for value in values:
        for _, number in _cell_values(value, _sdg_number, codes_only_lists=True):
            if number and number not in out:
                out.append(number)
    return out


_LANGUAGE_NAMES = {
    "english": "en",
    "anglais": "en",
    "inglés": "en",
    "ingles": "en",
    "inglês": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "francés": "fr",
    "frances": "fr",
    "francês": "fr",
    "spanish": "es",
    "espagnol": "es",
    "español": "es",
    "espanol": "es",
    "espanhol": "es",
    "portuguese": "pt",
    "portugais": "pt",
    "portugués": "pt",
    "português": "pt",
    "portugues": "pt",
    "arabic": "ar",
    "arabe": "ar",
    "árabe": "ar",
    "العربية": "ar",
    "swahili": "sw",
    "kiswahili": "sw",
}


def _language_code(value: str) -> str | None:
    value = value.strip().lower()
    code = value.replace("_", "-").split("-")[0]
    if code in SUPPORTED:
        return code
    return _LANGUAGE_NAMES.get(value)


def _short_title(text: str, limit: int = 120) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(first) <= limit:
        return first
    cut = first[:limit].rsplit(" ", 1)[0]
    return (cut or first[:limit]).rstrip(" ,;:") + "…"


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    text = read_text(path)  # UTF-8 with or without BOM; anything else raises UnicodeDecodeError
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # also inside quoted cells
    _raise_field_size_limit()
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text), delimiter=sniff_delimiter(first_line))
    try:
        header = next(reader)
    except StopIteration:
        raise LoadError(path, "the CSV is empty") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise LoadError(path, "the CSV has no header row (the first line is blank)")
    return header, list(reader)


class _Row:
    """One data row, read through the resolved columns."""

    def __init__(self, cells: list[str], resolved: ResolvedMapping):
        self.cells = cells
        self.resolved = resolved

    def has(self, name: str) -> bool:
        """Whether the mapping gives the field any column."""
        return bool(self.resolved.columns[name])

    def values(self, name: str) -> list[str]:
        """The non-empty cells of the field's columns, in column order."""
        out = []
        for i in self.resolved.columns[name]:
            if i < len(self.cells):
                cell = self.cells[i].strip()
                if cell:
                    out.append(cell)
        return out

    def first(self, name: str) -> str | None:
        found = self.values(name)
        return found[0] if found else None


def _row_countries(row: _Row, text: str, unknown: set[str]) -> list[str]:
    from assistant.text.geo import find_places

    if row.has("countries"):
        return _countries(row.values("countries"), unknown)
    return list(find_places(text[:5000]).countries)


def _row_sdgs(row: _Row, text: str) -> list[int]:
    from assistant.text.sdg import find_sdgs

    if row.has("sdgs"):
        return _sdgs(row.values("sdgs"))
    return find_sdgs(text[:5000])[:4]


def _row_language(row: _Row, text: str) -> str:
    language = None
    if row.has("language"):
        language = _language_code(row.first("language") or "")
    if language is None:
        language = detect_language(text[:DETECT_CHARS])
    return language


def _row_provider(row: _Row) -> str | None:
    """The provider column, else the provider template filled from the row (when every value it needs is there)."""
    provider = row.first("provider")
    template = row.resolved.template
    if provider is None and template:
        parts = [row.cells[i].strip() if i < len(row.cells) else "" for i in row.resolved.template_fields]
        if all(parts):
            provider = template.format(*parts)
    return provider


def _row_kind(row: _Row) -> Kind:
    """The row's kind column when it holds a value, else the file's kind."""
    row_kind = (row.first("kind_column") or "").strip().lower() if row.has("kind_column") else ""
    if not row_kind:
        return row.resolved.kind
    if not is_kind(row_kind):
        raise ValueError(f"unknown kind {row_kind!r}")
    return row_kind


def _row_document(
    row: _Row, doc_id: str, title: str, summary: str, body: str, path: Path, unknown: set[str]
) -> KnowledgeDocument:
    """The row's document; an invalid row raises ValueError or pydantic's ValidationError."""
    from assistant.text.geo import region_of

    text = f"{title}\n{summary}\n{body}"
    countries = _row_countries(row, text, unknown)
    sdgs = _row_sdgs(row, text)
    themes = [t for cell in row.values("themes") for t in _split(cell)]
    # organisation names often contain commas ("Ministry of Health, Kenya"): only ; | and newlines split
    partners = [p for cell in row.values("partners") for p in _split(cell, commas=False)]
    language = _row_language(row, text)
    provider = _row_provider(row)
    kind = _row_kind(row)
    return KnowledgeDocument(
        id=doc_id,
        kind=kind,
        title=title,
        summary=summary,
        body=body,
        countries=countries,
        region=row.first("region") or (region_of(countries[0]) if countries else None),
        sdgs=sdgs,
        themes=themes,
        provider=provider,
        partners=partners,
        contact=row.first("contact"),
        url=row.first("url"),
        language=language,
        status=row.first("status"),
        source=str(path),
    )


def _failure_reason(exc: ValidationError | ValueError | LoadError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
    if isinstance(exc, LoadError):
        return exc.reason
    return str(exc).splitlines()[0]


@dataclass
class _Loaded:
    documents: list[KnowledgeDocument] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unknown_countries: set[str] = field(default_factory=set)


def _load_rows(path: Path, rows: list[list[str]], resolved: ResolvedMapping) -> _Loaded:
    """Every row with a title or text, as a document; invalid rows are collected as failures."""
    stem_id = doc_id_for(path)
    loaded = _Loaded()
    seen_ids: set[str] = set()
    for number, cells in enumerate(rows, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        row = _Row(cells, resolved)
        title = " ".join((row.first("title") or "").split())
        summary = row.first("summary") or ""
        body = "\n\n".join(row.values("body"))
        if not title and not body and not summary:
            continue  # nothing to index
        try:
            doc_id = row.first("id") or f"{stem_id}-{number}"
            if doc_id in seen_ids:
                raise ValueError(f"duplicate id {doc_id!r}")
            title = title or _short_title(body or summary)
            document = _row_document(row, doc_id, title, summary, body, path, loaded.unknown_countries)
        except (ValidationError, ValueError, LoadError) as exc:
            loaded.failures.append(f"row {number}: {_failure_reason(exc)}")
            continue
        seen_ids.add(doc_id)
        loaded.documents.append(document)
    return loaded


def _report(path: Path, loaded: _Loaded) -> None:
    """Log what was ignored or skipped; raise when no row made a document."""
    unknown = loaded.unknown_countries
    if unknown:
        log.info(
            "%s: %d country values not recognised, ignored: %s", path, len(unknown), ", ".join(sorted(unknown)[:10])
        )
    failures = loaded.failures
    if failures:
        if not loaded.documents:
            raise LoadError(path, f"no valid row: all {len(failures)} rows failed (first: {failures[0]})")
        log.warning("%s: %d rows skipped (first: %s)", path, len(failures), failures[0])
    if not loaded.documents:
        raise LoadError(path, "no row has a title or text")


def load_csv(path: Path, mapping: CsvMapping | None = None) -> list[KnowledgeDocument]:
    path = Path(path)
    header, rows = _read_table(path)
    if not rows:
        raise LoadError(path, "the CSV has a header but no data rows")
    resolved = resolve_mapping(mapping or guess_mapping(header), header)
    cols = resolved.columns
    if not (cols["title"] or cols["body"] or cols["summary"]):
        shown = ", ".join(header[:12]) + (", ..." if len(header) > 12 else "")
        raise LoadError(path, f"no title or text column found (columns: {shown})")
    loaded = _load_rows(path, rows, resolved)
    _report(path, loaded)
    return loaded.documents


def load_acclabs(path: Path) -> list[KnowledgeDocument]:
    from assistant.knowledge.loaders.acclabs_form import apply_form

    # a record's content is often the filled form: prompts out, facts and affiliation read from the answers
    return [apply_form(doc) for doc in load_csv(path, ACCLABS)]


def looks_like_acclabs(path: Path) -> bool:
    """True for a UNDP Accelerator Labs export; reads the header line only and never raises."""
    try:
        with Path(path).open("r", encoding="utf-8-sig", errors="replace", newline="") as handle:
            line = handle.readline(1_000_000)
    except OSError:
        return False
    if not line.strip():
        return False
    try:
        header = next(csv.reader([line], delimiter=sniff_delimiter(line)))
    except (csv.Error, StopIteration):
        return False
    names = {h.strip().lower() for h in header}
    return {"pad_id", "title", "content"} <= names and any(n.startswith("sdgs-tag-") for n in names)
