"""Evaluation harness entry point: `python bench/eval.py [--data-dir DIR] [--json OUT]` (same as `galaxy eval`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.cli import main  # noqa: E402

if __name__ == "__main__":
    main(["eval", *sys.argv[1:]])
