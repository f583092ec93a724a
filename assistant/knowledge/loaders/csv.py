"""Spreadsheet rows (CSV, XLSX): one document per row, through a column mapping (given, preset, or guessed from
the header). Row ids are stable: the id column's value, else a hash of what identifies the row (title and
countries), never its position, so a re-sorted file is the same documents.

`ACCLABS` is the preset for the UNDP Accelerator Labs "solutions mapping" export (`pad_id`, `snippet`,
`content`, `location-N-iso3`, `sdgs-tag-N`, `thematic_areas-tag-N`, ...).
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from assistant.errors import LoadError
from assistant.knowledge.cleaning import clean_text
from assistant.knowledge.documents import Kind, KnowledgeDocument, is_kind
from assistant.knowledge.loaders.common import doc_id_for
from assistant.knowledge.loaders.csv_mapping import ACCLABS, CsvMapping, ResolvedMapping, guess_mapping, resolve_mapping
from assistant.knowledge.loaders.tables import Table, read_csv_table, read_xlsx_table, sniff_delimiter
from assistant.text.language import SUPPORTED, detect_language

__all__ = ["ACCLABS", "CsvMapping", "load_acclabs", "load_csv", "load_table", "looks_like_acclabs", "sniff_delimiter"]

log = logging.getLogger(__name__)

#: Characters of title + summary + body given to language detection (the costly step on big files).
DETECT_CHARS = 600


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
class TableLoad:
    """What a table made: its documents, and what a curator should hear about (the dry run shows it all)."""

    table: Table
    resolved: ResolvedMapping
    documents: list[KnowledgeDocument] = field(default_factory=list)
    #: Line number of each document's row, in the same order.
    lines: list[int] = field(default_factory=list)
    #: "line N: why" for every row not made into a document (malformed records included).
    failures: list[str] = field(default_factory=list)
    unknown_countries: set[str] = field(default_factory=set)
    #: Lines whose title cell is empty (the title was taken from the text), and lines with no title nor text.
    untitled: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)


def _where(table: Table, number: int) -> str:
    return f"{'line' if table.delimiter else 'row'} {number}"


def _row_texts(row: _Row) -> tuple[str, str, str]:
    title = " ".join((row.first("title") or "").split())
    return title, row.first("summary") or "", "\n\n".join(row.values("body"))


def _row_extra(row: _Row, header: list[str]) -> dict[str, str]:
    extra: dict[str, str] = {}
    for i in row.resolved.extra:
        cell = clean_text(row.cells[i]) if i < len(row.cells) else ""
        if cell:
            name = header[i] or f"column {i + 1}"
            extra[name if name not in extra else f"{name} ({i + 1})"] = cell
    return extra


#: The id of a row document until `_assign_ids` derives one (the row has no id cell).
_NO_ID = "\0"


def _read_rows(path: Path, loaded: TableLoad) -> None:
    """Every row with a title or text, as a document with its explicit id (or none yet); failures collected."""
    table, resolved = loaded.table, loaded.resolved
    for number, cells in table.rows:
        row = _Row(cells, resolved)
        title, summary, body = _row_texts(row)
        if not title and not body and not summary:
            loaded.empty.append(number)
            continue  # nothing to index
        if not title and row.has("title"):
            loaded.untitled.append(number)
        title = title or _short_title(body or summary)
        try:
            document = _row_document(
                row, row.first("id") or _NO_ID, title, summary, body, path, loaded.unknown_countries
            )
            document.extra = _row_extra(row, table.header)
        except (ValidationError, ValueError, LoadError) as exc:
            loaded.failures.append(f"{_where(table, number)}: {_failure_reason(exc)}")
            continue
        loaded.documents.append(document)
        loaded.lines.append(number)


def _digest(text: str, size: int = 10) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:size]


def _identity(doc: KnowledgeDocument, has_countries: bool) -> str:
    """What names the row: its title (case, Unicode form and spacing normalised) and the countries its cells give
    (as ISO3 codes, so "Kenya" and "KEN" are one)."""
    title = " ".join(unicodedata.normalize("NFKC", doc.title).casefold().split())
    return title + "|" + (",".join(sorted(doc.countries)) if has_countries else "")


def _content(doc: KnowledgeDocument) -> str:
    return doc.model_dump_json(exclude={"id", "source"})


def _assign_ids(path: Path, loaded: TableLoad) -> None:
    """Ids for the rows without one: file stem + hash of the row's identity; rows sharing an identity add their
    content's hash (identical rows are reported, the first kept). Explicit ids must be unique."""
    stem = doc_id_for(path)
    has_countries = bool(loaded.resolved.columns["countries"])
    identities = [_identity(d, has_countries) for d in loaded.documents]
    counts: dict[str, int] = {}
    for identity in identities:
        counts[identity] = counts.get(identity, 0) + 1
    shared = {k for k, n in counts.items() if n > 1}
    seen: dict[str, int] = {}
    kept: list[tuple[KnowledgeDocument, int]] = []
    for doc, number, identity in zip(loaded.documents, loaded.lines, identities, strict=True):
        derived = doc.id == _NO_ID
        if derived:
            doc.id = f"{stem}-{_digest(identity + ('|' + _content(doc) if identity in shared else ''))}"
        if doc.id in seen:
            same = "same title, countries and content as" if derived else "same id as"
            where = loaded.table
            loaded.failures.append(
                f"{_where(where, number)}: duplicate id {doc.id!r} ({same} {_where(where, seen[doc.id])})"
            )
            continue
        seen[doc.id] = number
        kept.append((doc, number))
    loaded.documents = [d for d, _ in kept]
    loaded.lines = [n for _, n in kept]


