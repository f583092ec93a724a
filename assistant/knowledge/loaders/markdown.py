"""Markdown with YAML front matter (the corpus format, see corpus/README.md); plain Markdown works too."""

from __future__ import annotations

from pathlib import Path

import yaml

from assistant.errors import LoadError
from assistant.knowledge.documents import KnowledgeDocument, split_list
from assistant.knowledge.loaders.common import doc_id_for, document_from_text, read_text
from assistant.text.geo import country_code, region_of
from assistant.text.sdg import normalise_sdgs

_LIST_FIELDS = ("countries", "themes", "partners", "offers", "sdgs")


def split_front_matter(text: str) -> tuple[dict | None, str]:
    if not text.startswith("---"):
        return None, text
    lines = text.splitlines(keepends=True)
    if lines[0].strip() != "---":
        return None, text
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            meta = yaml.safe_load("".join(lines[1:i])) or {}
            if not isinstance(meta, dict):
                raise ValueError("front matter is not a mapping")
            return meta, "".join(lines[i + 1 :])
    raise ValueError("front matter is not closed by '---'")


def document_from_front_matter(path: Path, meta: dict, body: str) -> KnowledgeDocument:
    fields = {k: v for k, v in meta.items() if v is not None}
    for key in _LIST_FIELDS:
        if key in fields:
            fields[key] = split_list(fields[key])
    countries = []
    for value in fields.get("countries", []):
        code = country_code(value)
        if code is None:
            raise LoadError(path, f"unknown country '{value}'")
        countries.append(code)
    fields["countries"] = countries
    fields["sdgs"] = normalise_sdgs(fields.get("sdgs", []))
    fields.setdefault("id", doc_id_for(path))
    fields["id"] = str(fields["id"])
    if not fields.get("region") and countries:
        fields["region"] = region_of(countries[0])
    for key in ("year",):
        if key in fields:
            try:
                fields[key] = int(fields[key])
            except (TypeError, ValueError):
                fields.pop(key)
    for key in ("deadline", "amount", "contact", "url", "summary", "eligibility", "status"):
        if key in fields:
            fields[key] = str(fields[key])
    known = set(KnowledgeDocument.model_fields)
    fields = {k: v for k, v in fields.items() if k in known}
    if "title" not in fields:
        raise LoadError(path, "front matter has no 'title'")
    return KnowledgeDocument(body=body.strip(), source=str(path), **fields)


def load_markdown(path: Path) -> list[KnowledgeDocument]:
    text = read_text(path)
    try:
        meta, body = split_front_matter(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise LoadError(path, f"invalid front matter ({str(exc).splitlines()[0]})") from exc
    if meta is None:
        return [document_from_text(path, text)]
    try:
        return [document_from_front_matter(path, meta, body)]
    except LoadError:
        raise
    except Exception as exc:
        raise LoadError(path, f"invalid front matter ({exc})") from exc
