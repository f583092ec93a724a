"""Incremental, crash-safe ingestion: files -> documents -> chunks -> embeddings -> Chroma.

Crash safety rests on three things:
- chunk ids are deterministic (document id + content hash + position) and the vector store upserts, so
  replaying a batch can never duplicate a chunk;
- before a batch touches the stores, its document ids are written to a `pending` journal (one SQLite
  transaction); they leave it only after the docstore and the manifest record them;
- at the start of every ingest, documents left pending by a killed run are removed from every store, so
  the same command re-adds them whole: no orphan, no half document.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_index.core import Document
from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
from llama_index.core.schema import BaseNode, MetadataMode, TransformComponent
from pydantic import PrivateAttr

from assistant.errors import NotFound
from assistant.knowledge.backfill import placeholder_vector
from assistant.knowledge.chunking import StructuredSplitter
from assistant.knowledge.documents import NON_EMBEDDED_KEYS, KnowledgeDocument
from assistant.knowledge.encoders import second_passage
from assistant.knowledge.loaders import load_paths
from assistant.knowledge.loaders.csv_mapping import CsvMapping
from assistant.knowledge.store import KnowledgeStore, data_dir_guard
from assistant.settings import ChunkSettings

log = logging.getLogger(__name__)

BATCH_DOCUMENTS = 48

#: `on_progress(chunks_done, chunks_total)`: called after each embedding call, so one long file advances too.
ProgressCallback = Callable[[int, int], None]


@dataclass
class IngestSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    pruned: int = 0
    chunks: int = 0
    recovered: int = 0
    #: chunks stored with the fast encoder's vectors only, their primary vectors left to the backfill
    deferred: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "failed": self.failed,
            "pruned": self.pruned,
            "chunks": self.chunks,
            "recovered": self.recovered,
            "deferred": self.deferred,
            "seconds": round(self.seconds, 3),
            "failures": [{"path": p, "reason": r} for p, r in self.failures],
        }


def to_llama_document(doc: KnowledgeDocument) -> Document:
    return Document(
        id_=doc.id,
        text=doc.text(),
        metadata=doc.chunk_metadata(),
        excluded_embed_metadata_keys=list(NON_EMBEDDED_KEYS),
        excluded_llm_metadata_keys=list(NON_EMBEDDED_KEYS),
        metadata_template="{value}",
        text_template="{metadata_str}\n{content}",
    )


def chunk_id(i: int, doc) -> str:
    return f"{doc.id_}::{doc.hash[:12]}::{i}"


def build_splitter(chunk: ChunkSettings) -> StructuredSplitter:
    return StructuredSplitter(chunk_size=chunk.size, chunk_overlap=chunk.overlap, id_func=chunk_id)


class _Presplit(TransformComponent):
    """The pipeline's first step: the chunks `Ingestor` cut before the run (to count them for the progress
    bar), so no document is split twice; a document it was not given is split here."""

    _splitter: StructuredSplitter = PrivateAttr()
    _nodes: dict[tuple[str, str], list[BaseNode]] = PrivateAttr(default_factory=dict)

    def __init__(self, splitter: StructuredSplitter, **kwargs):
        super().__init__(**kwargs)
        self._splitter = splitter

    def split(self, documents: list[Document]) -> list[int]:
        """Cut and hold these documents' chunks; returns how many each has."""
        self._nodes = {(d.id_, d.hash): self._splitter([d]) for d in documents}
        return [len(self._nodes[(d.id_, d.hash)]) for d in documents]

    def __call__(self, nodes, **kwargs):
        out: list[BaseNode] = []
        for node in nodes:
            held = self._nodes.pop((node.id_, node.hash), None)
            out.extend(held if held is not None else self._splitter([node]))
        return out


#: `hold_back({chunk id: {"text": ..., "doc": ...}})`: given the chunks whose primary vectors are deferred (the text
#: to embed, the document), before they are stored.
DeferredSink = Callable[[dict[str, dict[str, str]]], None]


