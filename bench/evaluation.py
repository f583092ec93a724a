"""Evaluation harness over the real AccLabs records and the team's development set (bench/devset).

Three retrieval systems side by side in one run, over the same index and the same embedding model:
  bm25    BM25 alone (the engine's lexical half), grouped by document
  naive_dense  naive llama-index dense retrieval: VectorStoreIndex over the same Chroma chunks, top chunks in order
  dense_exact  the same, but an exact scan of the same vectors instead of Chroma's HNSW (shows what exactness alone buys)
  engine       this engine: exact dense + BM25 + grouping + query understanding
and the answer engine for refusals, false refusals, citation precision and latency.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.knowledge.documents import KnowledgeDocument

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "bench" / "devset" / "questions.jsonl"
#: Written after the engine's constants were tuned on DEVSET, by someone who never ran the engine on it.
HELDOUT = ROOT / "bench" / "devset" / "heldout.jsonl"
ACCLABS_CSV = ROOT.parent / "shared" / "data" / "undp-acclabs-africa-solutions.csv"


def load_devset(path: Path = DEVSET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def facet_relevant(doc: KnowledgeDocument, facet: dict) -> bool:
    sdgs, themes, countries = set(facet.get("sdgs", [])), set(facet.get("themes", [])), set(facet.get("countries", []))
    topic = bool((sdgs and sdgs & set(doc.sdgs)) or (themes and themes & {t.strip() for t in doc.themes}))
    if not (sdgs or themes):
        topic = True
    place = not countries or bool(countries & set(doc.countries))
    return topic and place


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


@dataclass
class SystemScores:
    recall1: float
    recall5: float
    recall10: float
    mrr10: float
    facet_p10: float
    p50_ms: float
    p95_ms: float


def score_rankings(
    devset: list[dict], rank: Callable[[str], list[str]], documents: dict[str, KnowledgeDocument]
) -> SystemScores:
    r1 = r5 = r10 = mrr = 0.0
    finds = [q for q in devset if q["type"] == "find"]
    facets = [q for q in devset if q["type"] == "facet"]
    latencies = []
    for q in finds:
        started = time.perf_counter()
        ranked = rank(q["question"])[:10]
        latencies.append((time.perf_counter() - started) * 1000)
        relevant = set(q["relevant"])
        first = next((i for i, d in enumerate(ranked) if d in relevant), None)
        if first is not None:
            r1 += first < 1
            r5 += first < 5
            r10 += first < 10
            mrr += 1.0 / (first + 1)
    p10 = []
    for q in facets:
        started = time.perf_counter()
        ranked = rank(q["question"])[:10]
        latencies.append((time.perf_counter() - started) * 1000)
        n_rel = sum(facet_relevant(d, q["facet"]) for d in documents.values())
        good = sum(facet_relevant(documents[d], q["facet"]) for d in ranked if d in documents)
        p10.append(good / max(1, min(10, n_rel)))
    n = max(1, len(finds))
    return SystemScores(
        r1 / n,
        r5 / n,
        r10 / n,
        mrr / n,
        statistics.mean(p10) if p10 else 0.0,
        percentile(latencies, 0.5),
        percentile(latencies, 0.95),
    )


def documents_in_order(doc_ids) -> list[str]:
    """Each document once, at its best chunk's place: generous to the chunk-level baselines."""
    return list(dict.fromkeys(doc_ids))


def naive_dense_ranker(services) -> Callable[[str], list[str]]:
    from llama_index.core import VectorStoreIndex

    index = VectorStoreIndex.from_vector_store(services.kb.store.vector_store, embed_model=services.kb.embed_model)
    retriever = index.as_retriever(similarity_top_k=20)

    def rank(query: str) -> list[str]:
        return documents_in_order(
            node.node.metadata.get("doc_id") or node.node.ref_doc_id for node in retriever.retrieve(query)
        )

    return rank


