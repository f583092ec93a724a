"""Knowledge gaps (extraction, clustering, counts, CSV), the console's reports and the introductions store."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from assistant.answers.conversation import ConversationStore, Exchange
from assistant.community.feedback import Feedback
from assistant.community.gaps import cluster, find_gaps, gap_questions, parse_since, to_csv, week_of
from assistant.community.introductions import IntroductionStore
from assistant.community.reports import feedback_report, usage
from assistant.errors import InvalidInput, NotFound

MONDAY = 1_764_547_200.0  # 2025-12-01 00:00 UTC, a Monday
DAY = 86_400.0


def exchange(question, outcome="answered", answer_id="", created=MONDAY, session="s1", **meta) -> Exchange:
    meta = {"answer_id": answer_id or f"a-{abs(hash(question)) % 10**8}", "outcome": outcome, "language": "en"} | meta
    return Exchange(session, question, f"answer to {question}", meta, created)


def feedback(answer_id, rating="down", comment="", source="widget", created=MONDAY) -> Feedback:
    return Feedback(0, "s1", answer_id, rating, comment, source, created)


# Topic vectors: two directions, and small perturbations of each.
FOOTBALL, CRYPTO = np.eye(4)[0], np.eye(4)[1]


def fake_embed(texts):
    out = []
    for text in texts:
        base = FOOTBALL if "football" in text else CRYPTO if "crypto" in text else np.eye(4)[3]
        out.append((base + 0.05 * np.eye(4)[2] * (len(text) % 3)).tolist())
    return out


def test_gap_questions_keep_unanswered_out_of_scope_and_thumbs_down_only():
    exchanges = [
        exchange("Who won the football cup?", "out_of_scope"),
        exchange("Any crypto mining projects in Kenya?", "nothing_exact", channel="widget"),
        exchange("Solar kiosks in Kenya?", "answered", answer_id="a-good"),
        exchange("Fish ovens in Senegal?", "answered", answer_id="a-bad", session="tg-42"),
    ]
    gaps = gap_questions(exchanges, [feedback("a-bad", comment="wrong country"), feedback("a-good", "up")])
    assert [g.reason for g in gaps] == ["out_of_scope", "nothing_exact", "thumbs_down"]
    assert gaps[1].countries == ["KEN"] and gaps[1].channel == "widget"
    assert gaps[2].comment == "wrong country" and gaps[2].channel == "telegram" and gaps[2].countries == ["SEN"]
    assert gaps[0].channel == "api"


def test_cluster_groups_by_cosine_largest_first():
    vectors = np.array([[1, 0.05, 0], [0, 1, 0], [1, 0, 0.05], [0.98, 0.1, 0], [0, 0, 1]])
    assert cluster(vectors, 0.9) == [[0, 2, 3], [1], [4]]
    assert cluster(vectors, 0.0) == [[0, 1, 2, 3, 4]]
    assert cluster(np.zeros((2, 3)), 0.5) == [[0], [1]]  # a zero vector matches nothing, not everything


def test_find_gaps_groups_counts_weeks_and_offered_solutions():
    exchanges = [
        exchange("Who won the football world cup?", "out_of_scope"),
        exchange("football final score yesterday", "out_of_scope", created=MONDAY + 8 * DAY),
        exchange("Which football team won the league?", "out_of_scope", created=MONDAY + 9 * DAY),
        exchange("crypto mining in Kenya", "nothing_exact", related=["sol-ken-kiosks"], channel="widget"),
        exchange("crypto savings groups in Kenya", "nothing_exact", related=["sol-ken-kiosks", "sol-x"]),
    ]
    report = find_gaps(exchanges, [], fake_embed, threshold=0.9, titles={"sol-ken-kiosks": "Solar kiosks"})
    assert [len(g.questions) for g in report.groups] == [3, 2]
    football, crypto = report.groups
    assert all("football" in q.question for q in football.questions)
    assert crypto.offered[0] == ("sol-ken-kiosks", "Solar kiosks", 2)
    assert crypto.counts["country"] == {"KEN": 2} and crypto.counts["channel"] == {"widget": 1, "api": 1}
    assert report.counts["channel"] == {"api": 4, "widget": 1}
    assert report.weeks == [("2025-12-01", 3), ("2025-12-08", 2)]
    data = report.to_dict()
    assert data["total"] == 5 and data["groups"][0]["size"] == 3 and len(data["groups"][1]["examples"]) == 2


def test_no_gaps_is_an_empty_report():
    report = find_gaps([exchange("Solar kiosks?", "answered")], [], fake_embed)
    assert report.groups == [] and report.total == 0 and report.weeks == []


def test_csv_has_one_row_per_question_and_defuses_formulas():
    exchanges = [exchange('=HYPERLINK("http://evil")', "nothing_exact"), exchange("football?", "out_of_scope")]
    rows = list(csv.reader(io.StringIO(to_csv(find_gaps(exchanges, [], fake_embed, threshold=0.9)))))
    assert rows[0][:3] == ["group", "group_label", "question"] and len(rows) == 3
    questions = {r[2] for r in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in questions and "football?" in questions


def test_parse_since_and_week_of():
    assert parse_since("2025-12-01") == MONDAY and parse_since("") == 0.0
    with pytest.raises(InvalidInput):
        parse_since("yesterday")
    assert week_of(MONDAY + 6 * DAY + 3600) == "2025-12-01"


def test_conversation_exchanges_pair_each_answer_with_its_question(database):
    store = ConversationStore(database)
    store.add("s1", "user", "first?")
    store.add("s2", "user", "other?")
    store.add("s1", "assistant", "one", {"answer_id": "a1", "outcome": "nothing_exact"})
    store.add("s2", "assistant", "two", {"answer_id": "a2"})
    got = [(e.session_id, e.question, e.answer, e.meta.get("answer_id")) for e in store.exchanges()]
    assert got == [("s1", "first?", "one", "a1"), ("s2", "other?", "two", "a2")]
    assert store.exchanges(since=2e9) == []
    store.close()


def test_usage_and_feedback_report():
    exchanges = [
        exchange("q1", answer_id="a1", latency_ms=100),
        exchange("q2", answer_id="a2", latency_ms=300, created=MONDAY + DAY, channel="widget"),
        exchange("q3", answer_id="a3", session="tg-1"),
    ]
    stats = usage(exchanges)
    assert stats["per_day"] == [("2025-12-01", 2), ("2025-12-02", 1)]
    assert stats["latency_ms"] == {"p50": 200.0, "p95": 290.0, "measured": 2}
    assert stats["by_channel"] == {"api": 1, "widget": 1, "telegram": 1}
    items = [
        feedback("a1", "up", source="api"),
        feedback("a2", "down", "not useful"),
        feedback("a2", "down", source="telegram"),
        feedback("a3", "up", source="telegram", created=MONDAY + 7 * DAY),
    ]
    report = feedback_report(items, exchanges)
    assert [a.answer_id for a in report["answers"]] == ["a2", "a3", "a1"]  # worst rated first
    assert report["answers"][0].question == "q2" and report["answers"][0].comments == ["not useful"]
    assert {(w["week"], w["channel"], w["up"], w["down"]) for w in report["weeks"]} == {
        ("2025-12-01", "api", 1, 0),
        ("2025-12-01", "widget", 0, 1),
        ("2025-12-01", "telegram", 0, 1),
        ("2025-12-08", "telegram", 1, 0),
    }


def intro_args(**changes):
    return {
        "session_id": "s1",
        "channel": "widget",
        "need": "We want solar kiosks in our town",
        "contact": "amina@example.org",
        "consent": True,
        "target_kind": "solution",
        "target_id": "sol-ken-water-kiosks",
        "target_name": "Solar water kiosks",
    } | changes


def test_introductions_move_along_with_notes_and_survive_a_reopen(tmp_path):
    from tests.conftest import sqlite_database

    database = sqlite_database(tmp_path / "galaxy.sqlite3")
    store = IntroductionStore(database)
    intro = store.create(**intro_args(answer_id="a1"))
    assert intro.status == "new" and intro.id.startswith("intro-") and intro.answer_id == "a1"
    store.move(intro.id, "contacted", "wrote to the provider")
    store.close()
    database.close()
    database = sqlite_database(tmp_path / "galaxy.sqlite3")  # a restart
    store = IntroductionStore(database)
    moved = store.move(intro.id, "connected")
    assert moved.status == "connected" and [n.status for n in moved.notes] == ["contacted", "connected"]
    assert store.get(intro.id).notes[0].text == "wrote to the provider"
    assert [i.id for i in store.list("connected")] == [intro.id] and store.list("new") == []
    assert store.count() == 1 and store.count("connected") == 1
    with pytest.raises(InvalidInput):
        store.move(intro.id, "done")
    with pytest.raises(NotFound):
        store.move("intro-missing", "closed")
    store.close()
    database.close()


@pytest.mark.parametrize(
    "changes",
    [
        {"consent": False},  # a contact without consent is not kept
        {"need": "   "},
        {"need": "x" * 2001},
        {"target_kind": "person"},
        {"target_id": ""},
    ],
)
def test_introductions_refuse_bad_requests(database, changes):
    store = IntroductionStore(database)
    with pytest.raises(InvalidInput):
        store.create(**intro_args(**changes))
    assert store.count() == 0
    assert store.create(**intro_args(contact="", consent=False)).contact == ""  # no contact: no consent needed
    store.close()
