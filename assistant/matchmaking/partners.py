"""Partner matchmaking: which organisations (or, where none is known, UNDP Accelerator Labs and countries) hold
solutions and activities that match a seeker's need, why, and who funds that kind of work.

`PartnerFinder.suggest` retrieves the documents on the need, gathers the organisations that provide, implement,
fund or partner on them (assistant.matchmaking.orgs), scores each from its `Signals` (assistant.matchmaking.scoring,
whose docstring documents the score), explains the best ones (assistant.matchmaking.reasons) and, when the need asks
for money, lists funding opportunities (assistant.matchmaking.funding).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.profiles import PartnerCalibration
from assistant.matchmaking.funding import find_funding
from assistant.matchmaking.needs import asks_for_money, asks_for_partners, money_topic
from assistant.matchmaking.needs import on_topic as need_on_topic
from assistant.matchmaking.orgs import Organisation, OrgRegistry, name_key, split_acronym
from assistant.matchmaking.reasons import partner_reason
from assistant.matchmaking.scoring import (
    FUNDER_WEIGHT_FOR_MONEY,
    MATCH_MIN,
    ROLE_WEIGHTS,
    SAME_REGION_FACTOR,
    SOUTH_FACTOR,
    ContextFit,
    Signals,
    Weights,
    apply_graph_signal,
    best_possible_score,
    context_fit,
    cosine,
    document_relevance,
    norm,
    score_candidate,
)
from assistant.retrieval.retriever import Filters, QueryAnalysis, Retriever, SearchResult
from assistant.text.geo import REGIONS, country_code
from assistant.text.sdg import find_sdgs

#: Names other modules, tests and bench/partners_eval.py import from here.
__all__ = [
    "SAME_REGION_FACTOR",
    "SOUTH_FACTOR",
    "Partner",
    "PartnerCitation",
    "PartnerFinder",
    "PartnerResult",
    "Signals",
    "Weights",
    "_cosine",
    "apply_graph_signal",
    "asks_for_money",
    "asks_for_partners",
    "context_fit",
    "money_topic",
    "score_candidate",
]

_cosine = cosine  # its former name (bench/partners_eval.py)
#: Documents retrieved per need, and how many of the best define the need's SDGs and themes.
RETRIEVE_K = 40
PROFILE_DOCS = 8
#: Regions whose member countries stand for the seeker's place when the need names them (not continents).
MAX_SEEKER_REGION = 25


# -- results ---------------------------------------------------------------------------------------------------------


@dataclass
class PartnerCitation:
    doc_id: str
    title: str
    url: str | None

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "url": self.url}


@dataclass
class Partner:
    name: str
    kind: str  # organisation | lab | country
    countries: list[str]
    score: float
    reason: str
    citations: list[PartnerCitation] = field(default_factory=list)
    key: str = ""
    signals: Signals | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "countries": self.countries,
            "score": round(self.score, 4),
            "reason": self.reason,
            "citations": [c.to_dict() for c in self.citations],
        }


@dataclass
class PartnerResult:
    partners: list[Partner]
    funding: list[dict]
    language: str = "en"

    def to_dict(self) -> dict:
        return {"partners": [p.to_dict() for p in self.partners], "funding": self.funding}


@dataclass
class _Need:
    """What retrieval found for a need: each document's relevance, the documents, the need's SDGs and themes."""

    relevance: dict[str, float]
    documents: dict[str, KnowledgeDocument]
    sdgs: set[int]
    themes: dict[str, float]
    themes_norm: float


@dataclass
class _Seeker:
    """Who is asking (never suggested to itself) and its known partners."""

    key: str | None = None
    names: set[str] = field(default_factory=set)
    partners: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, registry: OrgRegistry, org: str | None) -> _Seeker:
        if not org:
            return cls()
        key = registry.key_for(org)
        names = {name_key(n) for n in (org, *split_acronym(org)) if n}
        return cls(key, names, set(registry.neighbours(key)) if key else set())

    def is_(self, org: Organisation) -> bool:
        if self.key is None and not self.names:
            return False
        return (
            org.key == self.key
            or name_key(org.name) in self.names
            or bool(self.names & {name_key(a) for a in org.aliases})
        )


class PartnerFinder:
    """Suggests partners for a need. `PartnerFinder(retriever)` builds its organisation registry lazily from the
    retriever's documents and rebuilds it after each `retriever.refresh()`; pass `registry` to use a fixed one, or
    `org_index` (path to an iati3w org-index.json) to add an IATI organisation index to the partner graph."""

    def __init__(
        self,
        retriever: Retriever,
        registry: OrgRegistry | None = None,
        *,
        org_index: Path | str | None = None,
        weights: Weights | None = None,
    ):
        self.retriever = retriever
        self.weights = weights or Weights()
        self.org_index = Path(org_index) if org_index else None
        self._fixed_registry = registry
        self._registry: OrgRegistry | None = None
        self._registry_source: Mapping[str, KnowledgeDocument] | None = None
        self._registry_ids = -1
        self._lock = threading.Lock()

    # -- registry cache ------------------------------------------------------------------------------------------
    @property
    def registry(self) -> OrgRegistry:
        if self._fixed_registry is not None:
            return self._fixed_registry
        documents = self.retriever.documents
        with self._lock:
            # Retriever.refresh() replaces the documents mapping: its identity is the version (we hold a reference,
            # so the id cannot be reused); the count guards against in-place additions.
            if self._registry is None or self._registry_source is not documents or self._registry_ids != len(documents):
                self._registry = OrgRegistry.from_documents(documents, index=self.org_index)
                self._registry_source = documents
                self._registry_ids = len(documents)
            return self._registry

    @property
    def calibration(self) -> PartnerCalibration:
        return self.retriever.profile.partners

    # -- suggestions ---------------------------------------------------------------------------------------------
    def suggest(
        self,
        need: str,
        seeker_country: str | None = None,
        seeker_org: str | None = None,
        k: int = 5,
        *,
        with_funding: bool = True,
        analysis: QueryAnalysis | None = None,
        **weight_overrides,
    ) -> PartnerResult:
        """Organisations (or labs / countries) with solutions matching `need`, best first, each with a reason in
        the need's language and the documents it rests on; plus funding opportunities when the need asks for
        money (unless `with_funding` is False). `analysis`: the need's, when the caller has it already.
        Weight overrides: any `Weights` field, e.g. `south=1.0`."""
        weights = self.weights.with_overrides(**weight_overrides)
        registry = self.registry
        analysis = analysis or self.retriever.analyse(need)
        language = analysis.language
        money = asks_for_money(need)
        seeker_codes = self._seeker_codes(seeker_country, analysis)
        funding: list[dict] = []
        if money and with_funding:
            funding = find_funding(self.retriever, self.calibration, need, seeker_codes, language)
        result = self._search(need, analysis)
        if not self.on_topic(need, result):
            return PartnerResult([], funding, language)
        found = self._need(need, result)
        seeker = _Seeker.of(registry, seeker_org)
        candidates = self._candidates(result, found, registry, seeker, money)
        fit = ContextFit(seeker_codes)
        signals = {
            key: self._signals(registry.orgs[key], docs, found, language, fit) for key, docs in candidates.items()
        }
        matched = frozenset(found.relevance)
        apply_graph_signal(
            signals,
            lambda key: registry.orgs[key].partners if key in registry.orgs else (),
            weights,
            seeker.partners,
            lambda a, b: registry.worked_with(a, b, matched),
        )
        scored = sorted(((score_candidate(s, weights), key) for key, s in signals.items()), key=lambda x: (-x[0], x[1]))
        partners = [
            self._partner(registry.orgs[key], score, signals[key], candidates[key], found, registry, seeker, language)
            for score, key in [(score, key) for score, key in scored if score > 0][:k]
        ]
        return PartnerResult(partners, funding, language)

    suggest_partners = suggest

    def on_topic(self, need: str, result: SearchResult) -> bool:
        """Whether the knowledge base holds anything on the need (assistant.matchmaking.scoring, "Floors")."""
        return need_on_topic(need, result, self.calibration)

    def _search(self, need: str, analysis: QueryAnalysis) -> SearchResult:
        # Places named in the need describe the seeker's context, not where a partner must come from: no
        # country boost in retrieval (the context factor handles them).
        return self.retriever.search(
            need,
            k=RETRIEVE_K,
            filters=Filters(kinds=["solution", "organisation"]),
            analysis=analysis,
            use_query_understanding=False,
            with_snippets=False,
        )

    def _seeker_codes(self, seeker_country: str | None, analysis: QueryAnalysis) -> set[str]:
        if seeker_country:
            code = country_code(seeker_country)
            return {code} if code else set()
        codes = set(analysis.countries)
        for region in analysis.regions:
            if region in REGIONS and region != "Global South" and len(REGIONS[region].members) <= MAX_SEEKER_REGION:
                codes |= set(REGIONS[region].members)
        return codes

    def _need(self, need: str, result: SearchResult) -> _Need:
        """Each document's relevance; the need's SDGs (named or keyword-detected in it; else those of the best
        documents) and its themes (those of the best documents, weighted by their relevance)."""
        best_possible = best_possible_score(self.retriever)
        relevance = {h.doc.id: document_relevance(h, best_possible, self.calibration) for h in result.hits}
        best = result.hits[:PROFILE_DOCS]
        sdgs = set(find_sdgs(need))
        if not sdgs:
            votes: defaultdict[int, float] = defaultdict(float)
            for hit in best:
                for goal in hit.doc.sdgs:
                    votes[goal] += relevance[hit.doc.id]
            sdgs = {s for s, _ in sorted(votes.items(), key=lambda item: -item[1])[:3]}  # the three most voted
        themes: defaultdict[str, float] = defaultdict(float)
        for hit in best:
            for theme in hit.doc.themes:
                themes[theme] += relevance[hit.doc.id]
        return _Need(relevance, {h.doc.id: h.doc for h in result.hits}, sdgs, themes, norm(themes))

    @staticmethod
    def _candidates(
        result: SearchResult, found: _Need, registry: OrgRegistry, seeker: _Seeker, money: bool
    ) -> dict[str, dict[str, float]]:
        """Org key -> doc id -> role-weighted relevance, for every organisation on a retrieved document."""
        candidates: dict[str, dict[str, float]] = {}
        for hit in result.hits:
            r = found.relevance[hit.doc.id]
            for org, role in registry.orgs_for_doc(hit.doc.id):
                if seeker.is_(org):
                    continue
                weight = FUNDER_WEIGHT_FOR_MONEY if money and role == "funding" else ROLE_WEIGHTS.get(role, 0.5)
                docs = candidates.setdefault(org.key, {})
                docs[hit.doc.id] = max(docs.get(hit.doc.id, 0.0), weight * r)
        return candidates

    @staticmethod
    def _signals(org: Organisation, docs: dict[str, float], found: _Need, language: str, fit: ContextFit) -> Signals:
        return Signals(
            relevances=list(docs.values()),
            sdg=(len(found.sdgs & set(org.sdgs)) / len(found.sdgs)) if found.sdgs else 0.0,
            theme=cosine(found.themes, org.themes, found.themes_norm),
            matches=sum(1 for d in docs if found.relevance[d] >= MATCH_MIN),
            language=1.0 if org.languages.get(language) else 0.0,
            south=org.global_south,
            context=fit(org.home or org.countries),  # where it is based, else works
        )

    @staticmethod
    def _partner(
        org: Organisation,
        score: float,
        signals: Signals,
        docs: dict[str, float],
        found: _Need,
        registry: OrgRegistry,
        seeker: _Seeker,
        language: str,
    ) -> Partner:
        documents, relevance = found.documents, found.relevance
        ranked = sorted(docs, key=lambda d: (documents[d].kind != "solution", -docs[d], d))
        cited = [d for d in ranked if relevance[d] >= MATCH_MIN][:3] or ranked[:1]
        citations = [PartnerCitation(d, documents[d].title, documents[d].url) for d in cited]
        solutions = [d for d in ranked if documents[d].kind == "solution" and relevance[d] >= MATCH_MIN] or [
            d for d in ranked if documents[d].kind == "solution"
        ][:1]
        linked = [registry.orgs[p].name for p in seeker.partners if p in org.partners and p in registry.orgs]
        reason = partner_reason(org, signals, [documents[d] for d in solutions], linked, language)
        countries = (org.home + [c for c in org.countries if c not in org.home])[:5]
        return Partner(org.name, org.kind, countries, score, reason, citations, key=org.key, signals=signals)

    # -- the answer engine's hook ----------------------------------------------------------------------------------
    def for_answer(self, question: str, result: SearchResult | None) -> list[dict]:
        """Partner suggestions attached to an answer, only when the question asks for partners or help. `result`
        is the answer's own search: its analysis of the question is reused (its 8 hits, ranked with the answer's
        filters and place boosts, are not the 40 unboosted solutions and profiles partner scoring ranks)."""
        if not asks_for_partners(question):
            return []
        analysis = result.analysis if result is not None and result.analysis.text == question else None
        return [p.to_dict() for p in self.suggest(question, k=3, with_funding=False, analysis=analysis).partners]
