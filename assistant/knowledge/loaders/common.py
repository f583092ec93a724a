"""Helpers shared by the loaders for files that carry no metadata of their own."""

from __future__ import annotations

from pathlib import Path

from assistant.errors import LoadError
from assistant.knowledge.documents import KnowledgeDocument, slugify
from assistant.text.geo import find_places, region_of
from assistant.text.language import detect_language
from assistant.text.sdg import find_sdgs


def read_text(path: Path) -> str:
    """UTF-8 (with or without BOM); anything else is reported, not guessed."""
    data = path.read_bytes()
    text = data.decode("utf-8-sig")
    if "\x00" in text:
        raise LoadError(path, "binary content in a text file")
    return text


def doc_id_for(path: Path) -> str:
    """A stable id from the file name (files without an id of their own)."""
    return slugify(path.stem)


def document_from_text(path: Path, text: str, title: str | None = None, **fields) -> KnowledgeDocument:
    """Build a document from untagged text: language, countries and SDGs are inferred from the text itself."""
    text = text.strip()
    if not text:
        raise LoadError(path, "no text content")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if title is None:
        title = lines[0].lstrip("# ").strip()[:200] if lines else path.stem
    body = text
    if lines and body.startswith(lines[0]) and lines[0].lstrip("# ").strip() == title:
        body = body[len(lines[0]) :].strip()
    places = find_places(text[:5000])
    countries = fields.pop("countries", None) or places.countries
    return KnowledgeDocument(
        id=fields.pop("id", None) or doc_id_for(path),
        title=title or path.stem,
        body=body,
        countries=countries,
        region=fields.pop("region", None) or (region_of(countries[0]) if countries else None),
        sdgs=fields.pop("sdgs", None) or find_sdgs(text[:5000])[:4],
        language=fields.pop("language", None) or detect_language(text),
        source=str(path),
        **fields,
    )
