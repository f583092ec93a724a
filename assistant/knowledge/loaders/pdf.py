"""PDF files: the text layer of every page (pypdf). Scanned PDFs without a text layer are reported, not OCR'd."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import LoadError
from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.loaders.common import document_from_text

if TYPE_CHECKING:
    from pypdf import PdfReader

log = logging.getLogger(__name__)

#: Titles that PDF producers write by default and that say nothing about the document.
_JUNK_TITLE = re.compile(
    r"^(untitled|title|document\d*|microsoft (word|powerpoint|excel)\b.*|.*\.(docx?|pdf|pptx?|xlsx?|odt|rtf|tex|indd))$",
    re.IGNORECASE,
)
_BLANK_RUNS = re.compile(r"\n{3,}")


def _metadata_title(reader) -> str | None:
    try:
        meta = reader.metadata
        title = meta.title if meta is not None else None
    except Exception:  # broken info dictionary: fall back to the first line
        return None
    if not title:
        return None
    title = " ".join(str(title).split())
    if not title or _JUNK_TITLE.match(title):
        return None
    return title[:200]


def _open(path: Path) -> PdfReader:
    """A reader of the PDF, decrypted when it is protected by an empty password only."""
    from pypdf import PdfReader

    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise LoadError(path, "not a PDF file (no %PDF- header)")
    reader = PdfReader(path)
    if reader.is_encrypted:
        # Many PDFs are "encrypted" only to restrict printing/editing, with an empty user password.
        try:
            opened = reader.decrypt("")
        except Exception as exc:  # unsupported algorithm, or AES without the `cryptography` package
            raise LoadError(path, f"the PDF is encrypted and cannot be decrypted ({exc})") from exc
        if not opened:
            raise LoadError(path, "the PDF is encrypted (password-protected); provide an unprotected copy")
    return reader


def _page_texts(path: Path, reader: PdfReader) -> list[str]:
    """The non-blank text of every page that can be read (one damaged page does not lose the others)."""
    from pypdf.errors import PdfReadError

    try:
        pages = reader.pages
        count = len(pages)
    except PdfReadError as exc:
        raise LoadError(path, f"the PDF is damaged: its page tree cannot be read ({exc})") from exc
    if count == 0:
        raise LoadError(path, "the PDF has no pages")
    texts: list[str] = []
    errors: list[str] = []
    for number in range(count):
        try:
            page_text = pages[number].extract_text() or ""
        except Exception as exc:  # whatever a damaged page raises
            errors.append(f"page {number + 1}: {type(exc).__name__}: {exc}")
            continue
        page_text = _BLANK_RUNS.sub("\n\n", page_text.replace("\x00", "")).strip()
        if page_text:
            texts.append(page_text)
    if errors:
        if not texts:
            raise LoadError(path, f"the PDF is damaged: no page could be read ({errors[0]})")
        log.warning("%s: %d of %d pages could not be read (%s)", path, len(errors), count, errors[0])
    return texts


def load_pdf(path: Path) -> list[KnowledgeDocument]:
    reader = _open(path)
    text = "\n\n".join(_page_texts(path, reader))
    if sum(ch.isalnum() for ch in text) < 3:
        raise LoadError(path, "the PDF has no extractable text (scanned image?); run OCR on it first")
    return [document_from_text(path, text, title=_metadata_title(reader))]
