"""Ingestion benchmark on the 895 real UNDP Accelerator Labs records (../shared/data).

Side by side in one run, each in its own process (so peak memory is per run):
  ours      galaxy's incremental pipeline into a fresh data dir (cold embedding cache), default settings: fast
            first (searchable with USE's vectors), then the e5 backfill as `galaxy ingest` runs it
  ours-e5   the same with fast_first off: e5 embeds every chunk before the ingest returns
  naive     llama-index VectorStoreIndex.from_documents into Chroma, same model and same chunking
  reingest  galaxy again over the unchanged file (new process: model load and CSV parsing included)

--edit: one generated ~10,000-line Markdown file (one item a line, headings and blank lines now and then) ingested
into a fresh data dir, then one line inserted at the top of its body and ingested again; chunks re-embedded (cache
misses) and seconds, with today's structured chunker and with the greedy `SentenceSplitter` it replaced, each in its
own process; plus, without embedding, how many chunk texts change after an edit at the top and in the middle for
that file and for a prose file (sentences with punctuation). Needs no shared data.

Re-embedded chunks depend on the chunker only; the seconds depend on the model (GALAXY_EMBEDDING__MODE).

Usage: python bench/ingest_bench.py [--json OUT] [--edit [--lines N]]
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


def _searched_by(retriever) -> str:
    return "fast encoder only" if retriever.snapshot.fast else "both encoders"


def run_ours(data_dir: str, fast_first: bool = True, search: bool = True) -> dict:
    """Ingest, then search once (the knowledge base is searchable); then, after a fast first ingest, the e5
    backfill as `galaxy ingest` runs it (foreground, every core), and a search over both encoders. `search`
    False: the ingest alone (the unchanged re-ingest)."""
    from assistant.container import build_knowledge_base, build_retriever
    from assistant.settings import load_settings

    settings = load_settings(data_dir=Path(data_dir), embedding={"fast_first": fast_first})
    started = time.perf_counter()
    kb = build_knowledge_base(settings)
    summary = kb.ingestor.ingest([CSV], progress=False)
    chunks, records = summary.chunks, summary.added + summary.updated + summary.unchanged
    if not search:
        return {"records": records, "chunks": chunks, "seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}
    retriever = build_retriever(kb)
    retriever.search("solar water pumps for farmers", k=5)
    searchable = time.perf_counter() - started
    result = {
        "records": records,
        "chunks": chunks,
        "seconds": searchable,
        "searched_by": _searched_by(retriever),
        "deferred": summary.deferred,
        "embedded": kb.embed_model.misses,
    }
    if summary.deferred:
        backfill = kb.backfill().run()
        retriever.refresh()
        retriever.search("solar water pumps for farmers", k=5)
        result["backfill_seconds"] = backfill.seconds
        result["both_encoders_after_s"] = time.perf_counter() - started
        result["searched_by_after"] = _searched_by(retriever)
    result["peak_mb"] = _peak_mb()
    return result


def run_naive(data_dir: str) -> dict:
    import chromadb
    from chromadb.config import Settings as ChromaClientSettings
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.knowledge.embeddings import CachedEmbedding
    from assistant.knowledge.encoders import E5Encoder, EmbeddingCache
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
        embed_model=CachedEmbedding(E5Encoder(), EmbeddingCache(Path(data_dir) / "naive-cache.sqlite3")),
        transformations=[build_splitter(settings.chunk)],
    )
    seconds = time.perf_counter() - started
    del index
    return {"records": len(documents), "chunks": collection.count(), "seconds": seconds, "peak_mb": _peak_mb()}


EDIT_LINE = "Updated on 1 December 2026 with the cooperatives of the northern districts and their contacts"
_WORDS = [
    "water",
    "solar",
    "kiosk",
    "farmers",
    "cooperative",
    "women",
    "market",
    "price",
    "rain",
    "harvest",
    "soil",
    "seed",
    "youth",
    "training",
    "digital",
    "mobile",
    "payment",
    "clinic",
    "school",
    "district",
    "pump",
    "borehole",
]


def long_body(lines: int, prose: bool = False, seed: int = 12) -> str:
    import random

    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < lines:
        if rng.random() < 0.02:
            out += ["", f"## Part {len(out)}", ""]
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 30))).capitalize()
        out.append(line + ("." if prose else ""))
    return "\n".join(out)


def _write_long(path: Path, body: str) -> None:
    path.write_text(f"---\nid: long-file\ntitle: A long field guide\ncountries: [KEN]\n---\n{body}\n")


def _legacy_splitter():
    from llama_index.core.node_parser import SentenceSplitter

    from assistant.knowledge.ingest import chunk_id
    from assistant.settings import ChunkSettings

    chunk = ChunkSettings.model_validate({})
    return SentenceSplitter(chunk_size=chunk.size, chunk_overlap=chunk.overlap, id_func=chunk_id)


def run_edit(data_dir: str, legacy: bool, lines: int) -> dict:
    import assistant.knowledge.ingest as ingest
    from assistant.container import build_knowledge_base
    from assistant.settings import load_settings

    if legacy:
        ingest.build_splitter = lambda chunk: _legacy_splitter()
    folder = Path(data_dir) / "docs"
    folder.mkdir()
    path, body = folder / "long-file.md", long_body(lines)
    _write_long(path, body)
    kb = build_knowledge_base(load_settings(data_dir=Path(data_dir) / "data"))
    started = time.perf_counter()
    first = kb.ingestor.ingest([path], progress=False)
    first_s, first_misses = time.perf_counter() - started, kb.embed_model.misses
    _write_long(path, EDIT_LINE + "\n" + body)
    started = time.perf_counter()
    edited = kb.ingestor.ingest([path], progress=False)
    return {
        "model": kb.embed_model.model_name,
        "lines": lines,
        "chunks": first.chunks,
        "first_seconds": first_s,
        "edited_chunks": edited.chunks,
        "reembedded": kb.embed_model.misses - first_misses,
        "edit_seconds": time.perf_counter() - started,
    }


def split_only(lines: int) -> dict:
    """Chunk texts that change after an edit, per chunker and kind of file: no model, just the splitters."""
    from llama_index.core.schema import MetadataMode

    from assistant.knowledge.ingest import build_splitter, to_llama_document
    from assistant.knowledge.loaders.markdown import load_markdown
    from assistant.settings import ChunkSettings

    def texts(splitter, body: str, folder: Path) -> list[str]:
        _write_long(folder / "long-file.md", body)
        doc = to_llama_document(load_markdown(folder / "long-file.md")[0])
        return [n.get_content(metadata_mode=MetadataMode.EMBED) for n in splitter.get_nodes_from_documents([doc])]

    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("list", "prose"):
            body = long_body(lines, prose=kind == "prose")
            middle = body.index("\n", len(body) // 2) + 1
            for name, splitter in (
                ("greedy", _legacy_splitter()),
                ("structured", build_splitter(ChunkSettings.model_validate({}))),
            ):
                base = texts(splitter, body, Path(tmp))
                top = texts(splitter, EDIT_LINE + "\n" + body, Path(tmp))
                mid = texts(splitter, body[:middle] + EDIT_LINE + "\n" + body[middle:], Path(tmp))
                out[f"{kind}/{name}"] = {
                    "chunks": len(base),
                    "changed_top": len(set(top) - set(base)),
                    "changed_middle": len(set(mid) - set(base)),
                }
    return out


def edit_main(lines: int, json_out: str | None) -> None:
    results: dict = {"split_only": split_only(lines)}
    print(f"{'file/chunker':<18}{'chunks':>8}{'changed (top)':>15}{'changed (middle)':>18}")
    for name, r in results["split_only"].items():
        print(f"{name:<18}{r['chunks']:>8}{r['changed_top']:>15}{r['changed_middle']:>18}")
    for mode in ("edit-greedy", "edit"):
        with tempfile.TemporaryDirectory() as tmp:
            results[mode] = _child(mode, tmp, lines)
    print(f"{'ingest':<14}{'lines':>7}{'chunks':>8}{'first s':>9}{'re-embedded':>13}{'edit s':>8}")
    for mode in ("edit-greedy", "edit"):
        r = results[mode]
        print(
            f"{mode:<14}{r['lines']:>7}{r['chunks']:>8}{r['first_seconds']:>9.1f}{r['reembedded']:>13}"
            f"{r['edit_seconds']:>8.1f}"
        )
    if json_out:
        Path(json_out).write_text(json.dumps(results, indent=2))


def _child(mode: str, data_dir: str, lines: int = 0) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--data", data_dir, "--lines", str(lines)]
    out = subprocess.run(
        cmd, capture_output=True, text=True, check=True, cwd=ROOT, env={**os.environ, "GALAXY_LOG_LEVEL": "WARNING"}
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--data")
    parser.add_argument("--json")
    parser.add_argument("--edit", action="store_true", help="The edit scenario (a long file, one line inserted).")
    parser.add_argument("--lines", type=int, default=10_000, help="Lines of the --edit file.")
    args = parser.parse_args()
    if args.child in ("edit", "edit-greedy"):
        print(json.dumps(run_edit(args.data, args.child == "edit-greedy", args.lines)))
        return
    if args.child:
        fn = {
            "ours": run_ours,
            "ours-e5": lambda data: run_ours(data, fast_first=False),
            "reingest": lambda data: run_ours(data, search=False),
            "naive": run_naive,
        }[args.child]
        print(json.dumps(fn(args.data)))
        return
    if args.edit:
        edit_main(args.lines, args.json)
        return
    if not CSV.exists():
        sys.exit(f"skipped: {CSV} not found (the shared data sits beside the checkout)")
    with (
        tempfile.TemporaryDirectory() as ours_dir,
        tempfile.TemporaryDirectory() as e5_dir,
        tempfile.TemporaryDirectory() as naive_dir,
    ):
        results = {
            "naive": _child("naive", naive_dir),
            "ours-e5": _child("ours-e5", e5_dir),
            "ours": _child("ours", ours_dir),
            "reingest": _child("reingest", ours_dir),
        }
    for r in results.values():
        r["records_per_s"] = r["records"] / r["seconds"]
        r["chunks_per_s"] = r["chunks"] / r["seconds"]
    results["ratios"] = {
        "first_ingest_speed_ours_vs_naive": results["naive"]["seconds"] / results["ours"]["seconds"],
        "searchable_fast_first_vs_e5_first": results["ours-e5"]["seconds"] / results["ours"]["seconds"],
        "both_encoders_fast_first_vs_e5_first": results["ours"].get("both_encoders_after_s", 0)
        / results["ours-e5"]["seconds"],
        "unchanged_reingest_vs_naive_rebuild": results["naive"]["seconds"] / results["reingest"]["seconds"],
    }
    print(f"{'run':<10}{'records':>9}{'chunks':>8}{'seconds':>9}{'rec/s':>8}{'chunks/s':>10}{'peak MB':>9}")
    for name in ("naive", "ours-e5", "ours", "reingest"):
        r = results[name]
        print(
            f"{name:<10}{r['records']:>9}{r['chunks']:>8}{r['seconds']:>9.2f}{r['records_per_s']:>8.1f}"
            f"{r['chunks_per_s']:>10.1f}{r['peak_mb']:>9.0f}"
        )
    if "backfill_seconds" in results["ours"]:
        print(
            f"fast first: searchable after {results['ours']['seconds']:.1f} s ({results['ours']['searched_by']}), "
            f"e5 backfill {results['ours']['backfill_seconds']:.1f} s, both encoders after "
            f"{results['ours']['both_encoders_after_s']:.1f} s"
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
