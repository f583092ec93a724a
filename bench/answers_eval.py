"""Answer-quality retrieval evaluation: `python bench/answers_eval.py [--data-dir DIR] [--label NAME] [--baseline]`.

Over the 895 real AccLabs records (the index of `bench/eval.py`, `data/eval-acclabs`) and the answer sets of
`bench/devset/` (`answers.jsonl` development, `answers-heldout.jsonl` held out), per type:
  elsewhere  a topic asked about a place with no record on it: hit@5 (an on-topic relevant record in the top 5),
             and how many of the top 5 are the named place's own off-topic records
  find       R@10 / MRR@10
  results, who, facts  the gold record in the top 5, and its snippet containing one of the `expect` strings
`--baseline` switches the place preference off (the engine as it was: the named place boosted above everything).
Results are merged into bench/results/answers.json under `--label`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.evaluation import ACCLABS_CSV, ROOT, build_eval_services, load_devset

SETS = {
    "dev": ROOT / "bench" / "devset" / "answers.jsonl",
    "heldout": ROOT / "bench" / "devset" / "answers-heldout.jsonl",
}
RESULTS = ROOT / "bench" / "results" / "answers.json"


def _contains(snippet: str, expect: list[str]) -> bool:
    folded = snippet.casefold()
    return any(e.casefold() in folded for e in expect)


def score_set(questions: list[dict], search) -> dict:
    """`search(question) -> SearchResult`; the scores of one answer set."""
    out: dict[str, dict] = {}
    elsewhere = [q for q in questions if q["type"] == "elsewhere"]
    if elsewhere:
        hits5 = off_topic = 0
        for q in elsewhere:
            top = search(q["question"]).hits[:5]
            relevant = set(q["relevant"])
            hits5 += any(h.doc.id in relevant for h in top)
            off_topic += sum(q["place"] in h.doc.countries and h.doc.id not in relevant for h in top)
        out["elsewhere"] = {
            "n": len(elsewhere),
            "hit5": hits5 / len(elsewhere),
            "place_off_topic_in_top5_per_question": off_topic / len(elsewhere),
        }
    finds = [q for q in questions if q["type"] == "find"]
    if finds:
        r10 = mrr = 0.0
        for q in finds:
            ranked = [h.doc.id for h in search(q["question"]).hits[:10]]
            first = next((i for i, d in enumerate(ranked) if d in set(q["relevant"])), None)
            if first is not None:
                r10 += 1
                mrr += 1 / (first + 1)
        out["find"] = {"n": len(finds), "recall10": r10 / len(finds), "mrr10": mrr / len(finds)}
    for kind in ("results", "who", "facts"):
        items = [q for q in questions if q["type"] == kind]
        if not items:
            continue
        found = snippet_ok = 0
        for q in items:
            hit = next((h for h in search(q["question"]).hits[:5] if h.doc.id in set(q["relevant"])), None)
            if hit is not None:
                found += 1
                snippet_ok += _contains(hit.snippet, q["expect"])
        out[kind] = {"n": len(items), "gold_top5": found / len(items), "snippet_has_expect": snippet_ok / len(items)}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data/eval-acclabs"))
    parser.add_argument("--label", default="now", help="The key the results are stored under.")
    parser.add_argument("--baseline", action="store_true", help="Switch the place preference off.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not ACCLABS_CSV.exists():
        print(f"error: {ACCLABS_CSV} not found (the shared data sits beside the checkout)", file=sys.stderr)
        return 2
    services = build_eval_services(args.data_dir)
    retriever = services.retriever
    if args.baseline and hasattr(retriever, "place_preference"):
        retriever.place_preference = False
    started = time.perf_counter()
    scores: dict[str, object] = {
        name: score_set(load_devset(path), lambda text: retriever.search(text, k=10)) for name, path in SETS.items()
    }
    scores["seconds"] = round(time.perf_counter() - started, 1)
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stored[args.label] = scores
    RESULTS.write_text(json.dumps(stored, indent=2) + "\n")
    print(json.dumps({args.label: scores}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
