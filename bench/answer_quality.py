"""Answer quality over the real AccLabs records: the asker's language, junk, refusals, greetings, gold citations.

    python bench/answer_quality.py                      # this tree, both question sets
    python bench/answer_quality.py --baseline /tmp/base # also the engine of another copy of assistant/, side by side
                                                        # (/tmp/base holding only assistant/: the harness is this one)

Each engine runs in its own process (the baseline with PYTHONPATH pointing at its copy of `assistant/`) over the
existing index `data/eval-acclabs` (never rebuilt here); the results go to bench/results/answer_quality.json.
Metrics, per question set:
- in_language: share of the sentences the assistant wrote itself (outside marked quotes « ... » (EN)) detected
  in the asker's language, over the fr/es/pt questions (judged by `judged_language`, the same for every engine);
- answered_in_asked_language: share of the fr/es/pt/ar questions answered in their language (the engine's
  choice of language, whatever the sentences);
- junk_rate: share of answers holding HTML entities, form prompts, a name alone or a fragment ending in ":";
- false_refusals: answerable questions (find, results, who, facts, elsewhere) answered with a refusal;
- scope_message: out_of_scope questions answered with the scope message (refused: not answered at all);
- greeting: greetings answered with the self-introduction;
- gold_cited: find/results/who/facts questions citing one of their records; latency_p50_ms of the extractive answer.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = {"dev": ROOT / "bench/devset/answers.jsonl", "heldout": ROOT / "bench/devset/answers-heldout.jsonl"}
OUT = ROOT / "bench/results/answer_quality.json"
ANSWERABLE = {"find", "results", "who", "facts", "elsewhere"}
GOLD_TYPES = {"find", "results", "who", "facts"}
QUOTE = re.compile(r"(«[^»]*»|“[^”]*”)\s*\([A-Z]{2}\)")
JUNK = [
    re.compile(r"&(?:[a-z]+|#\d+);"),
    re.compile(r"\bWhat (?:is|are|was) the (?:purpose|name|problem|impact|status)\b[^?]*\?", re.I),
    re.compile(
        r"^\s*(?:\d+\.\s.*?:\s|What it does: |Ce qu'elle fait : |Qué hace: |O que faz: )?[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}\s*(?:\[\d+\])?$",
        re.M,
    ),
    # A fragment ending in ":" (a form's label), but not the line that introduces a list of bullets.
    re.compile(r":\s*(?:\[\d+\])?[ \t]*$(?!\n\s*•)", re.M),
]


def own_sentences(text: str) -> list[str]:
    text = re.sub(r"\[\d+\]", " ", QUOTE.sub(" ", text))
    pieces = re.split(r"(?<=[.!?:])\s+|\n", text)
    return [p.strip() for p in pieces if len(re.findall(r"[^\W\d_]{2,}", p)) >= 3]


def is_junk(text: str) -> bool:
    return any(p.search(text) for p in JUNK)


def run_engine(data_dir: Path) -> dict:
    from assistant.container import build_knowledge_base, build_services
    from assistant.settings import load_settings

    settings = load_settings(data_dir=data_dir)
    kb = build_knowledge_base(settings)
    if os.environ.get("GALAXY_BENCH_FAST_WINDOW"):  # --fast-window (an older engine ignores it)
        from bench.evaluation import simulate_fast_window

        simulate_fast_window(kb)
    services = build_services(settings, kb)  # the index as it is: nothing ingested
    engine = services.engine
    engine.ask("warm-up question about solar energy")
    results = {}
    for name, path in SETS.items():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        own = in_lang = junk = asked = answered_in = 0
        false_refusals = answerable = scope = scope_refused = oos = greet = greetings = gold = gold_n = 0
        latencies = []
        for row in rows:
            start = time.perf_counter()
            answer = engine.ask(row["question"], uuid.uuid4().hex)
            latencies.append((time.perf_counter() - start) * 1000)
            outcome = getattr(answer, "outcome", None)
            kind, lang = row["type"], row.get("lang") or "en"
            if lang in ("fr", "es", "pt", "ar"):
                asked += 1
                answered_in += getattr(answer, "language", None) == lang
            if lang in ("fr", "es", "pt"):
                for sentence in own_sentences(answer.text):
                    own += 1
                    in_lang += judged_language(sentence) == lang
            junk += is_junk(answer.text)
            if kind in ANSWERABLE:
                answerable += 1
                false_refusals += not answer.grounded
            if kind == "out_of_scope":
                oos += 1
                scope += outcome == "out_of_scope"
                scope_refused += not answer.grounded
            if kind == "greeting":
                greetings += 1
                greet += outcome == "greeting"
            if kind in GOLD_TYPES and row.get("relevant"):
                gold_n += 1
                gold += bool(set(row["relevant"]) & {c.doc_id for c in answer.citations})
        results[name] = {
            "questions": len(rows),
            "in_language": round(in_lang / own, 3) if own else None,
            "answered_in_asked_language": round(answered_in / asked, 3) if asked else None,
            "junk_rate": round(junk / len(rows), 3),
            "false_refusals": round(false_refusals / answerable, 3) if answerable else None,
            "out_of_scope_scope_message": round(scope / oos, 3) if oos else None,
            "out_of_scope_refused": round(scope_refused / oos, 3) if oos else None,
            "greeting_handled": round(greet / greetings, 3) if greetings else None,
            "gold_cited": round(gold / gold_n, 3) if gold_n else None,
            "latency_p50_ms": round(statistics.median(latencies), 1),
        }
    services.close()
    return results


def judged_language(sentence: str) -> str:
    """The judge of a sentence's language, the same for every engine compared: lingua's first language when at
    least 0.5 confident, else English (the product's detector as it was before short texts were read better, so
    that a better detector in the engine does not also grade its own answers more kindly)."""
    from assistant.text.language import _detector, _without_places

    for candidate in (_without_places(sentence), sentence):
        if sum(ch.isalpha() for ch in candidate) < 3:
            continue
        values = _detector().compute_language_confidence_values(candidate)
        if values and values[0].value >= 0.5:
            code = {"ENGLISH": "en", "FRENCH": "fr", "SPANISH": "es", "PORTUGUESE": "pt"}.get(values[0].language.name)
            if code is not None:
                return code
    return "en"


def in_process(root: Path, data_dir: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{root}{os.pathsep}{ROOT}")
    code = f"import json,sys; from bench.answer_quality import run_engine; from pathlib import Path; print('RESULT ' + json.dumps(run_engine(Path({str(data_dir)!r}))))"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd="/tmp", capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data/eval-acclabs")
    parser.add_argument("--baseline", type=Path, help="a folder holding another copy of assistant/")
    parser.add_argument(
        "--fast-window",
        action="store_true",
        help="answer as while a fast first ingest's e5 vectors are being computed (the fast encoder alone)",
    )
    args = parser.parse_args()
    if args.fast_window:
        os.environ["GALAXY_BENCH_FAST_WINDOW"] = "1"
    if not (args.data_dir / "chroma").exists() and not any(args.data_dir.glob("*")):
        print(f"skipped: no index at {args.data_dir}")
        return
    results = {"now": in_process(ROOT, args.data_dir)}
    if args.baseline:
        results["baseline"] = in_process(args.baseline, args.data_dir)
    out = OUT.with_name("answer_quality-fast-window.json") if args.fast_window else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for name in SETS:
        print(f"\n{name}")
        metrics = results["now"][name]
        print("| metric | " + " | ".join(results) + " |")
        for key in metrics:
            print(f"| {key} | " + " | ".join(str(results[r][name][key]) for r in results) + " |")


if __name__ == "__main__":
    main()
