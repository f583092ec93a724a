"""Partner-matchmaking evaluation: `python bench/partners_eval.py [--data-dir data/eval-acclabs] [--json OUT]`.

1. IATI organisation index (../shared/data/iati3w-somalia-org-index.json), link prediction: for every organisation
   with >= 2 known partners, hide all its partner edges, describe its need from its own sectors and locations (text),
   and rank every other organisation with `assistant.matchmaking.partners.score_candidate` (the scoring function of suggest())
   over profiles built from the index (sectors, locations, type) and the remaining partner graph. hits@k = share of
   hidden partners found in the top k, per organisation (also pooled over all hidden edges, and the share of
   organisations with at least one found), side by side with a popularity baseline (most-connected organisations
   in the remaining graph).
2. AccLabs records (dev-set items of type "partner"): PartnerFinder.suggest over the real index; precision@5 = share
   of the suggested labs/countries holding at least one record that passes the item's topic facet, judged by the
   facet's themes only, and by SDG-or-theme (the dev-set README's lenient rule).

Also called by bench.evaluation.run_evaluation (results["partners"]).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.matchmaking.orgs import Organisation, OrgRegistry  # noqa: E402
from assistant.matchmaking.partners import (  # noqa: E402
    Signals,
    Weights,
    _cosine,
    apply_graph_signal,
    context_fit,
    score_candidate,
)
from assistant.text.sdg import find_sdgs  # noqa: E402
from assistant.text.textproc import words  # noqa: E402

IATI_INDEX = ROOT.parent / "shared" / "data" / "iati3w-somalia-org-index.json"
DEVSET = ROOT / "bench" / "devset" / "questions.jsonl"
MIN_PARTNERS = 2

#: The index has no documents to retrieve, so no relevance floor: every organisation is ranked. Everything else is
#: suggest()'s defaults.
IATI_WEIGHTS = Weights(min_relevance=0.0)
#: Weight of the partner-kind terms in a need (relative to one sector or place word).
TYPE_AFFINITY_WEIGHT = 2.5


# -- IATI index: profiles and the lightweight scorer -----------------------------------------------------------------


def _profile_terms(org: Organisation) -> Counter:
    """Sector and location words of an organisation, weighted by its activity counts (log-damped)."""
    terms: Counter = Counter()
    for theme, n in org.themes.items():
        for w in words(theme):
            terms[f"s:{w}"] += 1 + math.log(n)
    for place, n in org.locations.items():
        for w in words(place):
            terms[f"l:{w}"] += 1 + math.log(n)
    if org.org_type:
        terms[f"t:{org.org_type}"] += 1.0
    return terms


def need_text(org: Organisation, sectors: int = 20, places: int = 15) -> str:
    """A seeker's need in words, from its own sectors and locations only (its partners are hidden)."""
    what = [t for t, _ in org.themes.most_common(sectors)]
    where = [p.replace("-", " ") for p, _ in org.locations.most_common(places)]
    text = "We work on " + (", ".join(what) or "humanitarian response")
    if where:
        text += " in " + ", ".join(where)
    return text + " and look for partners."


def _kind(org: Organisation) -> str:
    return org.org_type or f"scope-{org.scope or 'unknown'}"


def _need_terms(text: str, org: Organisation, type_affinity: Counter | None = None) -> Counter:
    """The need's words in the profiles' vocabulary (sector words and place words are told apart by the
    profile they came from: the need text is built from them), plus the kinds of organisations that organisations
    of the seeker's kind work with (`type_affinity`, from the remaining graph)."""
    sector_words = {w for t in org.themes for w in words(t)}
    place_words = {w for p in org.locations for w in words(p)}
    terms: Counter = Counter()
    for w in words(text):
        if w in sector_words:
            terms[f"s:{w}"] += 1
        if w in place_words:
            terms[f"l:{w}"] += 1
    total = sum(v for v in (type_affinity or {}).values() if v > 0)
    for kind, n in (type_affinity or {}).items():
        if n > 0 and not kind.startswith("scope-"):
            terms[f"t:{kind}"] += TYPE_AFFINITY_WEIGHT * n / total
    return terms


