"""The conversation, feedback and chat-preference stores on the shared database: answers are owned by their
session, exchanges pair across interleaved sessions, and what was stored survives a restart."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, update

from assistant.answers.conversation import ConversationStore
from assistant.community.feedback import FeedbackStore
from assistant.schema import chat_language, turns
from bots.state import ChatPreferences
from tests.conftest import sqlite_database


def test_has_answer_only_for_an_answer_issued_in_that_session(database):
    store = ConversationStore(database)
    store.add("s1", "user", "where is the water?", {"answer_id": "asked-1"})  # a user turn issues no answer
    store.add("s1", "assistant", "here", {"answer_id": "a1"})
    store.add("s1", "assistant", "no id on this one")
    store.add("s2", "user", "and here?")

    assert store.has_answer("s1", "a1")
    assert not store.has_answer("s2", "a1")  # another session cannot rate s1's answer
    assert not store.has_answer("s1", "a2")  # never issued
    assert not store.has_answer("s1", "asked-1")  # only the assistant's turns count
    assert not store.has_answer("s1", "")  # turns without an id do not make "" an answer
    with database.read() as conn:
        stored = conn.execute(select(turns.c.answer_id).where(turns.c.session_id == "s1").order_by(turns.c.id)).all()
    assert [row[0] for row in stored] == ["asked-1", "a1", ""]  # copied into its column on add

    store.reset("s1")
    assert not store.has_answer("s1", "a1")


def test_exchanges_pair_each_answer_with_its_question_across_interleaved_sessions(database):
    store = ConversationStore(database)
    store.add("s1", "user", "q1")
    store.add("s2", "user", "q2")
    store.add("s3", "assistant", "greeting")  # no question before it in its session
    store.add("s2", "assistant", "a2", {"answer_id": "a2"})
    store.add("s1", "assistant", "a1", {"answer_id": "a1"})
    store.add("s1", "user", "q3 first try")
    store.add("s2", "user", "q4")
    store.add("s1", "user", "q3")
    store.add("s1", "assistant", "a3", {"answer_id": "a3"})
    store.add("s2", "assistant", "a4", {"answer_id": "a4"})

    got = [(e.session_id, e.question, e.answer, e.meta.get("answer_id")) for e in store.exchanges()]
    assert got == [
        ("s3", "", "greeting", None),
        ("s2", "q2", "a2", "a2"),
        ("s1", "q1", "a1", "a1"),
        ("s1", "q3", "a3", "a3"),  # the latest question before the answer
        ("s2", "q4", "a4", "a4"),
    ]

    with database.write() as conn:  # age s2 by a day: `since` keeps only what is newer
        conn.execute(update(turns).where(turns.c.session_id == "s2").values(created=turns.c.created - 86_400))
    recent = store.exchanges(since=max(e.created for e in store.exchanges()) - 3600)
    assert [e.answer for e in recent] == ["greeting", "a1", "a3"]
    assert store.sessions() == ["s1", "s2", "s3"]
    assert store.prune(older_than_s=3600) == 4 and store.sessions() == ["s1", "s3"]


def test_concurrent_turns_are_all_kept(database):
    store = ConversationStore(database)

    def talk(n: int) -> None:
        for i in range(20):
            store.add(f"s{n}", "user", f"q{i}")

    threads = [threading.Thread(target=talk, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with database.read() as conn:
        assert conn.execute(select(func.count()).select_from(turns)).scalar_one() == 120
    assert [t.content for t in store.history("s3", limit=3)] == ["q17", "q18", "q19"]


def test_feedback_ids_increase_and_survive_a_reopen(tmp_path):
    database = sqlite_database(tmp_path / "galaxy.sqlite3")
    store = FeedbackStore(database)
    ids = [store.add("s1", f"a{i}", "up" if i % 2 else "down", f"comment {i}") for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3 and all(isinstance(i, int) for i in ids)
    store.close()
    database.close()

    database = sqlite_database(tmp_path / "galaxy.sqlite3")  # a restart
    again = FeedbackStore(database)
    assert again.count() == 3
    assert [(f.id, f.answer_id, f.rating) for f in again.list()] == [
        (ids[2], "a2", "down"),
        (ids[1], "a1", "up"),
        (ids[0], "a0", "down"),
    ]
    later = again.add("s2", "a9", "up", source="telegram")
    assert later > ids[-1]
    newest = again.list(limit=1)[0]
    assert (newest.id, newest.session_id, newest.source, newest.comment) == (later, "s2", "telegram", "")
    database.close()


def test_chat_preferences_survive_a_reopen(tmp_path):
    database = sqlite_database(tmp_path / "galaxy.sqlite3")
    prefs = ChatPreferences(database)
    assert prefs.language(7) is None
    prefs.set_language(7, "fr")  # replaces the remembered "no choice"
    assert prefs.language(7) == "fr"
    prefs.set_language(7, "sw")
    prefs.set_language(8, "pt")
    assert ChatPreferences(database).language(7) == "sw"  # stored, not only remembered
    prefs.close()
    database.close()

    database = sqlite_database(tmp_path / "galaxy.sqlite3")  # a restart
    again = ChatPreferences(database)
    assert (again.language(7), again.language(8), again.language(9)) == ("sw", "pt", None)
    with database.read() as conn:
        assert conn.execute(select(func.count()).select_from(chat_language)).scalar_one() == 2  # one row a chat
    database.close()
