"""How a candidate partner is scored for a need: `Signals` (what is known about it) and `score_candidate`, the one
scoring function of PartnerFinder.suggest (assistant.matchmaking.partners) and of the offline evaluation over the
IATI organisation index (bench/partners_eval.py).

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
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace

from assistant.knowledge.profiles import DEFAULT_PROFILE, PROFILES, PartnerCalibration
from assistant.retrieval.retriever import RRF_K, Hit, Retriever
from assistant.text.geo import PRIMARY_REGIONS, REGIONS, region_of

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
    from_top: defaultdict[str, float] = defaultdict(float)
    for score, key in top:
        for other in neighbours(key):
            if other != key and other in signals and (independent is None or independent(other, key)):
                from_top[other] += score / total
    from_seeker: defaultdict[str, float] = defaultdict(float)
    for partner in seeker_partners:
        for other in neighbours(partner):
            if other in signals and (independent is None or independent(other, partner)):
                from_seeker[other] += 1.0 / len(seeker_partners)
    for key, s in signals.items():
        s.graph = min(1.0, max(from_top.get(key, 0.0), from_seeker.get(key, 0.0)))
        s.graph_unit = unit


# -- context -----------------------------------------------------------------------------------------------------------

#: Wider groupings that count as "a similar context" (Global South is excluded: it would match nearly everyone).
_WIDE_REGIONS = tuple(name for name in REGIONS if name not in PRIMARY_REGIONS and name != "Global South")


def _wide_regions(codes: set[str]) -> set[str]:
    return {name for name in _WIDE_REGIONS if REGIONS[name].members & codes}


class ContextFit:
    """`context_fit` for one seeker, its regions worked out once (a need scores many candidates)."""

    def __init__(self, seeker_codes: set[str]):
        self.codes = seeker_codes
        self.regions = {region_of(c) for c in seeker_codes} - {None}
        self.wide = _wide_regions(seeker_codes) if seeker_codes else set()

    def __call__(self, org_countries: list[str]) -> str | None:
        if not self.codes or not org_countries:
            return None
        codes = set(org_countries)
        if codes & self.codes or {region_of(c) for c in codes} & self.regions:
            return "same-region"
        if _wide_regions(codes) & self.wide:
            return "similar"
        return None


def context_fit(org_countries: list[str], seeker_codes: set[str]) -> str | None:
    """'same-region' when one of the organisation's countries is in a seeker country's primary region, 'similar'
    when they share a wider region (Sahel, Sub-Saharan Africa, Asia-Pacific...), None otherwise or without a seeker."""
    return ContextFit(seeker_codes)(org_countries)


# -- documents' relevance --------------------------------------------------------------------------------------------


def best_possible_score(retriever: Retriever) -> float:
    """The fused retrieval score of a document ranked first by both rankers (the "rank" term's unit)."""
    return (retriever.dense_weight + retriever.lexical_weight) / (RRF_K + 1)


def document_relevance(hit: Hit, best_possible: float, calibration: PartnerCalibration | None = None) -> float:
    """0..1: 0.6·dense + 0.2·words + 0.2·rank (module docstring). Dense similarity weighs most: it is the one
    signal that sees across languages (a Spanish need, a French record)."""
    cal = calibration or PROFILES[DEFAULT_PROFILE].partners
    dense = min(1.0, max(0.0, (hit.dense - cal.zero) / (cal.full - cal.zero)))
    rank = min(1.0, hit.score / best_possible) if best_possible > 0 else 0.0
    return 0.6 * dense + 0.2 * min(1.0, hit.lexical) + 0.2 * rank


def norm(bag: Mapping[str, float]) -> float:
    """The Euclidean norm of a weighted bag."""
    return math.sqrt(sum(v * v for v in bag.values()))


def cosine(a: Mapping[str, float], b: Mapping[str, float], norm_a: float | None = None) -> float:
    """Cosine between two weighted bags (themes); `norm_a`: a's norm, when scoring many b against one a."""
    if not a or not b:
        return 0.0
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = norm(a) if norm_a is None else norm_a
    nb = norm(b)
    return dot / (na * nb) if na and nb else 0.0
