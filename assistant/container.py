"""Explicit wiring: build each service once from the settings, then hand the container to every edge."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from assistant.database import Database, database_url, open_database
from assistant.errors import LoadError
from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.embeddings import CachedEmbedding, build_embedding
from assistant.knowledge.encoders import EmbeddingCache
from assistant.knowledge.ingest import Ingestor, catalogue
from assistant.knowledge.store import KnowledgeStore, data_dir_guard, ensure_data_dir, open_store
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.answers.conversation import ConversationStore
    from assistant.answers.engine import AnswerEngine
    from assistant.community.feedback import FeedbackStore
    from assistant.community.introductions import IntroductionStore
    from assistant.community.needs import SavedNeedStore
    from assistant.community.submissions import SubmissionQueue
    from assistant.knowledge.backfill import BackfillWorker, PrimaryBackfill
    from assistant.matchmaking.partners import PartnerFinder
    from assistant.retrieval.retriever import Retriever
    from assistant.retrieval.second_opinion import SecondOpinion

log = logging.getLogger(__name__)


@dataclass
class KnowledgeBase:
    settings: Settings
    embed_model: CachedEmbedding
    store: KnowledgeStore
    #: The durable state's database (docstore, conversations, community stores): owned here, closed here.
    database: Database
    _documents: dict[str, KnowledgeDocument] | None = field(default=None, repr=False)

    @cached_property
    def ingestor(self) -> Ingestor:
        embedding = self.settings.embedding
        fast_first = embedding.fast_first and self.second_model is not None
        fused = self.second_model if embedding.second_weight or fast_first else None
        return Ingestor(
            self.store,
            self.embed_model,
            self.settings.chunk,
            second_model=fused,
            defer_from=embedding.fast_first_chunks if fast_first else None,
        )

    def backfill(self, *, background: bool = False) -> PrimaryBackfill:
        """The primary vectors' backfill; `background`: on an engine of its own (a server's questions never wait
        behind it), else on the knowledge base's."""
        from assistant.knowledge.backfill import BACKGROUND_STEP, PrimaryBackfill

        if not background:
            return PrimaryBackfill(self.store, self.embed_model)
        model = build_embedding(self.settings.embedding, self.embed_model.cache, self.settings.models_path)
        return PrimaryBackfill(self.store, model, step=BACKGROUND_STEP)

    @cached_property
    def second_model(self) -> CachedEmbedding | None:
        """The second encoder (`ModelProfile.second_opinion`) when the settings allow it; its passages share the
        embedding cache (keys carry the model's name)."""
        from assistant.knowledge.encoders import second_encoder_settings

        second = second_encoder_settings(self.settings.embedding)
        if second is None:
            return None
        return build_embedding(second, self.embed_model.cache, self.settings.models_path)

    def documents(self) -> dict[str, KnowledgeDocument]:
        if self._documents is None:
            self._documents = catalogue(self.store)
        return self._documents

    def invalidate(self) -> None:
        self._documents = None

    def catalogue_now(self) -> dict[str, KnowledgeDocument]:
        """The documents as the store holds them now (another process may have changed it since the cache)."""
        return catalogue(self.store)

    def close(self) -> None:
        self.database.close()


def build_database(settings: Settings) -> Database:
    """The configured database (SQLite under the data directory by default), migrated to the newest schema."""
    ensure_data_dir(settings.data_dir)
    with data_dir_guard(settings.data_dir):
        return open_database(
            database_url(settings.database.url.get_secret_value(), settings.data_dir), data_dir=settings.data_dir
        )


def build_knowledge_base(settings: Settings, database: Database | None = None) -> KnowledgeBase:
    database = database or build_database(settings)
    with data_dir_guard(settings.data_dir):
        embed_model = build_embedding(settings.embedding, EmbeddingCache(settings.cache_path), settings.models_path)
        store = open_store(settings, database, embed_model.model_name, embed_model.dim)
    return KnowledgeBase(settings, embed_model, store, database)