def exact_dense_ranker(services) -> Callable[[str], list[str]]:
    """Plain cosine over the same vectors, scanned exactly (no fusion, no language centring)."""
    import numpy as np

    retriever = services.retriever

    def rank(query: str) -> list[str]:
        sims = np.einsum("ij,j->i", retriever.matrix, np.asarray(retriever.embed_query(query), dtype=np.float32))
        return documents_in_order(retriever.chunks[i].doc_id for i in np.argsort(-sims, kind="stable")[:20])

    return rank


def bm25_ranker(services) -> Callable[[str], list[str]]:
    from assistant.text.textproc import multilingual_stems

    retriever = services.retriever

    def rank(query: str) -> list[str]:
        stems = list(dict.fromkeys(multilingual_stems(query, retriever.languages)))
        return documents_in_order(retriever.chunks[idx].doc_id for idx, _ in retriever._lexical(stems, None, 60))

    return rank


def engine_ranker(services, place_preference: bool = True, e5_only: bool = False) -> Callable[[str], list[str]]:
    """The engine's ranking; `place_preference=False` is the engine before topic-first (the named place boosted
    above everything), and `e5_only` the engine without the second encoder's ranking in the fusion, both kept for
    side-by-side figures."""

    def rank(query: str) -> list[str]:
        retriever = services.retriever
        weight = retriever.second_weight
        retriever.place_preference = place_preference
        retriever.second_weight = 0.0 if e5_only else weight
        try:
            return [h.doc.id for h in retriever.search(query, k=10).hits]
        finally:
            retriever.place_preference = True
            retriever.second_weight = weight

    return rank


def evaluate_answers(devset: list[dict], services) -> dict:
    from assistant.answers.citations import SUPPORT_THRESHOLD, support

    answerable = [q for q in devset if q["type"] in ("find", "facet")]
    unanswerable = [q for q in devset if q["type"] == "unanswerable"]
    services.retriever._query_cache.clear()  # answer latency includes embedding the question
    latencies, cited, supported = [], 0, 0

    def ask(q: dict):
        """One question in a fresh session, timed; the session is forgotten afterwards."""
        started = time.perf_counter()
        answer = services.engine.ask(q["question"], session_id=f"eval-{q['id']}")
        latencies.append((time.perf_counter() - started) * 1000)
        services.conversations.reset(f"eval-{q['id']}")
        return answer

    false_refusals = 0
    for q in answerable:
        answer = ask(q)
        if not answer.grounded:
            false_refusals += 1
        by_n = {c.n: c for c in answer.citations}
        for line in answer.text.splitlines():
            marks = [int(m) for m in re.findall(r"\[(\d+)\]", line)]
            for m in marks:
                cited += 1
                c = by_n.get(m)
                if c and support(line.split(":", 1)[-1], f"{c.title} {c.passage}") >= SUPPORT_THRESHOLD:
                    supported += 1
    refused = 0
    for q in unanswerable:
        refused += not ask(q).grounded
    return {
        "refusal_rate": refused / max(1, len(unanswerable)),
        "false_refusal_rate": false_refusals / max(1, len(answerable)),
        "citation_precision": supported / max(1, cited),
        "answer_p50_ms": percentile(latencies, 0.5),
        "answer_p95_ms": percentile(latencies, 0.95),
    }


def relevance_signals(devset: list[dict], services) -> list[dict]:
    """Top dense similarity and lexical coverage per question, to calibrate the refusal threshold."""
    rows = []
    for q in devset:
        if q["type"] not in ("find", "facet", "unanswerable"):
            continue
        result = services.retriever.search(q["question"], k=10)
        rows.append(
            {
                "id": q["id"],
                "answerable": q["type"] != "unanswerable",
                "dense": result.top_dense,
                "coverage": result.top_coverage,
            }
        )
    return rows