class _EmbedInSteps(TransformComponent):
    """The embedding step, one model batch at a time, reporting each to `report`. With `hold_back` set, chunks get
    a placeholder instead of the primary model's vector, and their texts go to `hold_back` for the backfill."""

    _model: Any = PrivateAttr()
    _second: Any = PrivateAttr(default=None)
    report: Any = None
    hold_back: Any = None

    def __init__(self, model, second=None, **kwargs):
        super().__init__(**kwargs)
        self._model = model
        self._second = second

    def __call__(self, nodes, **kwargs):
        nodes = list(nodes)
        step = max(1, int(getattr(self._model, "embed_batch_size", 32)))
        for start in range(0, len(nodes), step):
            batch = nodes[start : start + step]
            if self.hold_back is None:
                self._model(batch)
            else:
                self._defer(batch, self.hold_back)
            if self._second is not None:  # into its cache, so that the next search snapshot finds them there
                texts = [second_passage(n.metadata.get("title", ""), n.get_content(MetadataMode.NONE)) for n in batch]
                self._second.get_text_embedding_batch(texts)
            if self.report:
                self.report(len(batch))
        return nodes

    def _defer(self, batch: list[BaseNode], hold_back: DeferredSink) -> None:
        """Vectors the cache already holds (a rebuild, an edit of a few chunks) are used at once; the other chunks
        get a placeholder, and the text the primary model would embed goes to the backfill (the same vector)."""
        texts = [node.get_content(metadata_mode=MetadataMode.EMBED) for node in batch]
        cached = self._model.cached.cached_only(texts)
        held: dict[str, dict[str, str]] = {}
        for node, text, vector in zip(batch, texts, cached, strict=True):
            if vector is None:
                held[node.node_id] = {"text": text, "doc": node.ref_doc_id or ""}
                vector = placeholder_vector(node.node_id, self._model.dim)
            node.embedding = vector
        if held:
            hold_back(held)


class _Progress:
    """Chunks embedded out of the chunks to write, on a tqdm bar and/or a callback."""

    def __init__(self, total: int, documents: int, show: bool, callback: ProgressCallback | None):
        self.total, self.done, self.callback = total, 0, callback
        self.bar = None
        if show and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="chunk", desc=f"ingesting {documents} documents", file=sys.stderr)

    def advance(self, chunks: int) -> None:
        chunks = max(0, min(chunks, self.total - self.done))
        self.done += chunks
        if self.bar:
            self.bar.update(chunks)
        if self.callback and chunks:
            self.callback(self.done, self.total)

    def close(self) -> None:
        if self.bar:
            self.bar.close()


def _record_failure(
    summary: IngestSummary, on_failure: Callable[[str, str], None] | None, path: str, reason: str
) -> None:
    summary.failures.append((path, reason))
    if on_failure:
        on_failure(path, reason)


def _unique(
    documents: list[KnowledgeDocument], summary: IngestSummary, on_failure: Callable[[str, str], None] | None
) -> dict[str, KnowledgeDocument]:
    """The documents by id; a later one with an id already seen is skipped and reported."""
    seen: dict[str, KnowledgeDocument] = {}
    for doc in documents:
        if doc.id in seen:
            summary.failed += 1  # "failed" is the one word for anything not ingested, per line and in the summary
            reason = f"duplicate document id '{doc.id}' (already in {seen[doc.id].source})"
            _record_failure(summary, on_failure, doc.source, reason)
            continue
        seen[doc.id] = doc
    return seen


def _within(source: str, scopes: list[Path]) -> bool:
    try:
        path = Path(source).resolve()
    except OSError:
        return False
    return any(path == scope or scope in path.parents for scope in scopes)


