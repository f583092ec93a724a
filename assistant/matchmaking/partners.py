"""Partner matchmaking: which organisations (or, where none is known, UNDP Accelerator Labs and countries) hold
solutions and activities that match a seeker's need, why, and who funds that kind of work.

Candidates come from the organisation registry (assistant.matchmaking.orgs) over the knowledge base: every organisation that
provides, implements, funds or partners on a document that retrieval finds for the need. Each candidate is scored
by `score_candidate` from a `Signals` record (the same function scores the offline evaluation over the IATI
organisation index, bench/partners_eval.py):

    score = [R × (1 + w_sdg·SDG + w_theme·THEME + w_track·TRACK + w_language·LANG) + w_graph·GRAPH·TOP] × SOUTH × CONTEXT

  R       relevance of its documents to the need, with diminishing returns: Σ_i decay^i · r_i over its documents
          sorted by r (the best counts fully, the second `decay` of its value...). r = role weight × document
          relevance, and document relevance = 0.6·dense + 0.2·words + 0.2·rank, where dense is the embedding
          similarity mapped from [zero, full] to [0, 1] (the embedding model's `PartnerCalibration`), words the share
          of the need's words found in the document, and rank its fused retrieval score over the best possible one.
          Floors: candidates with R < min_relevance are dropped, and nothing at all is suggested for a need off the
          knowledge base's subject (`on_topic`: the need names a development topic, i.e. find_sdgs finds an SDG in
          it, and the best document reaches `gate_sdg`; or, without an SDG, the best document reaches `gate`; for
          languages find_sdgs has no keywords for, the best document at `gate_sdg` sharing half the need's words).
  SDG     share of the need's SDGs (assistant.text.sdg.find_sdgs on the need; else the SDGs of the best documents)
          found in the organisation's portfolio.
  THEME   cosine between the need's themes (the themes of the best documents, weighted by their relevance) and
          the themes of all the organisation's documents.
  TRACK   track record: number of matching documents (r ≥ MATCH_MIN), log-scaled, 1 at TRACK_SATURATION.
  LANG    1 when the organisation has documents in the need's language.
  GRAPH   partner graph: share of the seeker's known partners it already worked with, or (whichever is larger)
          the score-weighted share of the top `graph_top` matches (scored without the graph) it already worked
          with, counting only links with evidence outside the documents matched for this need (two partners named
          on the same matching solution are not "already working together" evidence twice). TOP is the best
          preliminary score, so the graph term is in units of the best match: w_graph = 1 would mean that being
          linked to every top match is worth as much as the best match itself.
  SOUTH   `south` factor for organisations based in the Global South (geo.COUNTRIES), 1 otherwise or unknown.
  CONTEXT `same_region` factor when it is based in the seeker's region (or works there, when its base is
          unknown); the seeker's place is seeker_country, else the countries and regions the need names.
          `similar_context` when they share a wider region (Africa, Sahel, Asia-Pacific, Latin America and the
          Caribbean...), 1 otherwise.

All weights are `Weights` fields (module-level defaults below), overridable per PartnerFinder or per call.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from assistant.knowledge.documents import KnowledgeDocument
from assistant.knowledge.embeddings import DEFAULT_PROFILE, PROFILES, PartnerCalibration
from assistant.matchmaking.orgs import Organisation, OrgRegistry, name_key, split_acronym
from assistant.retrieval.retriever import RRF_K, Filters, Hit, Retriever, SearchResult
from assistant.text.geo import PRIMARY_REGIONS, REGIONS, country_name, region_of
from assistant.text.sdg import find_sdgs
from assistant.text.textproc import fold

# -- scoring constants (see the module docstring) ------------------------------------------------------------------
W_SDG = 0.15
W_THEME = 0.25
W_TRACK = 0.20
W_LANGUAGE = 0.10
#: Chosen on the IATI link-prediction evaluation (bench/partners_eval.py; hits@10 at w_graph 0 / 1 / 2 / 3 / 4 / 6:
#: 0.16 / 0.31 / 0.39 / 0.43 / 0.44 / 0.45; popularity baseline 0.28): already working with the organisations that
#: match a need is the strongest sign of a good partner where a real partner graph exists. On the shipped corpus the
#: only links are co-occurrences on the very documents matched, which do not count, so it rarely fires there.
W_GRAPH = 3.0
RELEVANCE_DECAY = 0.5
SOUTH_FACTOR = 1.2
SAME_REGION_FACTOR = 1.25
SIMILAR_CONTEXT_FACTOR = 1.1
#: Floor on R: at least one document of fair relevance (or several weaker ones).
MIN_RELEVANCE = 0.25
#: A document "matches" (track record, citations) from this relevance on.
MATCH_MIN = 0.3
TRACK_SATURATION = 5
#: Documents retrieved per need, and how many of the best define the need's SDGs and themes.
RETRIEVE_K = 40
PROFILE_DOCS = 8
#: How many of the best candidates count as "top matches" for the partner-graph bonus.
GRAPH_TOP = 30
#: How much an organisation's role on a document counts (an implementer more than a co-signing partner).
ROLE_WEIGHTS = {
    "profile": 1.0,
    "provider": 1.0,
    "implementing": 1.0,
    "funding": 0.6,
    "extending": 0.5,
    "accountable": 0.5,
    "reporting": 0.4,
    "partner": 0.5,
}
#: Role weight of funders when the need asks for money.
FUNDER_WEIGHT_FOR_MONEY = 1.0
MAX_FUNDING = 3
MIN_FUNDING_RELEVANCE = 0.3
#: A funding opportunity is listed only if its relevance is at least this share of the best one's.
FUNDING_RELATIVE_FLOOR = 0.6
#: Languages assistant.text.sdg detects SDG keywords in; needs in other languages (ar, sw) can pass the topic gate on
#: their words instead: the best document at `gate_sdg` with at least GATE_COVERAGE of the need's words.
SDG_KEYWORD_LANGUAGES = ("en", "fr", "es", "pt")
GATE_COVERAGE = 0.5

#: Matched on folded text (no accents), so every alternative is written without accents.
_FUNDING_WORDS = re.compile(
    r"\b(fund|funds|funding|funder|funders|grant|grants|financ\w*|donor|donors|money|loan|loans|subsid\w*|"
    r"sponsor\w*|investor\w*|subvention\w*|bailleur\w*|fonds|investisseur\w*|subvencion\w*|beca|becas|"
    r"donante\w*|inversor\w*|doador\w*|doacao|doacoes|investidor\w*|تمويل|منحة|منح)\b"
)


@dataclass(frozen=True)
class Weights:
    sdg: float = W_SDG
    theme: float = W_THEME
    track: float = W_TRACK
    language: float = W_LANGUAGE
    graph: float = W_GRAPH
    decay: float = RELEVANCE_DECAY
    south: float = SOUTH_FACTOR
    same_region: float = SAME_REGION_FACTOR
    similar_context: float = SIMILAR_CONTEXT_FACTOR
    min_relevance: float = MIN_RELEVANCE
    track_saturation: int = TRACK_SATURATION
    graph_top: int = GRAPH_TOP

    def with_overrides(self, **overrides) -> Weights:
        known = {f.name for f in fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise TypeError(f"unknown weight(s): {', '.join(sorted(unknown))}")
        return replace(self, **overrides) if overrides else self


@dataclass
class Signals:
    """What is known about one candidate for one need; `score_candidate` turns it into a score."""

    relevances: list[float]  # role-weighted relevance of each of its documents, 0..1
    sdg: float = 0.0  # 0..1
    theme: float = 0.0  # 0..1
    matches: int = 0  # track record: matching documents / activities
    language: float = 0.0  # 0..1
    graph: float = 0.0  # 0..1
    graph_unit: float = 0.0  # the best preliminary score (see the module docstring)
    south: bool | None = None
    context: str | None = None  # "same-region" | "similar" | None

    def relevance(self, decay: float = RELEVANCE_DECAY) -> float:
        return sum(r * decay**i for i, r in enumerate(sorted(self.relevances, reverse=True)))


def track_score(matches: int, saturation: int = TRACK_SATURATION) -> float:
    return min(1.0, math.log1p(max(0, matches)) / math.log1p(max(1, saturation)))


def score_candidate(signals: Signals, weights: Weights = Weights()) -> float:
    """The documented partner score (module docstring); 0 below the relevance floor."""
    relevance = signals.relevance(weights.decay)
    if relevance < weights.min_relevance or relevance <= 0:
        return 0.0
    bonus = (
        weights.sdg * signals.sdg
        + weights.theme * signals.theme
        + weights.track * track_score(signals.matches, weights.track_saturation)
        + weights.language * signals.language
    )
    factor = weights.south if signals.south else 1.0
    if signals.context == "same-region":
        factor *= weights.same_region
    elif signals.context == "similar":
        factor *= weights.similar_context
    return (relevance * (1.0 + bonus) + weights.graph * signals.graph * signals.graph_unit) * factor


def apply_graph_signal(
    signals: dict[str, Signals],
    neighbours: Callable[[str], Iterable[str]],
    weights: Weights = Weights(),
    seeker_partners: set[str] | frozenset = frozenset(),
    independent: Callable[[str, str], bool] | None = None,
) -> None:
    """Set GRAPH and its unit on every candidate (module docstring). `neighbours(key)` lists an organisation's
    partners; `independent(a, b)` says whether their link has evidence outside the matched documents."""
    for s in signals.values():
        s.graph, s.graph_unit = 0.0, 0.0
    preliminary = sorted(((score_candidate(s, weights), k) for k, s in signals.items()), key=lambda x: (-x[0], x[1]))
    top = [(score, key) for score, key in preliminary[: weights.graph_top] if score > 0]
    if not top:
        return
    unit = top[0][0]
    total = sum(score for score, _ in top)
    from_top: Counter = Counter()
    for score, key in top:
        for other in neighbours(key):
            if other != key and other in signals and (independent is None or independent(other, key)):
                from_top[other] += score / total
    from_seeker: Counter = Counter()
    for partner in seeker_partners:
        for other in neighbours(partner):
            if other in signals and (independent is None or independent(other, partner)):
                from_seeker[other] += 1.0 / len(seeker_partners)
    for key, s in signals.items():
        s.graph = min(1.0, max(from_top.get(key, 0.0), from_seeker.get(key, 0.0)))
        s.graph_unit = unit


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


#: Topics that contain a money word without asking for money ("mobile money", "financial inclusion").
_MONEY_TOPICS = re.compile(
    r"\b(mobile money|argent mobile|dinero movil|dinheiro movel|financial (inclusion|services|literacy|education)|"
    r"inclusion financiere|services financiers|education financiere|inclusion financiera|servicios financieros|"
    r"inclusao financeira|servicos financeiros)\b"
)


def money_topic(need: str) -> str:
    """The need without its money words ("grants for solar irrigation" -> "for solar irrigation"): every funding
    opportunity is about money, so only the topic tells them apart."""
    kept = "".join(part for part in re.findall(r"\w+|\W+", need) if not _FUNDING_WORDS.fullmatch(fold(part)))
    kept = " ".join(kept.split())
    return kept if re.search(r"\w", kept) else need


def asks_for_money(need: str) -> bool:
    """True when the need asks who funds, for grants, loans... ("qui finance", "subvenciones")."""
    return bool(_FUNDING_WORDS.search(_MONEY_TOPICS.sub(" ", fold(need))))


_PARTNER_WORDS = re.compile(
    r"\b(who|partner\w*|help|support|provider\w*|organi[sz]ation\w*|qui|partenaire\w*|aider|aide|appui|"
    r"quien\w*|quién\w*|socio\w*|ayuda\w*|apoyo|quem|parceir\w*|ajuda\w*|apoio|شريك|شركاء|مساعدة)\b"
)


def asks_for_partners(question: str) -> bool:
    return bool(_PARTNER_WORDS.search(fold(question)))


# -- explanations ------------------------------------------------------------------------------------------------------

_REGION_NAMES = {
    "fr": {
        "East Africa": "Afrique de l'Est",
        "West Africa": "Afrique de l'Ouest",
        "Central Africa": "Afrique centrale",
        "Southern Africa": "Afrique australe",
        "North Africa": "Afrique du Nord",
        "Arab States": "États arabes",
        "South Asia": "Asie du Sud",
        "South-East Asia": "Asie du Sud-Est",
        "East Asia": "Asie de l'Est",
        "Pacific": "Pacifique",
        "Latin America": "Amérique latine",
        "Caribbean": "Caraïbes",
        "Central Asia": "Asie centrale",
        "Europe": "Europe",
        "North America": "Amérique du Nord",
    },
    "es": {
        "East Africa": "África Oriental",
        "West Africa": "África Occidental",
        "Central Africa": "África Central",
        "Southern Africa": "África Austral",
        "North Africa": "África del Norte",
        "Arab States": "Estados Árabes",
        "South Asia": "Asia del Sur",
        "South-East Asia": "Sudeste Asiático",
        "East Asia": "Asia Oriental",
        "Pacific": "Pacífico",
        "Latin America": "América Latina",
        "Caribbean": "Caribe",
        "Central Asia": "Asia Central",
        "Europe": "Europa",
        "North America": "América del Norte",
    },
    "pt": {
        "East Africa": "África Oriental",
        "West Africa": "África Ocidental",
        "Central Africa": "África Central",
        "Southern Africa": "África Austral",
        "North Africa": "África do Norte",
        "Arab States": "Estados Árabes",
        "South Asia": "Ásia do Sul",
        "South-East Asia": "Sudeste Asiático",
        "East Asia": "Ásia Oriental",
        "Pacific": "Pacífico",
        "Latin America": "América Latina",
        "Caribbean": "Caribe",
        "Central Asia": "Ásia Central",
        "Europe": "Europa",
        "North America": "América do Norte",
    },
}
_LANGUAGE_NAMES = {
    "en": {"en": "English", "fr": "French", "es": "Spanish", "pt": "Portuguese", "ar": "Arabic", "sw": "Swahili"},
    "fr": {"en": "anglais", "fr": "français", "es": "espagnol", "pt": "portugais", "ar": "arabe", "sw": "swahili"},
    "es": {"en": "inglés", "fr": "francés", "es": "español", "pt": "portugués", "ar": "árabe", "sw": "suajili"},
    "pt": {"en": "inglês", "fr": "francês", "es": "espanhol", "pt": "português", "ar": "árabe", "sw": "suaíli"},
}
#: Reason templates per language; other languages fall back to English.
_TEMPLATES = {
    "en": {
        "solutions": "{n} matching solution(s), e.g. “{title}”",
        "activities": "{n} matching activit(y/ies), e.g. “{title}”",
        "profile": "its profile matches the need",
        "based": "based in {place}",
        "works_in": "active in {place}",
        "south": "Global South",
        "same_region": "same region as you",
        "similar": "a context close to yours",
        "language": "works in {language}",
        "graph": "already works with {names}",
        "offers": "offers {offers}",
        "funding_for": "funds {what}",
        "open_to": "open to {places}",
        "amount": "amount {amount}",
        "deadline": "deadline {deadline}",
        "funder": "by {funder}",
    },
    "fr": {
        "solutions": "{n} solution(s) correspondante(s), p. ex. « {title} »",
        "activities": "{n} activité(s) correspondante(s), p. ex. « {title} »",
        "profile": "son profil correspond au besoin",
        "based": "basé : {place}",
        "works_in": "actif : {place}",
        "south": "Sud global",
        "same_region": "même région que vous",
        "similar": "contexte proche du vôtre",
        "language": "travaille en {language}",
        "graph": "travaille déjà avec {names}",
        "offers": "propose {offers}",
        "funding_for": "finance {what}",
        "open_to": "ouvert à {places}",
        "amount": "montant {amount}",
        "deadline": "date limite {deadline}",
        "funder": "par {funder}",
    },
    "es": {
        "solutions": "{n} solución(es) que coinciden, p. ej. «{title}»",
        "activities": "{n} actividad(es) que coinciden, p. ej. «{title}»",
        "profile": "su perfil coincide con la necesidad",
        "based": "sede: {place}",
        "works_in": "activo en: {place}",
        "south": "Sur Global",
        "same_region": "misma región que usted",
        "similar": "contexto parecido al suyo",
        "language": "trabaja en {language}",
        "graph": "ya trabaja con {names}",
        "offers": "ofrece {offers}",
        "funding_for": "financia {what}",
        "open_to": "abierto a {places}",
        "amount": "monto {amount}",
        "deadline": "fecha límite {deadline}",
        "funder": "de {funder}",
    },
    "pt": {
        "solutions": "{n} solução(ões) correspondente(s), p. ex. «{title}»",
        "activities": "{n} atividade(s) correspondente(s), p. ex. «{title}»",
        "profile": "o seu perfil corresponde à necessidade",
        "based": "sede: {place}",
        "works_in": "ativo em: {place}",
        "south": "Sul Global",
        "same_region": "mesma região que você",
        "similar": "contexto próximo do seu",
        "language": "trabalha em {language}",
        "graph": "já trabalha com {names}",
        "offers": "oferece {offers}",
        "funding_for": "financia {what}",
        "open_to": "aberto a {places}",
        "amount": "montante {amount}",
        "deadline": "prazo {deadline}",
        "funder": "de {funder}",
    },
}


def _templates(language: str) -> dict[str, str]:
    return _TEMPLATES.get(language, _TEMPLATES["en"])


def _region_label(region: str | None, language: str) -> str:
    if not region:
        return ""
    return _REGION_NAMES.get(language, {}).get(region, region)


def _language_label(code: str, language: str) -> str:
    return _LANGUAGE_NAMES.get(language, _LANGUAGE_NAMES["en"]).get(code, code)


def _sentence(parts: list[str]) -> str:
    text = "; ".join(p for p in parts if p)
    return (text[0].upper() + text[1:] + ".") if text else ""


# -- context -----------------------------------------------------------------------------------------------------------

#: Wider groupings that count as "a similar context" (Global South is excluded: it would match nearly everyone).
_WIDE_REGIONS = tuple(name for name in REGIONS if name not in PRIMARY_REGIONS and name != "Global South")


def _wide_regions(codes: set[str]) -> set[str]:
    return {name for name in _WIDE_REGIONS if REGIONS[name].members & codes}


def context_fit(org_countries: list[str], seeker_codes: set[str]) -> str | None:
    """'same-region' when one of the organisation's countries is in a seeker country's primary region, 'similar'
    when they share a wider region (Sahel, Sub-Saharan Africa, Asia-Pacific...), None otherwise or without a seeker."""
    if not seeker_codes or not org_countries:
        return None
    seeker_regions = {region_of(c) for c in seeker_codes} - {None}
    codes = set(org_countries)
    if codes & seeker_codes or {region_of(c) for c in codes} & seeker_regions:
        return "same-region"
    if _wide_regions(codes) & _wide_regions(seeker_codes):
        return "similar"
    return None


# -- documents' relevance --------------------------------------------------------------------------------------------


def document_relevance(hit: Hit, best_possible: float, calibration: PartnerCalibration | None = None) -> float:
    """0..1: 0.6·dense + 0.2·words + 0.2·rank (module docstring). Dense similarity weighs most: it is the one
    signal that sees across languages (a Spanish need, a French record)."""
    cal = calibration or PROFILES[DEFAULT_PROFILE].partners
    dense = min(1.0, max(0.0, (hit.dense - cal.zero) / (cal.full - cal.zero)))
    rank = min(1.0, hit.score / best_possible) if best_possible > 0 else 0.0
    return 0.6 * dense + 0.2 * min(1.0, hit.lexical) + 0.2 * rank


def _cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def _is_activity(doc: KnowledgeDocument) -> bool:
    return bool(doc.organisations)


# -- the finder ----------------------------------------------------------------------------------------------------------


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
        self._registry_source: object | None = None
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

    # -- suggestions ---------------------------------------------------------------------------------------------
    def suggest(
        self,
        need: str,
        seeker_country: str | None = None,
        seeker_org: str | None = None,
        k: int = 5,
        *,
        with_funding: bool = True,
        **weight_overrides,
    ) -> PartnerResult:
        """Organisations (or labs / countries) with solutions matching `need`, best first, each with a reason in
        the need's language and the documents it rests on; plus funding opportunities when the need asks for
        money (unless `with_funding` is False). Weight overrides: any `Weights` field, e.g. `south=1.0`."""
        weights = self.weights.with_overrides(**weight_overrides)
        registry = self.registry
        analysis = self.retriever.analyse(need)
        language = analysis.language
        money = asks_for_money(need)
        seeker_codes = self._seeker_codes(seeker_country, analysis)

        funding: list[dict] = []
        if money and with_funding:
            funding = self._funding(need, analysis, seeker_codes, language)

        # Places named in the need describe the seeker's context, not where a partner must come from: no
        # country boost in retrieval (the context factor handles them).
        result = self.retriever.search(
            need,
            k=RETRIEVE_K,
            filters=Filters(kinds=["solution", "organisation"]),
            analysis=analysis,
            use_query_understanding=False,
        )
        if not self.on_topic(need, result):
            return PartnerResult([], funding, language)
        best_possible = (self.retriever.dense_weight + self.retriever.lexical_weight) / (RRF_K + 1)
        doc_rel = {h.doc.id: document_relevance(h, best_possible, self.calibration) for h in result.hits}
        hit_docs = {h.doc.id: h.doc for h in result.hits}
        need_sdgs, need_themes = self._need_profile(need, result, doc_rel)

        seeker_key = registry.key_for(seeker_org) if seeker_org else None
        seeker_names = {name_key(n) for n in (seeker_org, *split_acronym(seeker_org)) if n} if seeker_org else set()
        seeker_partners = set(registry.neighbours(seeker_key)) if seeker_key else set()

        candidates: dict[str, dict[str, float]] = {}  # org key -> doc id -> role-weighted relevance
        for hit in result.hits:
            r = doc_rel[hit.doc.id]
            for org, role in registry.orgs_for_doc(hit.doc.id):
                if (
                    org.key == seeker_key
                    or name_key(org.name) in seeker_names
                    or seeker_names & {name_key(a) for a in org.aliases}
                ):
                    continue
                weight = ROLE_WEIGHTS.get(role, 0.5)
                if money and role == "funding":
                    weight = FUNDER_WEIGHT_FOR_MONEY
                docs = candidates.setdefault(org.key, {})
                docs[hit.doc.id] = max(docs.get(hit.doc.id, 0.0), weight * r)

        signals: dict[str, Signals] = {}
        for key, docs in candidates.items():
            org = registry.orgs[key]
            signals[key] = Signals(
                relevances=list(docs.values()),
                sdg=(len(need_sdgs & set(org.sdgs)) / len(need_sdgs)) if need_sdgs else 0.0,
                theme=_cosine(need_themes, org.themes),
                matches=sum(1 for d, r in docs.items() if doc_rel[d] >= MATCH_MIN),
                language=1.0 if org.languages.get(language) else 0.0,
                south=org.global_south,
                context=context_fit(org.home or org.countries, seeker_codes),  # where it is based, else works
            )
        matched = frozenset(doc_rel)
        apply_graph_signal(
            signals,
            lambda key: registry.orgs[key].partners if key in registry.orgs else (),
            weights,
            seeker_partners,
            lambda a, b: registry.worked_with(a, b, matched),
        )
        scored = sorted(((score_candidate(s, weights), key) for key, s in signals.items()), key=lambda x: (-x[0], x[1]))
        partners: list[Partner] = []
        for score, key in scored:
            if score <= 0 or len(partners) >= k:
                continue
            org = registry.orgs[key]
            partners.append(
                self._partner(
                    org, score, signals[key], candidates[key], doc_rel, hit_docs, registry, seeker_partners, language
                )
            )
        return PartnerResult(partners, funding, language)

    suggest_partners = suggest

    @property
    def calibration(self) -> PartnerCalibration:
        return self.retriever.profile.partners

    def on_topic(self, need: str, result: SearchResult) -> bool:
        """Whether the knowledge base holds anything on the need (module docstring, "Floors")."""
        if not result.hits:
            return False
        cal = self.calibration
        if find_sdgs(need):
            return result.top_dense >= cal.gate_sdg
        if (
            result.analysis.language not in SDG_KEYWORD_LANGUAGES
            and result.top_dense >= cal.gate_sdg
            and result.top_coverage >= GATE_COVERAGE
        ):
            return True
        return result.top_dense >= cal.gate

    def _seeker_codes(self, seeker_country: str | None, analysis) -> set[str]:
        from assistant.text.geo import country_code

        if seeker_country:
            code = country_code(seeker_country)
            return {code} if code else set()
        codes = set(analysis.countries)
        for region in analysis.regions:
            if region in REGIONS and region != "Global South" and len(REGIONS[region].members) <= 25:
                codes |= set(REGIONS[region].members)
        return codes

    def _need_profile(self, need: str, result: SearchResult, doc_rel: dict[str, float]) -> tuple[set[int], Counter]:
        """The need's SDGs (named or keyword-detected in it; else those of the best documents) and its themes
        (those of the best documents, weighted by their relevance)."""
        best = result.hits[:PROFILE_DOCS]
        sdgs = set(find_sdgs(need))
        if not sdgs:
            votes: Counter = Counter()
            for hit in best:
                votes.update({s: doc_rel[hit.doc.id] for s in hit.doc.sdgs})
            sdgs = {s for s, _ in votes.most_common(3)}
        themes: Counter = Counter()
        for hit in best:
            for theme in hit.doc.themes:
                themes[theme] += doc_rel[hit.doc.id]
        return sdgs, themes

    def _partner(
        self,
        org: Organisation,
        score: float,
        signals: Signals,
        docs: dict[str, float],
        doc_rel: dict[str, float],
        documents: dict[str, KnowledgeDocument],
        registry: OrgRegistry,
        seeker_partners: set[str],
        language: str,
    ) -> Partner:
        ranked = sorted(docs, key=lambda d: (documents[d].kind != "solution", -docs[d], d))
        cited = [d for d in ranked if doc_rel[d] >= MATCH_MIN][:3] or ranked[:1]
        citations = [PartnerCitation(d, documents[d].title, documents[d].url) for d in cited]
        t = _templates(language)
        parts: list[str] = []
        solutions = [d for d in ranked if documents[d].kind == "solution" and doc_rel[d] >= MATCH_MIN] or [
            d for d in ranked if documents[d].kind == "solution"
        ][:1]
        if solutions:
            template = t["activities"] if all(_is_activity(documents[d]) for d in solutions) else t["solutions"]
            parts.append(template.format(n=len(solutions), title=documents[solutions[0]].title))
        else:
            parts.append(t["profile"])
        place_codes = org.home[:1] or org.countries[:1]
        if place_codes:
            place = country_name(place_codes[0])
            region = _region_label(region_of(place_codes[0]), language)
            label = f"{place} ({region})" if region and region != place else place
            if org.global_south:
                label = f"{label}, {t['south']}"
            # where it is based when known, else where it has worked
            parts.append((t["based"] if org.home else t["works_in"]).format(place=label))
        if signals.context == "same-region":
            parts.append(t["same_region"])
        elif signals.context == "similar":
            parts.append(t["similar"])
        if signals.language:
            parts.append(t["language"].format(language=_language_label(language, language)))
        linked = [registry.orgs[p].name for p in seeker_partners if p in org.partners and p in registry.orgs]
        if linked:
            parts.append(t["graph"].format(names=", ".join(sorted(linked)[:2])))
        first = _sentence(parts[:2])
        second = _sentence(parts[2:])
        if org.offers and len(second) < 120:
            second = _sentence(parts[2:] + [t["offers"].format(offers=", ".join(org.offers[:2]))])
        reason = f"{first} {second}".strip()
        countries = (org.home + [c for c in org.countries if c not in org.home])[:5]
        return Partner(org.name, org.kind, countries, score, reason, citations, key=org.key, signals=signals)

    # -- funding ---------------------------------------------------------------------------------------------------
    def _funding(self, need: str, analysis, seeker_codes: set[str], language: str) -> list[dict]:
        result = self.retriever.search(
            money_topic(need), k=8, filters=Filters(kinds=["funding"]), use_query_understanding=False
        )
        if not self.on_topic(need, result):
            return []
        best_possible = (self.retriever.dense_weight + self.retriever.lexical_weight) / (RRF_K + 1)
        relevance = {hit.doc.id: document_relevance(hit, best_possible, self.calibration) for hit in result.hits}
        floor = max(MIN_FUNDING_RELEVANCE, FUNDING_RELATIVE_FLOOR * max(relevance.values(), default=0.0))
        scored = []
        for hit in result.hits:
            r = relevance[hit.doc.id]
            if r < floor:
                continue
            doc = hit.doc
            fit = context_fit(doc.countries, seeker_codes)
            factor = SAME_REGION_FACTOR if fit == "same-region" else SIMILAR_CONTEXT_FACTOR if fit == "similar" else 1.0
            if seeker_codes and doc.countries and not fit:
                factor *= 0.8  # lists where it is open, and the seeker is not there
            scored.append((r * factor, doc, fit))
        scored.sort(key=lambda x: (-x[0], x[1].id))
        t = _templates(language)
        out = []
        for score, doc, fit in scored[:MAX_FUNDING]:
            parts = []
            if doc.themes:
                parts.append(t["funding_for"].format(what=", ".join(doc.themes[:3])))
            if doc.funder:
                parts.append(t["funder"].format(funder=doc.funder))
            if doc.countries:
                parts.append(
                    t["open_to"].format(
                        places=", ".join(country_name(c) for c in doc.countries[:4])
                        + ("…" if len(doc.countries) > 4 else "")
                    )
                )
            if doc.amount:
                parts.append(t["amount"].format(amount=doc.amount))
            if doc.deadline:
                parts.append(t["deadline"].format(deadline=doc.deadline))
            out.append(
                {
                    "doc_id": doc.id,
                    "title": doc.title,
                    "funder": doc.funder,
                    "amount": doc.amount,
                    "deadline": doc.deadline,
                    "url": doc.url,
                    "reason": _sentence(parts),
                }
            )
        return out

    # -- the answer engine's hook ----------------------------------------------------------------------------------
    def for_answer(self, question: str, result) -> list[dict]:
        """Partner suggestions attached to an answer, only when the question asks for partners or help."""
        if not asks_for_partners(question):
            return []
        return [p.to_dict() for p in self.suggest(question, k=3, with_funding=False).partners]


# -- CLI helper (the lead wires `galaxy partners`) ----------------------------------------------------------------------
