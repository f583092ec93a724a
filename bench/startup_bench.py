"""Cold `galaxy search`: wall time of a new process answering one search, the saved snapshot against the store.

    python -m bench.startup_bench [--data-dir DIR] [--runs 9] [--out bench/results/startup.json]

Each round runs the two ways back to back, so both see the same machine load:
  store     the saved snapshot removed first: the search reads Chroma and the database (llama-index, chromadb)
  saved     the snapshot the previous run saved (`assistant.retrieval.saved`)
The data directory must hold an ingested knowledge base (`galaxy ingest corpus/`); the default is ./data."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTIONS = [
    "solar irrigation for farmers",
    "fours améliorés pour fumer le poisson",
    "agua potable para escuelas rurales",
    "energia solar para clínicas",
]


def one_search(data_dir: Path, question: str) -> float:
    env = {**os.environ, "GALAXY_DATA_DIR": str(data_dir), "GALAXY_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cli.main", "search", question, "--k", "5"],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from assistant.settings import load_settings

    snapshot = load_settings(data_dir=args.data_dir).search_snapshot_path
    one_search(args.data_dir, "warm the disk cache")  # also saves the snapshot
    times: dict[str, list[float]] = {"store": [], "saved": []}
    for run in range(args.runs):
        question = QUESTIONS[run % len(QUESTIONS)]
        snapshot.unlink(missing_ok=True)
        times["store"].append(one_search(args.data_dir, question))
        times["saved"].append(one_search(args.data_dir, question))
    result = {
        way: {"median_s": round(statistics.median(t), 3), "min_s": round(min(t), 3), "max_s": round(max(t), 3)}
        for way, t in times.items()
    }
    result["ratio_store_to_saved"] = round(result["store"]["median_s"] / result["saved"]["median_s"], 2)
    result["runs"] = args.runs
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
