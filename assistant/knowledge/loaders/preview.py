"""A dry run of loading: how each file's first rows would be read, and what a curator should fix first (unmapped
columns, columns the mapping names that the file lacks, unknown countries, empty titles, malformed rows).
Nothing is written anywhere."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import LoadError
from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.loaders import TABLE_FORMATS, chosen_format, iter_files, load_file
from assistant.knowledge.loaders.csv import TableLoad, load_spreadsheet
from assistant.knowledge.loaders.csv_mapping import CsvMapping

#: How many row numbers a warning lists before "and N more".
_SHOWN = 8


@dataclass
class RowPreview:
    #: Line (CSV) or row (XLSX) number; None for files that are not tables.
    line: int | None
    id: str
    title: str
    countries: list[str]
    sdgs: list[int]
    extra: dict[str, str]

    @classmethod
    def of(cls, doc: KnowledgeDocument, line: int | None = None) -> RowPreview:
        return cls(line, doc.id, doc.title, list(doc.countries), list(doc.sdgs), dict(doc.extra))


@dataclass
class FilePreview:
    path: str
    format: str = ""
    #: "utf-8", "cp1252 (detected)", ...; None when the format has no text encoding of its own.
    encoding: str | None = None
    #: Document field -> the columns that feed it (tables only).
    columns: dict[str, list[str]] = field(default_factory=dict)
    extra_columns: list[str] = field(default_factory=list)
    rows: list[RowPreview] = field(default_factory=list)
    documents: int = 0
    warnings: list[str] = field(default_factory=list)
    #: Why the file cannot be loaded at all (it would be reported as failed).
    error: str | None = None


def _lines(kind: str, numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_SHOWN])
    return f"{kind}{'s' if len(numbers) > 1 else ''} {shown}" + (
        f" and {len(numbers) - _SHOWN} more" if len(numbers) > _SHOWN else ""
    )


def _table_warnings(loaded: TableLoad) -> list[str]:
    table, resolved = loaded.table, loaded.resolved
    kind = "line" if table.delimiter else "row"
    warnings: list[str] = []
    if table.detected:
        warnings.append(f"not UTF-8: read as {table.encoding} (detected); check the accents, or pass --encoding")
    if resolved.missing:
        warnings.append(f"the mapping names columns the file does not have: {', '.join(resolved.missing)}")
    unmapped = [table.header[i] or f"column {i + 1}" for i in resolved.extra]
    if unmapped:
        warnings.append(
            f"columns no field reads, kept as extra metadata: {', '.join(unmapped)} (--map FIELD=COLUMN to use one)"
        )
    if not resolved.columns["title"]:
        warnings.append("no title column: titles are taken from the text (--map title=COLUMN to choose one)")
    if loaded.untitled:
        warnings.append(f"empty title, taken from the text: {_lines(kind, loaded.untitled)}")
    if loaded.empty:
        warnings.append(f"no title nor text, skipped: {_lines(kind, loaded.empty)}")
    if loaded.unknown_countries:
        unknown = sorted(loaded.unknown_countries)
        more = f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else ""
        warnings.append(f"country values not recognised, ignored: {', '.join(unknown[:_SHOWN])}{more}")
    warnings += [f"not loaded: {failure}" for failure in loaded.failures]
    return warnings


def _preview_table(preview: FilePreview, path: Path, loaded: TableLoad, rows: int) -> None:
    table, resolved = loaded.table, loaded.resolved
    if table.encoding:
        preview.encoding = table.encoding + (" (detected)" if table.detected else "")
    preview.columns = {name: [table.header[i] for i in found] for name, found in resolved.columns.items() if found}
    preview.extra_columns = [table.header[i] or f"column {i + 1}" for i in resolved.extra]
    preview.rows = [RowPreview.of(d, n) for d, n in zip(loaded.documents[:rows], loaded.lines, strict=False)]
    preview.documents = len(loaded.documents)
    preview.warnings = _table_warnings(loaded)


def preview_file(
    path: Path, fmt: str = "auto", mapping: CsvMapping | None = None, encoding: str | None = None, rows: int = 5
) -> FilePreview:
    path = Path(path)
    preview = FilePreview(str(path))
    try:
        preview.format = chosen_format(path, fmt)
        if preview.format in TABLE_FORMATS:
            acclabs = preview.format == "undp-acclabs" and mapping is None
            _preview_table(preview, path, load_spreadsheet(path, mapping, encoding, acclabs=acclabs), rows)
        else:
            documents = load_file(path, preview.format)
            preview.rows = [RowPreview.of(d) for d in documents[:rows]]
            preview.documents = len(documents)
    except LoadError as exc:
        preview.error = exc.reason
    except Exception as exc:  # a parser's own error, as load_file reports it
        preview.error = f"could not be read as {preview.format or 'a known format'} ({type(exc).__name__}: {exc})"
    return preview


def preview_paths(
    paths: Iterable[Path], fmt: str = "auto", mapping: CsvMapping | None = None, encoding: str | None = None
) -> list[FilePreview]:
    return [preview_file(path, fmt, mapping, encoding) for path in iter_files(paths)]
