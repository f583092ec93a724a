"""Document loaders: every supported file format becomes `KnowledgeDocument`s.

`load_paths` walks files and directories, picks a loader by format (or by file type with `auto`), and
reports each unreadable file as a `LoadError` instead of stopping: the rest still loads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.errors import LoadError
from assistant.knowledge.cleaning import clean_document
from assistant.knowledge.documents import KnowledgeDocument

if TYPE_CHECKING:
    from assistant.knowledge.loaders.csv import CsvMapping

Format = Literal["auto", "markdown", "text", "html", "pdf", "docx", "csv", "undp-acclabs", "iati"]
FORMATS: tuple[str, ...] = ("auto", "markdown", "text", "html", "pdf", "docx", "csv", "undp-acclabs", "iati")

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
    ".xml": "iati",
}

#: Files a directory walk passes over: documentation of the folder itself, not knowledge.
_SKIPPED_NAMES = {"readme.md", "readme.txt", "license", "license.md"}


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
                if child.is_file() and child.name.lower() not in _SKIPPED_NAMES and child.suffix.lower() in _BY_SUFFIX:
                    yield child
        else:
            yield path


def load_file(path: Path, fmt: str = "auto", csv_mapping: CsvMapping | None = None) -> list[KnowledgeDocument]:
    """Load one file; raises LoadError (naming the path) for anything unreadable.

    `csv_mapping` (assistant.knowledge.loaders.csv.CsvMapping) maps the columns of files loaded as generic "csv".
    """
    path = Path(path)
    if not path.exists():
        raise LoadError(path, "file not found")
    if not path.is_file():
        raise LoadError(path, "not a regular file")
    chosen = detect_format(path) if fmt == "auto" else fmt
    if chosen is None:
        raise LoadError(path, f"unsupported file type '{path.suffix or path.name}'")
    try:
        if path.stat().st_size == 0:
            raise LoadError(path, "empty file")
        if chosen == "csv" and csv_mapping is not None:
            from assistant.knowledge.loaders.csv import load_csv

            documents = load_csv(path, csv_mapping)
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
    return documents


def load_paths(paths: Iterable[Path], fmt: str = "auto", csv_mapping: CsvMapping | None = None) -> LoadReport:
    report = LoadReport()
    for path in iter_files(paths):
        report.files.append(path)
        try:
            report.documents.extend(load_file(path, fmt, csv_mapping))
        except LoadError as exc:
            report.failures.append(exc)
    return report