class IndexScorer:
    """TF-IDF cosine between a need and every organisation profile, plus the partner-graph, track-record and
    context signals, combined by `score_candidate`."""

    def __init__(self, registry: OrgRegistry, weights: Weights = IATI_WEIGHTS):
        self.registry = registry
        self.weights = weights
        self.orgs = sorted(registry.orgs.values(), key=lambda o: o.key)
        profiles = [_profile_terms(o) for o in self.orgs]
        df: Counter = Counter()
        for p in profiles:
            df.update(p.keys())
        n = len(profiles)
        self.idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
        self.vectors = [self._normalise({t: v * self.idf[t] for t, v in p.items()}) for p in profiles]
        # which kinds of organisations each kind works with, over the whole graph (the seeker's own edges are
        # subtracted per seeker in rank())
        self.kind_pairs: dict[str, Counter] = {}
        for org in self.orgs:
            for other in org.partners:
                self.kind_pairs.setdefault(_kind(org), Counter())[_kind(registry.orgs[other])] += 1

    @staticmethod
    def _normalise(vector: dict) -> dict:
        norm = math.sqrt(sum(v * v for v in vector.values()))
        return {t: v / norm for t, v in vector.items()} if norm else {}

    def rank(self, seeker: Organisation, hidden: set[str], k: int = 10) -> list[str]:
        text = need_text(seeker)
        affinity = Counter(self.kind_pairs.get(_kind(seeker), Counter()))
        for other in seeker.partners:  # hidden edges
            affinity[_kind(self.registry.orgs[other])] -= 1
        terms = _need_terms(text, seeker, affinity)
        need = self._normalise({t: v * self.idf.get(t, 0.0) for t, v in terms.items()})
        need_sdgs = set(find_sdgs(text))
        need_sectors = Counter({t: n for t, n in seeker.themes.items()})
        seeker_codes = set(seeker.home[:1])
        signals: dict[str, Signals] = {}
        for org, vector in zip(self.orgs, self.vectors, strict=True):
            if org.key == seeker.key:
                continue
            relevance = sum(v * vector.get(t, 0.0) for t, v in need.items())
            if relevance <= 0:
                continue
            matches = sum(org.themes.get(t, 0) for t in need_sectors)
            signals[org.key] = Signals(
                relevances=[relevance],
                sdg=(len(need_sdgs & set(org.sdgs)) / len(need_sdgs)) if need_sdgs else 0.0,
                theme=_cosine(need_sectors, org.themes),
                matches=matches,
                language=0.0,  # the index says nothing about languages
                south=org.global_south,
                context=context_fit(org.home or org.countries, seeker_codes),
            )
        # the seeker's edges are hidden: only the top matches' partners count, and no edge of the seeker is read
        apply_graph_signal(signals, lambda key: self.registry.orgs[key].partners, self.weights)
        scored = sorted(
            ((score_candidate(s, self.weights), key) for key, s in signals.items()), key=lambda x: (-x[0], x[1])
        )
        return [key for score, key in scored[:k] if score > 0]


def popularity_rank(registry: OrgRegistry, seeker: Organisation, k: int = 10) -> list[str]:
    """The most-connected organisations of the remaining graph (the seeker's edges removed)."""
    hidden = set(seeker.partners)
    degree = [
        (len(o.partners) - (1 if o.key in hidden else 0), o.key) for o in registry.orgs.values() if o.key != seeker.key
    ]
    degree.sort(key=lambda x: (-x[0], x[1]))
    return [key for _, key in degree[:k]]


def evaluate_iati(index_path: Path = IATI_INDEX, weights: Weights = IATI_WEIGHTS, ks=(5, 10)) -> dict:
    """hits@k: share of an organisation's hidden partners found in the top k, averaged over organisations (Hits@k
    of link prediction, per organisation); micro_hits@k: the same over all hidden edges pooled; hitrate@k: share
    of organisations with at least one hidden partner in the top k."""
    started = time.perf_counter()
    registry = OrgRegistry.from_index(index_path)
    scorer = IndexScorer(registry, weights)
    seekers = sorted((o for o in registry.orgs.values() if len(o.partners) >= MIN_PARTNERS), key=lambda o: o.key)
    top = max(ks)
    systems = ("model", "popularity")
    hits = {(s, k): 0.0 for s in systems for k in ks}
    found_edges = {(s, k): 0 for s in systems for k in ks}
    hitrate = {(s, k): 0 for s in systems for k in ks}
    total_edges = 0
    for seeker in seekers:
        hidden = set(seeker.partners)
        total_edges += len(hidden)
        ranked = {"model": scorer.rank(seeker, hidden, top), "popularity": popularity_rank(registry, seeker, top)}
        for system, keys in ranked.items():
            for k in ks:
                found = hidden & set(keys[:k])
                hits[(system, k)] += len(found) / len(hidden)
                found_edges[(system, k)] += len(found)
                hitrate[(system, k)] += bool(found)
    n = max(1, len(seekers))
    out = {
        "organisations": len(registry),
        "evaluated": len(seekers),
        "hidden_edges": total_edges,
        "edges": sum(len(o.partners) for o in registry.orgs.values()) // 2,
    }
    for system in systems:
        for k in ks:
            out[f"{system}_hits@{k}"] = hits[(system, k)] / n
            out[f"{system}_micro_hits@{k}"] = found_edges[(system, k)] / max(1, total_edges)
            out[f"{system}_hitrate@{k}"] = hitrate[(system, k)] / n
    out["seconds"] = time.perf_counter() - started
    return out