@dataclass
class Services:
    """Everything an edge (CLI, HTTP API, Telegram bot) needs, built once."""

    settings: Settings
    kb: KnowledgeBase
    retriever: Retriever
    conversations: ConversationStore
    engine: AnswerEngine
    partners: PartnerFinder
    feedback: FeedbackStore
    submissions: SubmissionQueue
    introductions: IntroductionStore
    #: The documents saved needs were last matched through, while a fast snapshot defers matching.
    _matched_through: set[str] | None = field(default=None, init=False, repr=False)

    def refresh(self) -> None:
        """Pick up newly ingested documents, and tell the saved needs they match."""
        before = self._matched_through if self._matched_through is not None else set(self.retriever.documents)
        self.retriever.refresh()
        if self.retriever.snapshot.fast:
            # Needs are matched in the primary model's space: the new documents wait for their primary vectors.
            self._matched_through = before
            return
        self._matched_through = None
        self._notify_needs(before)

    @cached_property
    def needs(self) -> SavedNeedStore:
        """Saved needs ("tell me when a solution appears"), matched in the search's embedding space."""
        from assistant.community.needs import SavedNeedStore, threshold_for

        retriever = self.retriever
        return SavedNeedStore(
            self.kb.database,
            retriever.embed_query,
            lambda text: retriever.analyse(text).place_codes(),
            threshold_for(getattr(self.kb.embed_model, "model_name", None), retriever.profile.relevance.dense),
        )

    def _notify_needs(self, before: set[str]) -> None:
        from assistant.community.needs import published_since

        try:
            new = published_since(before, self.retriever.snapshot)
            if new:
                matched = self.needs.match(new)
                log.info("%d new document(s) matched %d saved need(s)", len(new), len(matched))
        except Exception:  # a need not notified must not fail the ingest or approval that published
            log.exception("matching new documents against saved needs failed")

    def approve_submission(self, submission_id: str):
        """Publish a moderated submission into the knowledge base; returns the ingest summary."""
        summaries = []

        def publish(path):
            summary = self.kb.ingestor.ingest([path], progress=False)  # a store outage raises StoreUnavailable
            if not summary.ok:
                raise LoadError(path, "; ".join(reason for _, reason in summary.failures))
            summaries.append(summary)

        def withdraw(doc_id: str) -> None:  # rejected by another moderator meanwhile
            self.kb.ingestor.delete([doc_id])

        self.submissions.approve(submission_id, publish=publish, withdraw=withdraw)
        self.refresh()
        return summaries[0]

    def delete_documents(self, doc_ids: list[str]) -> list[str]:
        """Remove documents from the knowledge base (NotFound for an unknown id) and from search."""
        deleted = self.kb.ingestor.delete(doc_ids)
        self.refresh()
        return deleted

    def start_backfill(self) -> BackfillWorker | None:
        """Compute in the background the primary vectors a fast first ingest left (now and whenever more come);
        None when this configuration never defers them."""
        from assistant.knowledge.backfill import BackfillWorker

        if self.kb.ingestor.defer_from is None and not self.kb.store.primary_pending():
            return None
        worker = BackfillWorker(self.kb.store, lambda: self.kb.backfill(background=True))
        worker.start()
        return worker

    def start_watching(self, interval_s: float = 1.0) -> GenerationWatcher:
        """Follow changes made by other processes (CLI ingest, delete, approval) until the watcher is stopped."""
        watcher = GenerationWatcher(self, interval_s)
        watcher.start()
        return watcher

    def close(self) -> None:
        self.kb.close()


class GenerationWatcher:
    """A background thread that polls the store's generation marker and refreshes the retriever when it moves.

    Reading the marker is one small query, so polling every second costs nothing measurable; a failed poll
    (a Chroma server away) is logged and retried, the old snapshot keeps answering meanwhile."""

    def __init__(self, services: Services, interval_s: float = 1.0):
        self.services = services
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="galaxy-generation-watcher", daemon=True)
        self.seen = self._read()

    def _read(self) -> int | None:
        try:
            return self.services.kb.store.generation()
        except Exception as exc:  # an outage must not kill the watcher
            log.warning("could not read the index generation: %s", exc)
            return None

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            current = self._read()
            if current is None or current == self.seen:
                continue
            try:
                self.services.kb.store.reopen()
                self.services.refresh()
                self.seen = current
                log.info("index generation %s: search snapshot refreshed", current)
            except Exception as exc:
                log.warning("refresh after index change failed (will retry): %s", exc)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def build_second_opinion(kb: KnowledgeBase) -> SecondOpinion | None:
    """The relevance gate's second encoder, when the index's model profile names one and the settings allow it."""
    from assistant.retrieval.second_opinion import SecondOpinion

    return SecondOpinion(kb.second_model) if kb.second_model is not None else None


def build_retriever(kb: KnowledgeBase) -> Retriever:
    """The search over the knowledge base, with its second encoder when the settings have one (the CLI's
    one-shot search and every server rank alike)."""
    from assistant.retrieval.retriever import Retriever
    from assistant.retrieval.saved import SavedSnapshot

    return Retriever(
        kb,
        second_opinion=build_second_opinion(kb),
        second_weight=kb.settings.embedding.second_weight,
        saved=SavedSnapshot(kb.settings) if SavedSnapshot.applies(kb.settings) else None,
    )


def build_services(settings: Settings, kb: KnowledgeBase | None = None) -> Services:
    from assistant.answers.conversation import ConversationStore
    from assistant.answers.engine import AnswerEngine
    from assistant.answers.llm import build_llm
    from assistant.community.feedback import FeedbackStore
    from assistant.community.introductions import IntroductionStore
    from assistant.community.submissions import SubmissionQueue
    from assistant.matchmaking.partners import PartnerFinder

    kb = kb or build_knowledge_base(settings)
    with data_dir_guard(settings.data_dir):
        retriever = build_retriever(kb)
        conversations = ConversationStore(kb.database)
        partners = PartnerFinder(retriever)
        engine = AnswerEngine(
            retriever, conversations, build_llm(settings.llm), settings.llm, partner_finder=partners.for_answer
        )
        return Services(
            settings,
            kb,
            retriever,
            conversations,
            engine,
            partners,
            FeedbackStore(kb.database),
            SubmissionQueue(kb.database, settings.data_dir / "submissions"),
            introductions=IntroductionStore(kb.database),
        )