class Ingestor:
    def __init__(
        self,
        store: KnowledgeStore,
        embed_model,
        chunk: ChunkSettings,
        *,
        second_model=None,
        defer_from: int | None = None,
    ):
        """`second_model`: the second encoder whose ranking joins the search's fusion; each new chunk is embedded
        by it too (into its cache), so that a server's next snapshot does not pay for it. `defer_from`: a run
        with at least this many chunks to write stores them with the second encoder's vectors only, searchable at
        once, and leaves the primary model's to `assistant.knowledge.backfill` (None: never; needs
        `second_model`)."""
        self.store = store
        self.embed_model = embed_model
        self.defer_from = defer_from if second_model is not None else None
        self._presplit = _Presplit(build_splitter(chunk))
        self._embed = _EmbedInSteps(embed_model, second_model)
        # The two steps hold one run's chunks and progress: runs in one process (approvals from two API workers)
        # take turns.
        self._run_lock = threading.Lock()
        self.pipeline = IngestionPipeline(
            transformations=[self._presplit, self._embed],
            vector_store=store.vector_store,
            docstore=store.docstore,
            docstore_strategy=DocstoreStrategy.UPSERTS,
            # The embedding cache (SQLite, by text) already skips unchanged chunks; the pipeline's in-memory cache
            # would only keep every node and vector of the process, and skip the steps that report progress.
            disable_cache=True,
        )

    # -- journal -----------------------------------------------------------------------------------------
    def _remove_everywhere(self, doc_id: str) -> None:
        self.store.vector_store.delete(doc_id)
        self.store.docstore.delete_ref_doc(doc_id, raise_error=False)
        self.store.docstore.delete_document(doc_id, raise_error=False)
        self.store.kv.delete(doc_id, collection=KnowledgeStore.MANIFEST)

    def recover(self) -> int:
        """Undo whatever a killed run left half-done; returns how many documents were reset."""
        pending = self.store.kv.get_all(KnowledgeStore.PENDING)
        for doc_id in pending:
            log.warning("recovering document %s left pending by an interrupted ingest", doc_id)
            self._remove_everywhere(doc_id)
            self.store.kv.delete(doc_id, collection=KnowledgeStore.PENDING)
        return len(pending)

    def delete(self, doc_ids: list[str]) -> list[str]:
        """Remove these documents from every store; all ids must exist (else NotFound and nothing changes).

        Crash-safe like ingest: the ids enter the pending journal first, so a run killed halfway is finished by
        the next ingest's recovery (which removes pending documents everywhere)."""
        with self.store.outage_guard(), data_dir_guard(self.store.data_dir):
            manifest = self.store.kv.get_all(KnowledgeStore.MANIFEST)
            unknown = [doc_id for doc_id in doc_ids if doc_id not in manifest]
            if unknown:
                raise NotFound(f"No document with id {', '.join(repr(u) for u in unknown)}.")
            ids = list(dict.fromkeys(doc_ids))
            self.store.kv.put_all([(i, {"at": time.time()}) for i in ids], collection=KnowledgeStore.PENDING)
            for doc_id in ids:
                self._remove_everywhere(doc_id)
                self.store.kv.delete(doc_id, collection=KnowledgeStore.PENDING)
            self.store.bump_generation()
            return ids

    # -- main entry --------------------------------------------------------------------------------------
    def ingest(
        self,
        paths: list[Path],
        fmt: str = "auto",
        prune: bool = False,
        progress: bool | None = None,
        on_failure: Callable[[str, str], None] | None = None,
        csv_mapping: CsvMapping | None = None,
        encoding: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> IngestSummary:
        """`csv_mapping` and `encoding` apply to spreadsheets (see `load_paths`). `progress` shows a bar of chunks
        on stderr (default: when it is a terminal); `on_progress(done, total)` is told the same counts."""
        with self.store.outage_guard(), data_dir_guard(self.store.data_dir):
            return self._ingest(paths, fmt, prune, progress, on_failure, csv_mapping, encoding, on_progress)

    def _ingest(
        self, paths, fmt, prune, progress, on_failure, csv_mapping=None, encoding=None, on_progress=None
    ) -> IngestSummary:
        started = time.perf_counter()
        summary = IngestSummary(recovered=self.recover())
        report = load_paths(paths, fmt, csv_mapping, encoding)
        if not report.files and not report.failures:
            # An empty folder (or one of unsupported files) is a mistake to report, not a successful no-op.
            summary.failed += 1
            _record_failure(summary, on_failure, ", ".join(str(p) for p in paths), "no supported files in it")
        for failure in report.failures:
            summary.failed += 1
            _record_failure(summary, on_failure, failure.path, failure.reason)
        documents = _unique(report.documents, summary, on_failure)
        work = self._changed(documents, summary)
        self._ingest_all(work, summary, sys.stderr.isatty() if progress is None else progress, on_progress)
        if prune:
            summary.pruned = self._prune(paths, set(documents), {Path(p).resolve() for p, _ in summary.failures})
        if summary.added or summary.updated or summary.pruned or summary.recovered:
            self.store.bump_generation()  # running servers take a new snapshot
        summary.seconds = time.perf_counter() - started
        return summary

    def _changed(
        self, documents: dict[str, KnowledgeDocument], summary: IngestSummary
    ) -> list[tuple[KnowledgeDocument, Document]]:
        """The documents that are new or changed since they were last ingested, counted in `summary`."""
        work: list[tuple[KnowledgeDocument, Document]] = []
        for doc in documents.values():
            llama_doc = to_llama_document(doc)
            existing = self.store.docstore.get_document_hash(doc.id)
            if existing == llama_doc.hash and self.store.kv.get(doc.id, KnowledgeStore.MANIFEST):
                summary.unchanged += 1
                continue
            if existing:
                summary.updated += 1
            else:
                summary.added += 1
            work.append((doc, llama_doc))
        return work

    def _ingest_all(
        self,
        work: list[tuple[KnowledgeDocument, Document]],
        summary: IngestSummary,
        show: bool,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if not work:
            return
        # Cut every document first: the bar's total is chunks, so a single 10,000-line file advances as it embeds.
        with self._run_lock:
            self._ingest_work(work, summary, show, on_progress)

    def _ingest_work(self, work, summary: IngestSummary, show: bool, on_progress: ProgressCallback | None) -> None:
        counts = self._presplit.split([ld for _, ld in work])
        progress = _Progress(sum(counts), len(work), show, on_progress)
        self._embed.report = progress.advance
        if self.defer_from is not None and sum(counts) >= self.defer_from:
            self._embed.hold_back = lambda entries: self._hold_back(entries, summary)
        try:
            for start in range(0, len(work), BATCH_DOCUMENTS):
                batch = work[start : start + BATCH_DOCUMENTS]
                summary.chunks += self._ingest_batch(batch)
                done = start + len(batch)
                progress.advance(sum(counts[:done]) - progress.done)  # chunks the pipeline had no need to embed
                if progress.bar:
                    progress.bar.set_postfix_str(f"{done}/{len(work)} documents")
        finally:
            self._embed.report = None
            self._embed.hold_back = None
            self._presplit.split([])
            progress.close()

    def _hold_back(self, entries: dict[str, dict[str, str]], summary: IngestSummary) -> None:
        """List chunks for the backfill before Chroma stores their placeholders: a search snapshot that reads a
        placeholder always finds the list non-empty (and ranks by the fast encoder). An entry whose chunk is never
        stored (a run killed first) is dropped by the backfill, once its document has left the journal."""
        self.store.kv.put_all(list(entries.items()), KnowledgeStore.PRIMARY_PENDING)
        summary.deferred += len(entries)

    def _ingest_batch(self, batch: list[tuple[KnowledgeDocument, Document]]) -> int:
        kv = self.store.kv
        kv.put_all([(doc.id, {"at": time.time()}) for doc, _ in batch], collection=KnowledgeStore.PENDING)
        nodes = self.pipeline.run(documents=[llama_doc for _, llama_doc in batch], show_progress=False)
        kv.put_all(
            [(doc.id, {"hash": ld.hash, "doc": doc.model_dump(mode="json")}) for doc, ld in batch],
            collection=KnowledgeStore.MANIFEST,
        )
        for doc, _ in batch:
            kv.delete(doc.id, collection=KnowledgeStore.PENDING)
        return len(nodes)

    def _prune(self, paths: list[Path], seen_ids: set[str], failed_files: set[Path]) -> int:
        scopes = [Path(p).resolve() for p in paths]
        pruned = 0
        for doc_id, entry in self.store.kv.get_all(KnowledgeStore.MANIFEST).items():
            source = entry.get("doc", {}).get("source", "")
            if doc_id in seen_ids or not source or not _within(source, scopes):
                continue
            if Path(source).resolve() in failed_files:
                continue  # its file exists but failed to load this time: keep what we had
            self._remove_everywhere(doc_id)
            pruned += 1
        return pruned


def catalogue(store: KnowledgeStore) -> dict[str, KnowledgeDocument]:
    """Every ingested document by id (from the manifest, not from Chroma)."""
    return {
        doc_id: KnowledgeDocument.model_validate(entry["doc"])
        for doc_id, entry in store.kv.get_all(KnowledgeStore.MANIFEST).items()
    }