# -- AccLabs: precision of suggested labs ------------------------------------------------------------------------------


def _topic_match(doc, facet: dict, themes_only: bool) -> bool:
    themes = set(facet.get("themes", []))
    sdgs = set(facet.get("sdgs", []))
    theme_ok = bool(themes and themes & {t.strip() for t in doc.themes})
    if themes_only:
        return theme_ok if themes else bool(sdgs & set(doc.sdgs))
    return theme_ok or bool(sdgs and sdgs & set(doc.sdgs))


def evaluate_acclabs(services, devset: list[dict], k: int = 5, **weight_overrides) -> dict:
    finder = services.partners
    registry = finder.registry
    documents = services.retriever.documents
    items = [q for q in devset if q["type"] == "partner"]
    finder.suggest("warm-up: solar energy for rural clinics", k=k)  # model and registry outside the timings
    precision_themes, precision_lenient, latencies, rows = [], [], [], []
    for q in items:
        services.retriever.embed_query(q["need"])  # the embedding is excluded from the latency
        started = time.perf_counter()
        result = finder.suggest(q["need"], seeker_country=q.get("seeker_country"), k=k, **weight_overrides)
        latencies.append((time.perf_counter() - started) * 1000)
        good_t = good_l = 0
        for partner in result.partners:
            org = registry.get(partner.key)
            docs = [documents[d] for d in (org.docs if org else {}) if d in documents]
            good_t += any(_topic_match(d, q["facet"], True) for d in docs)
            good_l += any(_topic_match(d, q["facet"], False) for d in docs)
        # an empty suggestion list (nothing relevant found) counts as precision 0: the strict reading
        n = len(result.partners) or 1
        precision_themes.append(good_t / n)
        precision_lenient.append(good_l / n)
        rows.append(
            {
                "id": q["id"],
                "suggested": [p.name for p in result.partners],
                "p5_themes": good_t / n,
                "p5_sdg_or_theme": good_l / n,
            }
        )
    # popularity baseline: the k labs / organisations with the most records, whatever the need
    biggest = sorted((o for o in registry.orgs.values() if o.docs), key=lambda o: (-len(o.docs), o.key))[:k]
    popular_t = [
        sum(any(_topic_match(documents[d], q["facet"], True) for d in o.docs if d in documents) for o in biggest)
        / max(1, len(biggest))
        for q in items
    ]
    popular_l = [
        sum(any(_topic_match(documents[d], q["facet"], False) for d in o.docs if d in documents) for o in biggest)
        / max(1, len(biggest))
        for q in items
    ]
    answered = [i for i, row in enumerate(rows) if row["suggested"]]
    return {
        "acclabs_precision@5_themes": statistics.mean(precision_themes) if precision_themes else 0.0,
        "acclabs_precision@5_themes_answered": statistics.mean(precision_themes[i] for i in answered)
        if answered
        else 0.0,
        "acclabs_answered": len(answered),
        "acclabs_popularity_precision@5_themes": statistics.mean(popular_t) if popular_t else 0.0,
        "acclabs_popularity_precision@5_sdg_or_theme": statistics.mean(popular_l) if popular_l else 0.0,
        "acclabs_precision@5_sdg_or_theme": statistics.mean(precision_lenient) if precision_lenient else 0.0,
        "acclabs_items": len(items),
        "acclabs_suggest_p50_ms": statistics.median(latencies) if latencies else 0.0,
        "acclabs_rows": rows,
    }


def partner_metrics(services=None, devset: list[dict] | None = None, index_path: Path = IATI_INDEX) -> dict:
    """The numbers run_evaluation reports under results["partners"]."""
    out: dict = {}
    if index_path.exists():
        iati = evaluate_iati(index_path)
        out.update(
            {
                "iati_hits@5": iati["model_hits@5"],
                "iati_hits@10": iati["model_hits@10"],
                "iati_popularity_hits@10": iati["popularity_hits@10"],
            }
        )
    if services is not None and devset is not None:
        acclabs = evaluate_acclabs(services, devset)
        out.update({key: acclabs[key] for key in ("acclabs_precision@5_themes", "acclabs_precision@5_sdg_or_theme")})
    return out


