"""`galaxy gaps`, `galaxy feedback` and `galaxy introductions` over a data dir written by the stores themselves
(the end-to-end path through the HTTP API is in tests/api/test_console.py)."""

from __future__ import annotations

import csv
import io
import json

from assistant.answers.conversation import ConversationStore
from assistant.community.feedback import FeedbackStore
from assistant.community.introductions import IntroductionStore
from tests.cli.test_cli import galaxy
from tests.conftest import sqlite_database


def record(data_dir) -> None:
    database = sqlite_database(data_dir / "galaxy.sqlite3")
    conversations = ConversationStore(database)
    for n, (question, outcome) in enumerate(
        [
            ("Who won the football world cup?", "out_of_scope"),
            ("Which team won the football league?", "out_of_scope"),
            ("=cmd|' /C calc'!A0 crypto mining in Kenya?", "nothing_exact"),
            ("Solar water kiosks in Kenya?", "answered"),
        ]
    ):
        conversations.add(f"tg-{n}", "user", question)
        conversations.add(f"tg-{n}", "assistant", f"answer {n}", {"answer_id": f"a{n}", "outcome": outcome})
    feedback = FeedbackStore(database)
    feedback.add("tg-3", "a3", "down", "old data", source="telegram")
    intros = IntroductionStore(database)
    intro = intros.create(
        session_id="tg-3",
        channel="telegram",
        need="Kiosks for our town",
        contact="+254 700 000 000",
        consent=True,
        target_kind="partner",
        target_id="org-kiosk-coop",
        target_name="Kiosk cooperative",
    )
    intros.move(intro.id, "contacted", "called them")
    database.close()


def test_console_commands_print_gaps_feedback_and_introductions(tmp_path):
    data = tmp_path / "data"
    record(data)

    gaps = galaxy(data, "gaps", "--json")
    assert gaps.returncode == 0, gaps.stderr
    report = json.loads(gaps.stdout)
    assert report["total"] == 4 and report["counts"]["channel"] == {"telegram": 4}
    reasons = sorted(q["reason"] for g in report["groups"] for q in g["questions"])
    assert reasons == ["nothing_exact", "out_of_scope", "out_of_scope", "thumbs_down"]
    football = next(g for g in report["groups"] if "football" in g["label"])
    assert football["size"] == 2

    rows = list(csv.DictReader(io.StringIO(galaxy(data, "gaps", "--csv").stdout)))
    assert len(rows) == 4 and any(r["question"].startswith("'=cmd") for r in rows)  # no formula for a spreadsheet
    assert galaxy(data, "gaps", "--since", "2999-01-01", "--json").stdout.count('"total": 0') == 1
    text = galaxy(data, "gaps").stdout
    assert text.startswith("4 gap questions in") and "Who won the football world cup?" in text

    feedback = json.loads(galaxy(data, "feedback", "--json").stdout)
    assert feedback["answers"][0] | {"last": 0} == {
        "answer_id": "a3",
        "question": "Solar water kiosks in Kenya?",
        "answer": "answer 3",
        "channel": "telegram",
        "up": 0,
        "down": 1,
        "comments": ["old data"],
        "last": 0,
        "score": -1,
    }

    intros = json.loads(galaxy(data, "introductions", "--json").stdout)["introductions"]
    assert intros[0]["status"] == "contacted" and intros[0]["contact"] == "+254 700 000 000"
    assert "Kiosk cooperative" in galaxy(data, "introductions", "--status", "contacted").stdout
    assert galaxy(data, "introductions", "--status", "new", "--json").stdout.count("intro-") == 0


def test_bad_since_is_a_clear_error(tmp_path):
    result = galaxy(tmp_path / "data", "gaps", "--since", "last week")
    assert result.returncode == 2 and "is not a date" in result.stderr and "Traceback" not in result.stderr
