"""The knowledge store: chunks in Chroma (embedded or server), documents and hashes in a SQLite docstore."""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.schema import MetadataMode
from llama_index.core.storage.docstore.keyval_docstore import KVDocumentStore
from llama_index.core.storage.kvstore.types import DEFAULT_COLLECTION, BaseKVStore
from llama_index.core.vector_stores.utils import node_to_metadata_dict
from llama_index.vector_stores.chroma import ChromaVectorStore
from sqlalchemy import delete, func, select, update

from assistant.errors import DataDirError, GalaxyError, IndexModelMismatch, StoreUnavailable
from assistant.schema import kv as kv_table
from assistant.settings import ChromaSettings, Settings

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import Metadata

    from assistant.database import Database

log = logging.getLogger(__name__)


class DatabaseKVStore(BaseKVStore):
    """llama-index key-value store on the project's database (SQLite or PostgreSQL): every write is one
    transaction, so a killed process loses nothing it has acknowledged and never leaves half a value."""

    def __init__(self, database: Database):
        self.database = database

    def put(self, key: str, val: dict, collection: str = DEFAULT_COLLECTION) -> None:
        self.put_all([(key, val)], collection=collection)

    async def aput(self, key: str, val: dict, collection: str = DEFAULT_COLLECTION) -> None:
        self.put(key, val, collection)

    def put_all(
        self, kv_pairs: list[tuple[str, dict]], collection: str = DEFAULT_COLLECTION, batch_size: int = 1
    ) -> None:
        rows = [{"collection": collection, "key": k, "value": json.dumps(v, ensure_ascii=False)} for k, v in kv_pairs]
        with self.database.write() as conn:
            self.database.upsert(kv_table, rows, conn, keys=("collection", "key"))

    async def aput_all(self, kv_pairs, collection: str = DEFAULT_COLLECTION, batch_size: int = 1) -> None:
        self.put_all(kv_pairs, collection, batch_size)

    def get(self, key: str, collection: str = DEFAULT_COLLECTION) -> dict | None:
        with self.database.read() as conn:
            value = conn.execute(
                select(kv_table.c.value).where(kv_table.c.collection == collection, kv_table.c.key == key)
            ).scalar()
        return json.loads(value) if value is not None else None

    async def aget(self, key: str, collection: str = DEFAULT_COLLECTION) -> dict | None:
        return self.get(key, collection)

    def get_all(self, collection: str = DEFAULT_COLLECTION) -> dict[str, dict]:
        with self.database.read() as conn:
            rows = conn.execute(
                select(kv_table.c.key, kv_table.c.value).where(kv_table.c.collection == collection)
            ).all()
        return {k: json.loads(v) for k, v in rows}

    async def aget_all(self, collection: str = DEFAULT_COLLECTION) -> dict[str, dict]:
        return self.get_all(collection)

    def increment(self, key: str, collection: str) -> int:
        """Add one to the counter `key` in one transaction, so concurrent writers (other processes, other
        replicas) never lose a bump: the row is created if absent, then read under a row lock."""
        where = (kv_table.c.collection == collection, kv_table.c.key == key)
        with self.database.write() as conn:
            self.database.insert_ignoring_duplicates(
                kv_table, [{"collection": collection, "key": key, "value": json.dumps({"n": 0})}], conn
            )
            value = conn.execute(select(kv_table.c.value).where(*where).with_for_update()).scalar_one()
            n = int(json.loads(value)["n"]) + 1
            conn.execute(update(kv_table).where(*where).values(value=json.dumps({"n": n})))
        return n

    def count(self, collection: str) -> int:
        with self.database.read() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(kv_table).where(kv_table.c.collection == collection)
                ).scalar_one()
            )

    def page(self, collection: str, limit: int, after: str = "") -> dict[str, dict]:
        """Up to `limit` entries of the collection whose keys come after `after`, in key order."""
        where = (kv_table.c.collection == collection, kv_table.c.key > after)
        with self.database.read() as conn:
            rows = conn.execute(
                select(kv_table.c.key, kv_table.c.value).where(*where).order_by(kv_table.c.key).limit(limit)
            ).all()
        return {k: json.loads(v) for k, v in rows}

    def delete_many(self, keys: list[str], collection: str) -> None:
        """Remove these keys in one transaction."""
        with self.database.write() as conn:
            conn.execute(delete(kv_table).where(kv_table.c.collection == collection, kv_table.c.key.in_(keys)))

    def delete(self, key: str, collection: str = DEFAULT_COLLECTION) -> bool:
        with self.database.write() as conn:
            result = conn.execute(delete(kv_table).where(kv_table.c.collection == collection, kv_table.c.key == key))
        return bool(result.rowcount)

    async def adelete(self, key: str, collection: str = DEFAULT_COLLECTION) -> bool:
        return self.delete(key, collection)

    def clear(self) -> None:
        """Forget every entry (the index is being rebuilt)."""
        with self.database.write() as conn:
            conn.execute(delete(kv_table))