def format_table(iati: dict | None, acclabs: dict | None) -> str:
    lines = ["| partners | model | popularity baseline |", "|---|---|---|"]
    if iati:
        for metric, label in (
            ("hits", "hidden partners found, per org."),
            ("micro_hits", "hidden edges found"),
            ("hitrate", "orgs with >= 1 found"),
        ):
            for k in (5, 10):
                m, p = iati[f"model_{metric}@{k}"], iati[f"popularity_{metric}@{k}"]
                lines.append(
                    f"| IATI {metric}@{k} ({label}) | {m:.3f} | {p:.3f} (x{m / p if p else float('inf'):.2f}) |"
                )
        lines.append(
            f"| IATI organisations evaluated (>= {MIN_PARTNERS} partners) | {iati['evaluated']} of "
            f"{iati['organisations']} | {iati['seconds']:.1f} s |"
        )
    if acclabs:
        lines.append(
            f"| AccLabs precision@5, themes only | {acclabs['acclabs_precision@5_themes']:.3f} | "
            f"{acclabs['acclabs_popularity_precision@5_themes']:.3f} (the 5 biggest labs) |"
        )
        lines.append(
            f"| AccLabs precision@5, SDG or theme | {acclabs['acclabs_precision@5_sdg_or_theme']:.3f} | "
            f"{acclabs['acclabs_popularity_precision@5_sdg_or_theme']:.3f} |"
        )
        lines.append(
            f"| AccLabs needs with suggestions | {acclabs['acclabs_answered']} of {acclabs['acclabs_items']} "
            f"(themes-only precision over those: {acclabs['acclabs_precision@5_themes_answered']:.3f}) | |"
        )
        lines.append(f"| AccLabs suggest() p50 ms (excl. embedding) | {acclabs['acclabs_suggest_p50_ms']:.0f} | |")
    return "\n".join(lines)


ABLATIONS = {
    "all signals": {},
    "no partner graph": {"graph": 0.0},
    "no South-South / context factors": {"south": 1.0, "same_region": 1.0, "similar_context": 1.0},
    "no SDG / theme overlap": {"sdg": 0.0, "theme": 0.0},
    "no track record": {"track": 0.0},
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="AccLabs index directory (e.g. data/eval-acclabs); without it only the IATI part runs.",
    )
    parser.add_argument("--index", type=Path, default=IATI_INDEX)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--no-ingest", action="store_true", help="Open --data-dir as is (no incremental ingest).")
    parser.add_argument("--ablations", action="store_true", help="IATI hits@10 with one signal removed at a time.")
    args = parser.parse_args(argv)
    iati = evaluate_iati(args.index) if args.index.exists() else None
    if args.ablations and iati:
        print("| IATI ablation | hits@5 | hits@10 |\n|---|---|---|")
        for label, overrides in ABLATIONS.items():
            r = evaluate_iati(args.index, IATI_WEIGHTS.with_overrides(**overrides))
            print(f"| {label} | {r['model_hits@5']:.3f} | {r['model_hits@10']:.3f} |")
        print()
    acclabs = None
    services_for_ablation = None
    if args.data_dir:
        from assistant.container import build_services
        from assistant.settings import load_settings
        from bench.evaluation import build_eval_services, load_devset

        if args.no_ingest:  # the index is complete: open it without checking the CSV again
            services = build_services(load_settings(data_dir=args.data_dir))
        else:
            services = build_eval_services(args.data_dir)
        try:
            acclabs = evaluate_acclabs(services, load_devset(DEVSET))
        except BaseException:
            services.close()
            raise
        services_for_ablation = services
    if args.ablations and acclabs:
        print("| AccLabs ablation | P@5 themes | P@5 SDG or theme |\n|---|---|---|")
        for label, overrides in ABLATIONS.items():
            r = evaluate_acclabs(services_for_ablation, load_devset(DEVSET), **overrides)
            print(f"| {label} | {r['acclabs_precision@5_themes']:.3f} | {r['acclabs_precision@5_sdg_or_theme']:.3f} |")
        print()
    if services_for_ablation is not None:
        services_for_ablation.close()
    print(format_table(iati, acclabs))
    if args.verbose and acclabs:
        for row in acclabs["acclabs_rows"]:
            print(
                f"{row['id']}: themes {row['p5_themes']:.2f} lenient {row['p5_sdg_or_theme']:.2f}  {row['suggested']}"
            )
    if args.json:
        args.json.write_text(
            json.dumps({"iati": iati, "acclabs": acclabs}, indent=2, ensure_ascii=False), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
