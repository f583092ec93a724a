"""Document loaders: every supported file format becomes `KnowledgeDocument`s.

`load_paths` walks files and directories, picks a loader by format (or by file type with `auto`), and
reports each unreadable file as a `LoadError` instead of stopping: the rest still loads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.errors import LoadError
from assistant.knowledge.cleaning import clean_document
from assistant.knowledge.documents import KnowledgeDocument

if TYPE_CHECKING:
    from assistant.knowledge.loaders.csv import CsvMapping

log = logging.getLogger(__name__)

Format = Literal["auto", "markdown", "text", "html", "pdf", "docx", "csv", "xlsx", "undp-acclabs", "iati"]
FORMATS: tuple[str, ...] = ("auto", "markdown", "text", "html", "pdf", "docx", "csv", "xlsx", "undp-acclabs", "iati")
#: Formats read as a table (one document per row, through a column mapping).
TABLE_FORMATS = ("csv", "xlsx", "undp-acclabs")

Loader = Callable[[Path], list[KnowledgeDocument]]

_BY_SUFFIX = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xml": "iati",
}

#: Files a directory walk passes over: documentation of the folder itself, not knowledge.
_SKIPPED_NAMES = {"readme.md", "readme.txt", "license", "license.md"}
#: The lock file Office leaves beside a workbook that is open ("~$solutions.xlsx"): not a workbook.
_LOCK_PREFIX = "~$"


@dataclass
class LoadReport:
    documents: list[KnowledgeDocument] = field(default_factory=list)
    failures: list[LoadError] = field(default_factory=list)
    #: Every file that was read (successfully or not); used to scope pruning.
    files: list[Path] = field(default_factory=list)


def _loader_for(fmt: str) -> Loader:
    # Imports are local so that a missing optional parser only hurts the format that needs it.
    if fmt == "markdown":
        from assistant.knowledge.loaders.markdown import load_markdown

        return load_markdown
    if fmt == "text":
        from assistant.knowledge.loaders.text import load_text

        return load_text
    if fmt == "html":
        from assistant.knowledge.loaders.html import load_html

        return load_html
    if fmt == "pdf":
        from assistant.knowledge.loaders.pdf import load_pdf

        return load_pdf
    if fmt == "docx":
        from assistant.knowledge.loaders.docx import load_docx

        return load_docx
    if fmt == "csv":
        from assistant.knowledge.loaders.csv import load_csv

        return load_csv
    if fmt == "xlsx":
        from assistant.knowledge.loaders.csv import load_xlsx

        return load_xlsx
    if fmt == "undp-acclabs":
        from assistant.knowledge.loaders.csv import load_acclabs

        return load_acclabs
    if fmt == "iati":
        from assistant.knowledge.loaders.iati import load_iati

        return load_iati
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def detect_format(path: Path) -> str | None:
    fmt = _BY_SUFFIX.get(path.suffix.lower())
    if fmt == "csv":
        from assistant.knowledge.loaders.csv import looks_like_acclabs

        return "undp-acclabs" if looks_like_acclabs(path) else "csv"
    return fmt


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel_parts = child.relative_to(path).parts
                if any(part.startswith(".") for part in rel_parts):
                    continue
                if child.name.startswith(_LOCK_PREFIX) or child.name.lower() in _SKIPPED_NAMES:
                    continue
                if child.is_file() and child.suffix.lower() in _BY_SUFFIX:
                    yield child
        else:
            yield path


def chosen_format(path: Path, fmt: str = "auto") -> str:
    """The format `path` is read as; raises LoadError for a missing file or an unsupported type."""
    if not path.exists():
        raise LoadError(path, "file not found")
    if not path.is_file():
        raise LoadError(path, "not a regular file")
    chosen = detect_format(path) if fmt == "auto" else fmt
    if chosen is None:
        raise LoadError(path, f"unsupported file type '{path.suffix or path.name}'")
    return chosen


def _load_table(path: Path, fmt: str, csv_mapping: CsvMapping | None, encoding: str | None):
    from assistant.knowledge.loaders.csv import load_spreadsheet

    if fmt == "undp-acclabs" and csv_mapping is None:
        return load_spreadsheet(path, encoding=encoding, acclabs=True)
    return load_spreadsheet(path, csv_mapping, encoding)


def load_file(
    path: Path, fmt: str = "auto", csv_mapping: CsvMapping | None = None, encoding: str | None = None
) -> list[KnowledgeDocument]:
    """Load one file; raises LoadError (naming the path) for anything unreadable.

    `csv_mapping` (assistant.knowledge.loaders.csv.CsvMapping) maps the columns of spreadsheets (CSV, XLSX; an
    AccLabs export given a mapping is read through it); `encoding` is a CSV's text encoding (default: detected).
    Rows that fail are logged; `load_paths` reports each one.
    """
    documents, rejected = _load_file(Path(path), fmt, csv_mapping, encoding)
    if rejected:
        log.warning("%s: %d rows skipped (first: %s)", path, len(rejected), rejected[0].reason)
    return documents


def _load_file(
    path: Path, fmt: str, csv_mapping: CsvMapping | None, encoding: str | None
) -> tuple[list[KnowledgeDocument], list[LoadError]]:
    """The file's documents, and one LoadError per table row that did not make one ("line N: why")."""
    chosen = chosen_format(path, fmt)
    rejected: list[LoadError] = []
    try:
        if path.stat().st_size == 0:
            raise LoadError(path, "empty file")
        if chosen in TABLE_FORMATS:
            loaded = _load_table(path, chosen, csv_mapping, encoding)
            documents = loaded.documents
            rejected = [LoadError(path, reason) for reason in loaded.failures]
        else:
            documents = _loader_for(chosen)(path)
    except LoadError:
        raise
    except UnicodeDecodeError as exc:
        raise LoadError(path, f"not valid UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except PermissionError as exc:
        raise LoadError(path, "permission denied") from exc
    except OSError as exc:
        raise LoadError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except Exception as exc:  # a parser's own error: report it for this file, keep going with the rest
        raise LoadError(path, f"could not be parsed as {chosen} ({type(exc).__name__}: {exc})") from exc
    if not documents:
        raise LoadError(path, "no documents found in the file")
    source = str(path)
    for doc in documents:
        if not doc.source:
            doc.source = source
        clean_document(doc)  # once, for every format: entities, whitespace, personal contacts
    return documents, rejected


def load_paths(
    paths: Iterable[Path], fmt: str = "auto", csv_mapping: CsvMapping | None = None, encoding: str | None = None
) -> LoadReport:
    """Every file's documents; each unreadable file, and each spreadsheet row that made no document, a failure."""
    report = LoadReport()
    for path in iter_files(paths):
        report.files.append(path)
        try:
            documents, rejected = _load_file(Path(path), fmt, csv_mapping, encoding)
        except LoadError as exc:
            report.failures.append(exc)
            continue
        report.documents.extend(documents)
        report.failures.extend(rejected)
    return report