class UpsertChromaVectorStore(ChromaVectorStore):
    """Chroma store whose `add` is an upsert: chunk ids are deterministic, so replaying an interrupted batch
    overwrites instead of duplicating."""

    # Spelled out: the synthesised __init__ type checkers derive from the pydantic fields lacks this argument.
    def __init__(self, chroma_collection: Collection) -> None:
        super().__init__(chroma_collection=chroma_collection)

    def add(self, nodes, **add_kwargs: Any) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(nodes), 1000):
            batch = nodes[start : start + 1000]
            metadatas: list[Metadata] = []
            for node in batch:
                meta = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)
                metadatas.append({k: ("" if v is None else v) for k, v in meta.items()})
            self._collection.upsert(
                ids=[n.node_id for n in batch],
                embeddings=[n.get_embedding() for n in batch],
                metadatas=metadatas,
                documents=[n.get_content(metadata_mode=MetadataMode.NONE) for n in batch],
            )
            ids.extend(n.node_id for n in batch)
        return ids


#: How SQLite and Chroma word a full or read-only disk (they wrap the OSError in their own exception types).
_STORAGE_FAILURES = (
    "database or disk is full",
    "no space left",
    "readonly database",
    "read-only file system",
    "disk quota exceeded",
)
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}


@contextmanager
def data_dir_guard(path: Path) -> Iterator[None]:
    """A full or read-only disk under the data directory becomes a DataDirError naming it, not a traceback."""
    try:
        yield
    except GalaxyError:
        raise
    except OSError as exc:
        if exc.errno in _STORAGE_ERRNOS:
            raise DataDirError(path, exc.strerror or str(exc)) from exc
        raise
    except Exception as exc:
        message = str(exc).lower()
        reason = next((failure for failure in _STORAGE_FAILURES if failure in message), None)
        if reason is None:
            raise
        raise DataDirError(path, reason) from exc


def ensure_data_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except PermissionError as exc:
        raise DataDirError(path, "permission denied (is it read-only?)") from exc
    except OSError as exc:
        raise DataDirError(path, exc.strerror or str(exc)) from exc
    probe = path / ".write-probe"
    try:
        probe.write_bytes(b"ok")
        probe.unlink()
    except PermissionError as exc:
        raise DataDirError(path, "it is not writable (read-only?)") from exc
    except OSError as exc:
        raise DataDirError(path, exc.strerror or str(exc)) from exc
    return path


def build_chroma_client(settings: Settings):
    """A Chroma client for the configured mode. No default embedding function is ever used."""
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings

    client_settings = ChromaClientSettings(anonymized_telemetry=False)
    chroma: ChromaSettings = settings.chroma
    if chroma.mode == "embedded":
        ensure_data_dir(settings.data_dir)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=client_settings)
    try:
        return chromadb.HttpClient(host=chroma.host, port=chroma.port, settings=client_settings)
    except Exception as exc:
        raise StoreUnavailable(f"Chroma server {chroma.host}:{chroma.port}: {exc}") from exc


