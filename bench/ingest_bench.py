"""Ingestion benchmark on the 895 real UNDP Accelerator Labs records (../shared/data).

Side by side in one run, each in its own process (so peak memory is per run):
  ours      galaxy's incremental pipeline into a fresh data dir (cold embedding cache)
  naive     llama-index VectorStoreIndex.from_documents into Chroma, same model and same chunking
  reingest  galaxy again over the unchanged file (new process: model load and CSV parsing included)

Usage: python bench/ingest_bench.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CSV = ROOT.parent / "shared" / "data" / "undp-acclabs-africa-solutions.csv"
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _documents():
    from assistant.knowledge.loaders.csv import load_acclabs

    return load_acclabs(CSV)


def run_ours(data_dir: str) -> dict:
    from assistant.container import build_knowledge_base
    from assistant.settings import load_settings

    settings = load_settings(data_dir=Path(data_dir))
    started = time.perf_counter()
    kb = build_knowledge_base(settings)
    summary = kb.ingestor.ingest([CSV], progress=False)
    chunks, records = summary.chunks, summary.added + summary.updated + summary.unchanged
    seconds = time.perf_counter() - started
    return {
        "records": records,
        "chunks": chunks,
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "embedded": kb.embed_model.misses,
    }


def run_naive(data_dir: str) -> dict:
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.knowledge.embeddings import E5Embedding
    from assistant.knowledge.ingest import build_splitter, to_llama_document
    from assistant.settings import load_settings

    settings = load_settings(data_dir=Path(data_dir))
    started = time.perf_counter()
    documents = [to_llama_document(d) for d in _documents()]
    client = chromadb.PersistentClient(
        path=str(Path(data_dir) / "naive"), settings=ChromaClientSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection("naive", embedding_function=None)
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    index = VectorStoreIndex.from_documents(
        documents,
        storage_context=storage,
        embed_model=E5Embedding(),
        transformations=[build_splitter(settings.chunk)],
    )
    seconds = time.perf_counter() - started
    del index
    return {"records": len(documents), "chunks": collection.count(), "seconds": seconds, "peak_mb": _peak_mb()}


def _child(mode: str, data_dir: str) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--data", data_dir]
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, cwd=ROOT, env={**os.environ, "GALAXY_LOG_LEVEL": "WARNING"}
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--data")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.child:
        fn = {"ours": run_ours, "reingest": run_ours, "naive": run_naive}[args.child]
        print(json.dumps(fn(args.data)))
        return
    if not CSV.exists():
        sys.exit(f"skipped: {CSV} not found (the shared data sits beside the checkout)")
    with tempfile.TemporaryDirectory() as ours_dir, tempfile.TemporaryDirectory() as naive_dir:
        results = {
            "naive": _child("naive", naive_dir),
            "ours": _child("ours", ours_dir),
            "reingest": _child("reingest", ours_dir),
        }
    for r in results.values():
        r["records_per_s"] = r["records"] / r["seconds"]
        r["chunks_per_s"] = r["chunks"] / r["seconds"]
    results["ratios"] = {
        "first_ingest_speed_ours_vs_naive": results["naive"]["seconds"] / results["ours"]["seconds"],
        "unchanged_reingest_vs_naive_rebuild": results["naive"]["seconds"] / results["reingest"]["seconds"],
    }
    print(f"{'run':<10}{'records':>9}{'chunks':>8}{'seconds':>9}{'rec/s':>8}{'chunks/s':>10}{'peak MB':>9}")
    for name in ("naive", "ours", "reingest"):
        r = results[name]
        print(
            f"{name:<10}{r['records']:>9}{r['chunks']:>8}{r['seconds']:>9.2f}{r['records_per_s']:>8.1f}"
            f"{r['chunks_per_s']:>10.1f}{r['peak_mb']:>9.0f}"
        )
    ratios = results["ratios"]
    print(f"first ingest: ours is {ratios['first_ingest_speed_ours_vs_naive']:.2f}x the naive speed")
    print(
        f"unchanged re-ingest: {results['reingest']['seconds']:.2f} s, "
        f"{ratios['unchanged_reingest_vs_naive_rebuild']:.0f}x faster than the naive rebuild"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
