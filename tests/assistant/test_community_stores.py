"""The community stores on the shared database: submissions' outcome outbox, saved needs' matches and
introductions, each checked in the tables themselves and across a restart (the same SQLite file opened again)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select

from assistant.community.introductions import IntroductionStore
from assistant.community.needs import NewDocument, SavedNeedStore
from assistant.community.submissions import SubmissionQueue
from assistant.errors import InvalidInput, NotFound
from assistant.knowledge.documents import KnowledgeDocument
from assistant.schema import introductions, need_matches, submissions
from tests.conftest import sqlite_database

GOOD = {
    "title": "Bicycle ambulances for rural clinics",
    "summary": "Trailers pulled by bicycles carry patients to the nearest clinic.",
    "countries": ["Malawi"],
    "sdgs": [3],
}
#: A Telegram group's chat id: negative and beyond 32 bits.
GROUP_CHAT = -1_001_234_567_890


@pytest.fixture
def path(tmp_path):
    return tmp_path / "galaxy.sqlite3"


def test_a_submissions_outcome_outbox_round_trips_and_survives_a_restart(tmp_path, path):
    database = sqlite_database(path)
    queue = SubmissionQueue(database, tmp_path / "published")
    approved = queue.submit(GOOD, source="telegram", chat_id=GROUP_CHAT, chat_language="fr")
    rejected = queue.submit(GOOD, source="telegram", chat_id=42, chat_language="")
    pending = queue.submit(GOOD, source="telegram", chat_id=43, chat_language="en")
    from_api = queue.submit(GOOD, source="api")
    assert queue.untold() == []  # nothing decided yet
    queue.approve(approved.id)
    queue.reject(rejected.id, "  Not a solution yet.  ")
    queue.reject(from_api.id, "duplicate")  # decided, but no chat to tell
    assert "chat_id" not in queue.get(approved.id).to_dict()  # the chat is a column, never in the data
    queue.close()  # not the database's owner: the database stays usable
    with database.read() as conn:
        assert conn.execute(select(func.count()).select_from(submissions)).scalar_one() == 4
    database.close()

    database = sqlite_database(path)  # a restart
    queue = SubmissionQueue(database, tmp_path / "published")
    untold = queue.untold()
    assert [(sub.id, sub.status, chat, lang) for sub, chat, lang in untold] == [
        (approved.id, "approved", GROUP_CHAT, "fr"),
        (rejected.id, "rejected", 42, ""),
    ]
    assert untold[1][0].reason == "Not a solution yet." and untold[1][0].decided > 0
    assert [sub.id for sub, _, _ in queue.untold(limit=1)] == [approved.id]
    queue.mark_told(approved.id)
    with database.read() as conn:
        told = dict(conn.execute(select(submissions.c.id, submissions.c.told)).all())
    assert told[approved.id] is not None and told[rejected.id] is None and told[pending.id] is None
    queue.mark_told(approved.id)  # told twice: the first time is kept
    with database.read() as conn:
        again = conn.execute(select(submissions.c.told).where(submissions.c.id == approved.id)).scalar_one()
    assert again == told[approved.id]
    database.close()

    database = sqlite_database(path)
    queue = SubmissionQueue(database, tmp_path / "published")
    assert [(sub.id, chat) for sub, chat, _ in queue.untold()] == [(rejected.id, 42)]
    assert queue.get(pending.id).status == "pending" and [s.id for s in queue.list()] == [pending.id]
    assert {s.id for s in queue.list("rejected")} == {rejected.id, from_api.id}
    assert len(queue.list(None)) == 4
    with pytest.raises(InvalidInput):
        queue.reject(approved.id)  # already decided
    queue.mark_told("sub-missing")  # nothing to mark: no error
    with pytest.raises(NotFound):
        queue.get("sub-missing")
    database.close()


def test_a_needs_matches_are_recorded_once_however_often_they_are_matched(path):
    database = sqlite_database(path)
    vectors = {"cold rooms for fish": [1.0, 0.0], "school libraries": [0.0, 1.0]}
    store = SavedNeedStore(database, lambda q: vectors[q], lambda q: [], threshold=0.9)
    need = store.save(session_id="s1", question="cold rooms for fish", channel="api")
    other = store.save(session_id="s1", question="school libraries", channel="widget")
    assert store.save(session_id="s1", question="cold rooms  for fish", channel="api") == need
    assert [n.id for n in store.recent()] == [other.id, need.id]
    fish = NewDocument(KnowledgeDocument(id="d1", title="Solar cold rooms"), np.array([[0.99, 0.14]], np.float32))
    books = NewDocument(KnowledgeDocument(id="d2", title="Book vans"), np.array([[0.1, 0.99]], np.float32))

    first = store.match([fish, books])
    assert sorted((m.need_id, m.doc_id) for m in first) == sorted([(need.id, "d1"), (other.id, "d2")])
    assert store.match([fish, books]) == []  # matched again: nothing new
    assert store.match([fish, fish]) == []
    with database.read() as conn:
        stored = conn.execute(select(need_matches.c.id, need_matches.c.need_id, need_matches.c.doc_id)).all()
    assert sorted(tuple(row) for row in stored) == sorted((m.id, m.need_id, m.doc_id) for m in first)
    database.close()

    database = sqlite_database(path)  # a restart: the same documents seen again add nothing either
    store = SavedNeedStore(database, lambda q: vectors[q], lambda q: [], threshold=0.9)
    assert store.match([fish, books]) == []
    saved, matches = store.read(need.token)  # an API seeker reads them: delivered
    assert saved == need and [(m.doc_id, m.sent) for m in matches] == [("d1", None)]
    assert [m.sent is not None for m in store.get(need.token)[1]] == [True]
    ((_, pending),) = store.pending("widget")
    assert pending.doc_id == "d2" and store.pending("api") == []
    store.mark_sent([pending.id])
    store.mark_sent([pending.id])
    assert store.pending("widget") == []
    assert store.unsubscribe(other.token).status == "closed"
    assert [n.status for n in store.recent()] == ["closed", "open"]
    with database.read() as conn:
        assert conn.execute(select(func.count()).select_from(need_matches)).scalar_one() == 2
    database.close()


def test_introductions_list_and_status_changes_persist(path):
    database = sqlite_database(path)
    store = IntroductionStore(database)
    args = {
        "session_id": "s1",
        "channel": "widget",
        "need": "We want solar kiosks in our town",
        "contact": "amina@example.org",
        "consent": True,
        "target_kind": "solution",
        "target_id": "sol-ken-water-kiosks",
        "target_name": "Solar water kiosks",
    }
    first = store.create(**args)
    second = store.create(**(args | {"target_kind": "partner", "target_id": "org-1", "contact": "", "consent": False}))
    assert [i.id for i in store.list()] == [second.id, first.id]  # newest first
    store.move(first.id, "contacted", "wrote to the provider")
    store.close()  # not the database's owner
    assert store.count() == 2
    database.close()

    database = sqlite_database(path)  # a restart
    store = IntroductionStore(database)
    assert [i.id for i in store.list("contacted")] == [first.id] and [i.id for i in store.list("new")] == [second.id]
    moved = store.move(first.id, "closed", "no answer")
    assert [(n.status, n.text) for n in moved.notes] == [
        ("contacted", "wrote to the provider"),
        ("closed", "no answer"),
    ]
    assert store.get(first.id) == moved and store.get(second.id).contact == ""
    assert (store.count(), store.count("closed"), store.count("contacted")) == (2, 1, 0)
    with database.read() as conn:
        statuses = dict(conn.execute(select(introductions.c.id, introductions.c.status)).all())
    assert statuses == {first.id: "closed", second.id: "new"}  # the status column follows the data
    database.close()

    database = sqlite_database(path)
    store = IntroductionStore(database)
    assert store.get(first.id).status == "closed" and len(store.get(first.id).notes) == 2
    with pytest.raises(NotFound):
        store.get("intro-missing")
    database.close()


def test_closing_a_store_leaves_the_shared_database_open(tmp_path, database, monkeypatch):
    def refuse():
        raise AssertionError("a store closed the database it does not own")

    monkeypatch.setattr(database, "close", refuse)
    monkeypatch.setattr(database.engine, "dispose", refuse)
    stores = [
        SubmissionQueue(database, tmp_path / "published"),
        IntroductionStore(database),
        SavedNeedStore(database, lambda q: [1.0], lambda q: [], threshold=0.9),
    ]
    for store in stores:
        store.close()
    assert stores[0].list(None) == [] and stores[1].count() == 0 and stores[2].recent() == []


def test_two_moderators_deciding_at_once_leave_one_decision_and_no_stray_document(tmp_path, path):
    """On two replicas: one approves (publishing takes a while) while the other rejects, or approves too."""
    database = sqlite_database(path)
    queue, other_replica = SubmissionQueue(database, tmp_path / "pub"), SubmissionQueue(database, tmp_path / "pub")
    withdrawn: list[str] = []

    raced = queue.submit(GOOD)
    with pytest.raises(InvalidInput, match="already rejected"):
        queue.approve(raced.id, publish=lambda _: other_replica.reject(raced.id, "spam"), withdraw=withdrawn.append)
    assert queue.get(raced.id).status == "rejected" and queue.get(raced.id).reason == "spam"
    assert withdrawn == [raced.id] and not (tmp_path / "pub" / f"{raced.id}.md").exists()

    twice = queue.submit(GOOD)
    with pytest.raises(InvalidInput, match="already approved"):
        queue.approve(twice.id, publish=lambda _: other_replica.approve(twice.id), withdraw=withdrawn.append)
    assert queue.get(twice.id).status == "approved" and withdrawn == [raced.id]  # approved once, kept
    assert (tmp_path / "pub" / f"{twice.id}.md").exists()
    with pytest.raises(InvalidInput, match="already approved"):
        other_replica.reject(twice.id)
    database.close()