@dataclass
class KnowledgeStore:
    """Chroma collection + llama-index vector store + docstore, opened for one embedding model."""

    client: Any
    collection: Any
    vector_store: UpsertChromaVectorStore
    kv: DatabaseKVStore
    docstore: KVDocumentStore
    model_name: str
    dim: int
    data_dir: Path = Path(".")

    PENDING = "galaxy/pending"
    MANIFEST = "galaxy/manifest"
    GENERATION = "galaxy/generation"
    #: Chunks stored with a placeholder vector, their primary (e5) vector still to compute (`backfill`).
    PRIMARY_PENDING = "galaxy/primary-pending"
    server_mode: bool = False
    settings: Settings | None = None

    def count_chunks(self) -> int:
        return int(self.collection.count())

    def primary_pending(self) -> int:
        """How many chunks still wait for their primary vector (searches use the fast encoder alone meanwhile)."""
        return self.kv.count(self.PRIMARY_PENDING)

    # -- generation marker -----------------------------------------------------------------------------------
    # A counter bumped on every change of the index, where every process sees it: running servers poll it
    # cheaply and take a new snapshot when it moves. Embedded Chroma shares the data directory, so the SQLite
    # docstore beside it holds the counter; Chroma server replicas share only the server, so there it lives in
    # the collection's own metadata.
    def generation(self) -> int:
        if self.server_mode:
            meta = self.client.get_collection(self.collection.name, embedding_function=None).metadata or {}
            return int(meta.get("galaxy_generation", 0))
        entry = self.kv.get("generation", collection=self.GENERATION)
        return int(entry["n"]) if entry else 0

    def reopen(self) -> None:
        """See writes made by other processes. Embedded Chroma keeps its segments in memory per process, so
        after another process wrote to the index this one must drop its cached client and open it again; a
        Chroma server needs nothing."""
        if self.server_mode or self.settings is None:
            return
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
        self.client = build_chroma_client(self.settings)
        self.collection = self.client.get_collection(self.collection.name, embedding_function=None)
        self.vector_store._collection = self.collection

    def bump_generation(self) -> int:
        if self.server_mode:
            meta = dict(self.collection.metadata or {})
            meta.pop("hnsw:space", None)  # Chroma refuses to modify the distance function
            meta["galaxy_generation"] = self.generation() + 1
            self.collection.modify(metadata=meta)
            return int(meta["galaxy_generation"])
        return self.kv.increment("generation", collection=self.GENERATION)

    @contextmanager
    def outage_guard(self) -> Iterator[None]:
        """Turn a failure while the Chroma server is unreachable into StoreUnavailable (a 503, not a 500).

        The client raises whatever its transport raises; asking the collection for its size tells an outage
        apart from any other error, which is re-raised unchanged.
        """
        try:
            yield
        except GalaxyError:
            raise
        except Exception as exc:
            try:
                self.collection.count()
            except Exception:
                raise StoreUnavailable(f"Chroma: {exc}") from exc
            raise


def open_store(
    settings: Settings, database: Database, model_name: str, dim: int, *, create: bool = True
) -> KnowledgeStore:
    """Open (or create) the collection; refuse an index built with another embedding model."""
    ensure_data_dir(settings.data_dir)
    client = build_chroma_client(settings)
    name = settings.chroma.collection
    try:
        if create:
            collection = client.get_or_create_collection(
                name,
                embedding_function=None,
                metadata={"embedding_model": model_name, "embedding_dim": dim},
                configuration={"hnsw": {"space": "cosine"}},
            )
        else:
            collection = client.get_collection(name, embedding_function=None)
    except Exception as exc:
        if settings.chroma.mode == "server":
            raise StoreUnavailable(f"Chroma server: {exc}") from exc
        raise
    meta = collection.metadata or {}
    index_model, index_dim = meta.get("embedding_model"), meta.get("embedding_dim")
    if index_model and (index_model != model_name or int(index_dim or 0) != dim):
        raise IndexModelMismatch(str(index_model), int(index_dim or 0), model_name, dim)
    kv_store = DatabaseKVStore(database)
    docstore = KVDocumentStore(kv_store, namespace=f"galaxy-{name}")
    vector_store = UpsertChromaVectorStore(chroma_collection=collection)
    store = KnowledgeStore(client, collection, vector_store, kv_store, docstore, model_name, dim, settings.data_dir)
    store.server_mode = settings.chroma.mode == "server"
    store.settings = settings
    return store


def drop_index(settings: Settings, database: Database) -> None:
    """Delete the collection and the docstore's entries (used by `ingest --rebuild`)."""
    client = build_chroma_client(settings)
    try:
        client.delete_collection(settings.chroma.collection)
    except Exception:  # absent already
        log.debug("no collection to drop")
    DatabaseKVStore(database).clear()
