"""The relevance gate's second opinion across languages: does USE's similarity need a lift when the question and
the passage are in different languages?

    python -m bench.gate_calibration [--data-dir data/eval-acclabs] [--out bench/results/gate.json]

Over the existing AccLabs index (bench.evaluation.build_eval_services), for each question of the development
sets (answers.jsonl + questions.jsonl) and, separately, the held-out ones (never tuned on): e5's bars, e5's best
cosine and USE's cosine to each of the top three passages with the passage's language. For each lift the sweep
reports the share of answerable questions refused and of unanswerable (out of scope, absent) ones let through,
with the lift added to a passage's USE cosine when its language differs from the question's. And, for the scope
message, each question's best USE cosine to the out-of-scope examples of intents.json, swept over bars."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEVSET = ROOT / "bench/devset"
SETS = {
    "dev": ["answers.jsonl", "questions.jsonl"],
    "heldout": ["answers-heldout.jsonl", "heldout.jsonl"],
}
ANSWERABLE = {"find", "results", "who", "facts", "elsewhere", "facet", "partner"}
UNANSWERABLE = {"out_of_scope", "unanswerable"}
LIFTS = [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.11, 0.12, 0.15]


def _questions(files: list[str]) -> list[dict]:
    rows = []
    for name in files:
        for line in (DEVSET / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and row.get("type") in ANSWERABLE | UNANSWERABLE and row.get("question"):
                rows.append(row)
    return rows


def measure(services, rows: list[dict]) -> list[dict]:
    from assistant.retrieval.second_opinion import PASSAGES, unit_rows
    from assistant.retrieval.signals import is_relevant
    from assistant.text.data import read_data

    retriever = services.retriever
    opinion = retriever.second_opinion
    examples = unit_rows(
        opinion.model.get_text_embedding_batch(list(read_data("intents.json")["out_of_scope_examples"]))
    )
    out = []
    for row in rows:
        result = retriever.search(row["question"], k=8)
        docs_in_language = retriever.snapshot.language_counts.get(result.analysis.language, 0)
        bars = is_relevant(result, retriever.profile.relevance, docs_in_language)
        top = list(result.hits[:PASSAGES])
        query = unit_rows(retriever._embed_with_second(result.analysis.text))
        out.append(
            {
                "id": row["id"],
                "type": row["type"],
                "scope": float((examples @ query).max()),
                "answerable": row["type"] in ANSWERABLE,
                "language": result.analysis.language,
                "bars": bars,
                "top_dense": result.top_dense,
                "use": [float(c) for c in opinion.cosines(result.analysis.text, top, retriever._embed_with_second)],
                "passage_languages": [h.doc.language for h in top],
            }
        )
    return out


SCOPE_BARS = [0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70]


def scope_sweep(rows: list[dict]) -> list[dict]:
    """Share of out-of-scope questions at or above each bar, and of the others (in scope) wrongly so."""
    out_of_scope = [r for r in rows if r["type"] == "out_of_scope"]
    in_scope = [r for r in rows if r["type"] != "out_of_scope"]
    return [
        {
            "bar": bar,
            "out_of_scope_caught": round(sum(r["scope"] >= bar for r in out_of_scope) / max(len(out_of_scope), 1), 3),
            "in_scope_caught": round(sum(r["scope"] >= bar for r in in_scope) / max(len(in_scope), 1), 3),
            "in_scope_max": round(max((r["scope"] for r in in_scope), default=0.0), 3),
        }
        for bar in SCOPE_BARS
    ]


def decide(row: dict, lift: float, bar: float) -> bool:
    if row["bars"]:
        return True
    if not row["use"]:
        return False
    pairs = zip(row["use"], row["passage_languages"], strict=True)
    lifted = [cosine + (lift if language != row["language"] else 0.0) for cosine, language in pairs]
    return row["top_dense"] + max(lifted) >= bar


def sweep(rows: list[dict], bar: float) -> list[dict]:
    answerable = [r for r in rows if r["answerable"]]
    others = [r for r in rows if not r["answerable"]]
    return [
        {
            "lift": lift,
            "false_refusals": round(sum(not decide(r, lift, bar) for r in answerable) / max(len(answerable), 1), 3),
            "let_through": round(sum(decide(r, lift, bar) for r in others) / max(len(others), 1), 3),
            "answerable": len(answerable),
            "unanswerable": len(others),
        }
        for lift in LIFTS
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data/eval-acclabs")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    from bench.evaluation import build_eval_services

    services = build_eval_services(args.data_dir)
    bar = services.retriever.profile.relevance.with_second_opinion
    report = {}
    for name, files in SETS.items():
        rows = measure(services, _questions(files))
        report[name] = {"sweep": sweep(rows, bar), "scope": scope_sweep(rows), "rows": rows}
        for line in report[name]["sweep"] + report[name]["scope"]:
            print(name, json.dumps(line))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
