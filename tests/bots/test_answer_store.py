"""The bot's answers in the shared database: a button works whichever replica its press reaches, a rating is
counted once across replicas, a key works only in its chat, and old answers expire and are pruned."""

from __future__ import annotations

import re

import pytest

from assistant.answers.citations import Citation
from bots.state import AnswerEntry, AnswerStore, ChatPreferences
from bots.texts import text
from tests.conftest import sqlite_database


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def entry(chat_id: int = 1, question: str = "q") -> AnswerEntry:
    return AnswerEntry(
        chat_id=chat_id,
        session_id=f"tg-{chat_id}",
        question=question,
        query=f"{question} (condensed)",
        answer_id="a" * 32,
        language="fr",
        citations=[
            Citation(
                1,
                "sol-ner-1",
                "Irrigation solaire <goutte-à-goutte> & co",
                "solution",
                ["NER", "MLI"],
                "https://galaxy.example.org/sol-ner-1",
                "Un extrait.",
                passage="the chunk text the citation check read",
                language="fr",
                trust="untrusted",
            ),
            Citation(2, "fund-1", "Fonds Sahel", "funding", [], None, ""),
        ],
        rest="La suite de la réponse…",
        outcome="nothing_exact",
        partners=[
            {
                "name": "Réseau Sahel Irrigation Solaire",
                "kind": "organisation",
                "countries": ["NER"],
                "score": 0.8123,
                "reason": "2 matching solution(s)",
                "citations": [{"doc_id": "sol-ner-1", "title": "Irrigation solaire", "url": None}],
            }
        ],
    )


@pytest.fixture
def replicas(tmp_path):
    """Two replicas' databases: two engines on one SQLite file."""
    first, second = sqlite_database(tmp_path / "galaxy.sqlite3"), sqlite_database(tmp_path / "galaxy.sqlite3")
    yield first, second
    first.close()
    second.close()


def test_an_answer_put_on_one_replica_is_read_whole_on_another(replicas):
    original = entry()
    key = AnswerStore(replicas[0]).put(original)
    assert re.fullmatch(r"[A-Za-z0-9_-]{8}", key)  # fits "cnt:<key>:<n>" in 64-byte callback_data

    read = AnswerStore(replicas[1]).get(key, 1)
    assert read is not None
    assert read.partners == original.partners
    assert [c.to_dict() for c in read.citations] == [c.to_dict() for c in original.citations]
    assert [c.language for c in read.citations] == ["fr", "en"]
    assert [c.passage for c in read.citations] == ["", ""]  # the citation check's text is not kept
    read.citations, original.citations = [], []
    assert read == original


def test_a_rating_holds_across_replicas_and_counts_once(replicas):
    here, there = AnswerStore(replicas[0]), AnswerStore(replicas[1])
    key = here.put(entry())
    assert there.get(key, 1).rated is None
    assert there.rate(key, "up") is True
    assert here.get(key, 1).rated == "up"
    assert here.rate(key, "down") is False  # the second press, whichever replica it reaches
    assert there.get(key, 1).rated == "up"

    there.unrate(key, "up")  # its feedback could not be stored: pressable again
    assert here.get(key, 1).rated is None and here.rate(key, "down") is True


def test_a_key_works_only_in_its_chat(replicas):
    store = AnswerStore(replicas[0])
    key = store.put(entry(chat_id=42))
    assert store.get(key, 43) is None  # another chat: expired
    assert store.get(key, 42).question == "q"
    assert store.get(key, None).chat_id == 42  # an update without a chat: the entry's own
    for forged in ("zzzzzzzz", "", "abc", key + "x", "a' OR '1"):
        assert store.get(forged, 42) is None


def test_old_answers_read_as_expired_and_are_pruned(replicas):
    clock = Clock()
    start = clock.now
    store = AnswerStore(replicas[0], max_age_s=3600, max_rows=1000, clock=clock)
    old = store.put(entry(question="old"))  # prunes (nothing yet)
    clock.now = start + 30
    middle = store.put(entry(question="middle"))  # within a minute of that prune: none
    clock.now = start + 3601
    assert store.get(old, 1) is None  # expired before any prune
    assert store.rate(old, "up") is False
    assert store.count() == 2

    fresh = store.put(entry(question="fresh"))  # prunes the expired one
    assert store.count() == 2 and store.get(middle, 1).question == "middle"
    clock.now = start + 3631  # the middle one has expired, but the last prune was 30 s ago
    newer = store.put(entry(question="newer"))
    assert store.count() == 3 and store.get(middle, 1) is None
    clock.now = start + 3601 + AnswerStore.PRUNE_INTERVAL_S
    newest = store.put(entry(question="newest"))
    assert store.count() == 3
    assert [store.get(k, 1).question for k in (fresh, newer, newest)] == ["fresh", "newer", "newest"]


def test_beyond_the_row_cap_the_oldest_answers_are_pruned(replicas):
    clock = Clock()
    store = AnswerStore(replicas[0], max_rows=3, clock=clock)
    keys = []
    for i in range(6):
        clock.now += 1
        keys.append(store.put(entry(question=f"q{i}")))
    assert store.count() == 6  # pruned at most once a minute
    clock.now += AnswerStore.PRUNE_INTERVAL_S
    keys.append(store.put(entry(question="q6")))
    assert store.count() == 3
    assert [store.get(k, 1) is not None for k in keys] == [False] * 4 + [True] * 3


def test_a_language_chosen_on_one_replica_counts_at_once_on_another(replicas):
    here, there = ChatPreferences(replicas[0]), ChatPreferences(replicas[1])
    assert there.language(5) is None
    here.set_language(5, "pt")
    assert there.language(5) == "pt"
    here.set_language(5, "sw")
    assert there.language(5) == "sw"  # nothing remembered from the first read


@pytest.mark.slow
def test_a_button_works_on_a_replica_that_never_saw_the_answer(bot, telegram, chat_id, corpus_services):
    from tests.bots.test_flows import press

    other_replica = AnswerStore(corpus_services.kb.database)  # the replica that answered
    key = other_replica.put(entry(chat_id=chat_id))
    _, mark = press(telegram, chat_id, f"src:{key}")
    (sources,) = telegram.wait_for("sendMessage", chat_id, after=mark, timeout=60)
    assert "Irrigation solaire" in sources.text and "https://galaxy.example.org/sol-ner-1" in sources.text

    reply, _ = press(telegram, chat_id, f"up:{key}")
    assert reply.params.get("text") == text("fr", "feedback_thanks")
    assert other_replica.get(key, chat_id).rated == "up"
    again, _ = press(telegram, chat_id, f"dn:{key}")
    assert again.params.get("text") == text("fr", "feedback_already")
    assert [f.rating for f in corpus_services.feedback.list(1000) if f.session_id == f"tg-{chat_id}"] == ["up"]