def build_eval_services(
    data_dir: Path, csv_path: Path = ACCLABS_CSV, embedding_mode: str | None = None, fast_window: bool = False
):
    """Index the real records (incrementally: a second run re-embeds nothing) and build the services.
    `embedding_mode` overrides the settings' (GALAXY_EMBEDDING__MODE); each mode needs its own data_dir.
    A fresh index goes fast first: its e5 vectors are computed here, so the figures are those of both encoders;
    `fast_window`: search as during that backfill instead (the fast encoder alone, its thresholds)."""
    from assistant.container import build_knowledge_base, build_services
    from assistant.settings import load_settings

    settings = load_settings(data_dir=data_dir)
    if embedding_mode:
        settings.embedding = settings.embedding.model_copy(update={"mode": embedding_mode})
    kb = build_knowledge_base(settings)
    kb.ingestor.ingest([csv_path], fmt="undp-acclabs")
    kb.backfill().run()
    if fast_window:
        simulate_fast_window(kb)
    return build_services(settings, kb)


def simulate_fast_window(kb) -> None:
    """Make the store report one chunk still waiting for its e5 vector: snapshots then rank as they do while a
    fast first ingest's backfill runs (the vectors are all there; only the snapshot's choice changes)."""
    kb.store.primary_pending = lambda: 1


def run_evaluation(
    data_dir: Path,
    devset_path: Path = DEVSET,
    csv_path: Path = ACCLABS_CSV,
    embedding_mode: str | None = None,
    fast_window: bool = False,
) -> dict:
    devset = load_devset(devset_path)
    services = build_eval_services(data_dir, csv_path, embedding_mode, fast_window)
    documents = services.retriever.documents
    systems = {
        "bm25": bm25_ranker(services),
        "naive_dense": naive_dense_ranker(services),
        "dense_exact": exact_dense_ranker(services),
        "engine_place_boost": engine_ranker(services, place_preference=False, e5_only=True),
        "engine_e5_only": engine_ranker(services, e5_only=True),
        "engine": engine_ranker(services),
    }
    if fast_window:  # the baselines read e5's vectors; during the window the engine ranks by the fast encoder
        systems = {"bm25": systems["bm25"], "engine": systems["engine"]}
    for rank in systems.values():  # warm up model and caches outside the timings
        rank("warm-up query about solar energy")
    results = {}
    for name, rank in systems.items():
        services.retriever._query_cache.clear()  # each system pays for embedding its questions
        services.retriever._second_query_cache.clear()
        results[name] = vars(score_rankings(devset, rank, documents))
    results["answers"] = evaluate_answers(devset, services)
    results["counts"] = {t: sum(q["type"] == t for q in devset) for t in ("find", "facet", "unanswerable", "partner")}
    if results["counts"]["partner"]:
        results["partners"] = evaluate_partners(services, devset)
    return results


def format_results(results: dict) -> str:
    lines = [
        "| system | R@1 | R@5 | R@10 | MRR@10 | facet P@10 | search p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in ("bm25", "naive_dense", "dense_exact", "engine_place_boost", "engine_e5_only", "engine"):
        if name not in results:
            continue
        r = results[name]
        lines.append(
            f"| {name} | {r['recall1']:.2f} | {r['recall5']:.2f} | {r['recall10']:.2f} | {r['mrr10']:.3f} | "
            f"{r['facet_p10']:.2f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} |"
        )
    a = results["answers"]
    lines += [
        "",
        "| answers | value |",
        "|---|---|",
        f"| refusal rate (unanswerable) | {a['refusal_rate']:.2f} |",
        f"| false refusals (answerable) | {a['false_refusal_rate']:.2f} |",
        f"| citation precision | {a['citation_precision']:.2f} |",
        f"| extractive answer p50 / p95 ms | {a['answer_p50_ms']:.0f} / {a['answer_p95_ms']:.0f} |",
    ]
    if "partners" in results:
        for key, value in results["partners"].items():
            lines.append(
                f"| partners: {key} | {value:.2f} |" if isinstance(value, float) else f"| partners: {key} | {value} |"
            )
    return "\n".join(lines)


# -- partner matchmaking (issue 4) -------------------------------------------------------------------------------------


def evaluate_partners(services, devset: list[dict]) -> dict:
    """results["partners"]: IATI link prediction (hits@5/@10 vs the popularity baseline's hits@10) and the AccLabs
    partner items' precision@5 (themes only; SDG or theme). The evaluation lives in bench/partners_eval.py."""
    from bench.partners_eval import partner_metrics

    return partner_metrics(services, devset)
