"""The search snapshot saved beside an embedded knowledge base, so that a one-shot search (`galaxy search`) reads
it and embeds its question, importing neither llama-index nor chromadb (together about 1.2 s of a cold start).

The file is a cache, never the store of record. It is trusted only while every file it was read from is as it was
when the snapshot was taken (size and modification time of Chroma's SQLite file and of the database's, with their
write-ahead logs, recorded before the store was read), and only on the embedded stack: a
Chroma server or PostgreSQL can change without a trace here. Missing, stale, unreadable or of another format, it is
ignored: the search builds the snapshot from the store as before, and saves it for the next one. It is unpickled,
so it is trusted like the database beside it: both are the data directory's own files."""

from __future__ import annotations

import logging
import os
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.knowledge.encoders import CachedEncoder, EmbeddingCache
    from assistant.retrieval.index import Snapshot
    from assistant.retrieval.retriever import Retriever

log = logging.getLogger(__name__)

#: Bumped whenever `Snapshot` changes shape: an older file is then rebuilt rather than misread.
FORMAT = 2


class SavedSnapshot:
    """Where a snapshot of this data directory is saved, and whether a saved one still describes the store."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.path = settings.search_snapshot_path

    @staticmethod
    def applies(settings: Settings) -> bool:
        return settings.chroma.mode == "embedded" and not settings.database.url.get_secret_value()

    def key(self) -> dict[str, Any]:
        """What the snapshot depends on: take it before reading the store, so a write during the read makes the
        saved file stale instead of newer than its key says."""
        embedding = self.settings.embedding
        return {
            "format": FORMAT,
            "model": embedding.mode,
            "second": (embedding.second_opinion, embedding.second_weight),
            "files": _file_states([self.settings.chroma_path / "chroma.sqlite3", self.settings.sqlite_path]),
        }

    def save(self, snapshot: Snapshot, key: dict[str, Any]) -> None:
        """Write atomically (another process may be reading); a failure costs only the next start's time."""
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        try:
            with temporary.open("wb") as out:
                pickle.dump(key, out, protocol=pickle.HIGHEST_PROTOCOL)
                pickle.dump(snapshot, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, self.path)
        except Exception as exc:
            log.warning("search snapshot not saved to %s: %s", self.path, exc)
            temporary.unlink(missing_ok=True)

    def load(self) -> Snapshot | None:
        """The saved snapshot, or None when there is none that still describes the store."""
        try:
            with self.path.open("rb") as saved:
                if pickle.load(saved) != self.key():
                    return None
                return pickle.load(saved)
        except FileNotFoundError:
            return None
        except Exception as exc:
            log.info("saved search snapshot %s not used: %s", self.path, exc)
            return None


def _file_states(databases: list[Path]) -> list[tuple[str, int, int]]:
    """(path, size, mtime in ns) of each SQLite file with its -wal and -journal. Chroma's HNSW files are left out:
    Chroma rewrites them from its SQLite log even when only read. An empty write-ahead log counts as none: it
    exists only while a connection is open, and holds no change."""
    states = []
    for database in databases:
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-journal")):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if stat.st_size or path == database:
                states.append((str(path), stat.st_size, stat.st_mtime_ns))
    return states


@dataclass
class SearchOnlyKnowledgeBase:
    """What a retriever over a saved snapshot needs of the knowledge base: the settings and the question's
    encoder. It cannot refresh: a one-shot search ends before the store changes."""

    settings: Settings
    embed_model: CachedEncoder

    def invalidate(self) -> None:
        raise RuntimeError("a retriever over a saved snapshot cannot refresh; build one over the store")


def open_saved_retriever(settings: Settings) -> Retriever | None:
    """A retriever over the saved snapshot, with the encoders the settings name, or None when there is no
    current saved snapshot (the caller then builds one over the store). The models load one after the other
    (lingua holds the interpreter lock while it loads: threads gained nothing), and lingua's high-accuracy models
    only if the question needs them (`assistant.text.language`)."""
    if not SavedSnapshot.applies(settings):
        return None
    snapshot = SavedSnapshot(settings).load()
    if snapshot is None:
        return None
    from assistant.knowledge.encoders import CachedEncoder, EmbeddingCache, build_encoder
    from assistant.retrieval.retriever import Retriever
    from assistant.retrieval.second_opinion import SecondOpinion

    cache = EmbeddingCache(settings.cache_path)
    second = _second_encoder(settings, cache)
    return Retriever(
        SearchOnlyKnowledgeBase(
            settings, CachedEncoder(build_encoder(settings.embedding, settings.models_path), cache)
        ),
        second_opinion=SecondOpinion(second) if second is not None else None,
        second_weight=settings.embedding.second_weight,
        snapshot=snapshot,
    )


def _second_encoder(settings: Settings, cache: EmbeddingCache) -> CachedEncoder | None:
    from assistant.knowledge.encoders import CachedEncoder, build_encoder, second_encoder_settings

    second = second_encoder_settings(settings.embedding)
    if second is None:
        return None
    return CachedEncoder(build_encoder(second, settings.models_path), cache)
