"""The refusal thresholds of the fast window: searches while a fast first ingest's e5 vectors are being computed.

They rank by USE alone over the passages the second encoder embeds (title and chunk start), not over the chunk
texts the `use-multilingual` mode stores, so that mode's thresholds do not carry over. This script reads the
development set's refusal signals in the fast window, chooses thresholds by the procedure that chose USE's
(`encoder_bench.choose_relevance`: at least the default engine's refusal rate on the development set, then the
fewest false refusals), and reports the held-out rates under them (not tuned on).

Usage: python bench/fast_window_calibration.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.encoder_bench import choose_relevance, question_signals, refusal_rates  # noqa: E402
from bench.evaluation import DEVSET, HELDOUT, build_eval_services, load_devset  # noqa: E402

EVAL_DIR = ROOT / "data/eval-acclabs"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "bench/results/fast-window.json")
    args = parser.parse_args()
    both = build_eval_services(EVAL_DIR)
    dev_both = question_signals(both, load_devset(DEVSET))
    target_refusal, target_false = refusal_rates(dev_both, both.retriever.profile.relevance)
    both.close()
    services = build_eval_services(EVAL_DIR, fast_window=True)
    assert services.retriever.snapshot.fast
    current = services.retriever.profile.relevance
    dev = question_signals(services, load_devset(DEVSET))
    held = question_signals(services, load_devset(HELDOUT))
    best, info = choose_relevance(dev, target_refusal, target_false)
    out = {
        "target": {"dev_refusal": target_refusal, "dev_false_refusal_both_encoders": target_false},
        "use_mode_thresholds": {
            "thresholds": vars(current),
            "dev": refusal_rates(dev, current),
            "heldout": refusal_rates(held, current),
        },
        "chosen": {
            "thresholds": vars(best) if best else None,
            **(info or {}),
            "dev": refusal_rates(dev, best) if best else None,
            "heldout": refusal_rates(held, best) if best else None,
        },
    }
    print(json.dumps(out, indent=1))
    args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
