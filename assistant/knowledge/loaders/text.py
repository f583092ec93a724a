from __future__ import annotations

from pathlib import Path

from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.loaders.common import document_from_text, read_text


def load_text(path: Path) -> list[KnowledgeDocument]:
    return [document_from_text(path, read_text(path))]
