"""One way to open a local SQLite cache file (the embedding cache); the durable state is in assistant.database."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_db(path: Path, schema: str, *, durable: bool = True) -> sqlite3.Connection:
    """Autocommit connection shared across threads (callers hold their own lock), in WAL mode.

    `durable` syncs every commit to disk, so what was acknowledged survives a kill -9 or a power cut; caches,
    which can be rebuilt, skip that cost.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    conn.executescript(schema)
    return conn