def load_table(path: Path, table: Table, mapping: CsvMapping | None = None) -> TableLoad:
    """The documents of a table read from `path`; raises LoadError when the mapping finds no title or text column."""
    path = Path(path)
    resolved = resolve_mapping(mapping or guess_mapping(table.header), table.header)
    cols = resolved.columns
    if not (cols["title"] or cols["body"] or cols["summary"]):
        shown = ", ".join(table.header[:12]) + (", ..." if len(table.header) > 12 else "")
        raise LoadError(path, f"no title or text column found (columns: {shown})")
    loaded = TableLoad(table, resolved, failures=list(table.malformed))
    _read_rows(path, loaded)
    _assign_ids(path, loaded)
    return loaded


def read_spreadsheet(path: Path, encoding: str | None = None) -> Table:
    """The table of a CSV or XLSX file (by its suffix)."""
    return read_xlsx_table(path) if path.suffix.lower() == ".xlsx" else read_csv_table(path, encoding)


def load_spreadsheet(
    path: Path, mapping: CsvMapping | None = None, encoding: str | None = None, acclabs: bool = False
) -> TableLoad:
    """Read and load a spreadsheet; raises LoadError when it has no data row or none of its rows loads."""
    path = Path(path)
    table = read_spreadsheet(path, encoding)
    if table.detected:
        log.warning("%s: not UTF-8; read as %s (detected; --encoding chooses another)", path, table.encoding)
    elif table.encoding:
        log.info("%s: read as %s", path, table.encoding)
    if not table.rows and not table.malformed:
        raise LoadError(path, "the file has a header but no data rows")
    loaded = load_table(path, table, ACCLABS if acclabs else mapping)
    if loaded.resolved.missing:
        log.warning(
            "%s: the mapping names columns the file does not have: %s", path, ", ".join(loaded.resolved.missing)
        )
    if acclabs:
        from assistant.knowledge.loaders.acclabs_form import apply_form

        # a record's content is often the filled form: prompts out, facts and affiliation read from the answers
        loaded.documents = [apply_form(doc) for doc in loaded.documents]
    _check(path, loaded)
    return loaded


def _check(path: Path, loaded: TableLoad) -> None:
    """Raise when no row made a document; log the unknown country values."""
    unknown = loaded.unknown_countries
    if unknown:
        log.info(
            "%s: %d country values not recognised, ignored: %s", path, len(unknown), ", ".join(sorted(unknown)[:10])
        )
    failures = loaded.failures
    if failures and not loaded.documents:
        raise LoadError(path, f"no valid row: all {len(failures)} rows failed (first: {failures[0]})")
    if not loaded.documents:
        raise LoadError(path, "no row has a title or text")


def _logged(path: Path, loaded: TableLoad) -> list[KnowledgeDocument]:
    if loaded.failures:
        log.warning("%s: %d rows skipped (first: %s)", path, len(loaded.failures), loaded.failures[0])
    return loaded.documents


def load_csv(path: Path, mapping: CsvMapping | None = None, encoding: str | None = None) -> list[KnowledgeDocument]:
    """A CSV's documents; rows that fail are logged (`load_spreadsheet` returns them)."""
    return _logged(Path(path), load_spreadsheet(path, mapping, encoding))


def load_xlsx(path: Path, mapping: CsvMapping | None = None) -> list[KnowledgeDocument]:
    """The first sheet of an Excel workbook, read like a CSV."""
    return _logged(Path(path), load_spreadsheet(path, mapping))


def load_acclabs(path: Path) -> list[KnowledgeDocument]:
    return _logged(Path(path), load_spreadsheet(path, acclabs=True))


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
