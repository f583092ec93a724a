"""Evaluation harness: `python bench/eval.py [--data-dir DIR] [--heldout] [--json OUT]`.

Indexes the real AccLabs records of ../shared/data into DIR (incrementally) and scores retrieval and answers on the
development set, or on the held-out set with --heldout."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.evaluation import ACCLABS_CSV, DEVSET, HELDOUT, format_results, run_evaluation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data/eval-acclabs"),
        help="Where to keep the evaluation index (re-used between runs).",
    )
    parser.add_argument("--json", type=Path, default=None, help="Also write the results to this file.")
    parser.add_argument(
        "--heldout", action="store_true", help="Use the held-out questions instead of the development set."
    )
    parser.add_argument(
        "--fast-window",
        action="store_true",
        help="Search as while a fast first ingest's e5 vectors are being computed (the fast encoder alone).",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not ACCLABS_CSV.exists():
        print(f"error: {ACCLABS_CSV} not found (the shared data sits beside the checkout)", file=sys.stderr)
        return 2
    results = run_evaluation(args.data_dir, HELDOUT if args.heldout else DEVSET, fast_window=args.fast_window)
    print(format_results(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
