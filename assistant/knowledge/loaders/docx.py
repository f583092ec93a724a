"""Word documents (.docx, python-docx): paragraphs and table cells in document order."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import LoadError
from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.loaders.common import document_from_text


def _is_heading(paragraph) -> bool:
    try:
        name = (paragraph.style.name or "") if paragraph.style is not None else ""
    except Exception:  # a style id without a definition
        return False
    return name == "Title" or name.startswith("Heading")


def _blocks(document):
    """Paragraphs and tables of the body in document order (python-docx lists them separately)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield Paragraph(child, document)
        elif tag == "tbl":
            yield Table(child, document)


def _table_lines(table) -> list[str]:
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is repeated once per grid column
                continue
            seen.add(id(cell._tc))
            text = " ".join(cell.text.split())
            if text:
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return lines


def load_docx(path: Path) -> list[KnowledgeDocument]:
    import docx
    from docx.table import Table

    document = docx.Document(str(path))
    lines: list[str] = []
    first_heading: str | None = None
    for block in _blocks(document):
        if isinstance(block, Table):
            table_lines = _table_lines(block)
            if table_lines:
                lines.extend(["", *table_lines, ""])
            continue
        text = " ".join(block.text.split())
        if not text:
            continue
        if _is_heading(block):
            first_heading = first_heading or text
            lines.extend(["", text, ""])  # a paragraph of its own: never read as the start of the next sentence
        else:
            lines.append(text)

    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not text:
        raise LoadError(path, "the Word document has no text")
    title = " ".join((document.core_properties.title or "").split()) or first_heading
    return [document_from_text(path, text, title=title[:200] if title else None)]
