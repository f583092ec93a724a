"""Saved needs over the shipped corpus: the real model, the real retriever, submissions approved through the services."""

from __future__ import annotations

import uuid

import pytest

from assistant.community.needs import SavedNeedStore, published_since
from assistant.errors import InvalidInput, NotFound
from tests.conftest import sqlite_database

pytestmark = pytest.mark.slow

#: Needs the corpus answers "nothing exactly", each with a submission written for it (the calibration cases).
CASES = {
    "beekeeping for honey income in Ethiopia": {
        "title": "Beekeeping cooperatives that raise honey income in Tigray",
        "countries": ["Ethiopia"],
        "summary": "Women's beekeeping cooperatives in Ethiopia use modern hives and shared honey processing to "
        "double household income from honey sales.",
    },
    "tele-dentistry in rural Bolivia": {
        "title": "Tele-dentistry for rural health posts in Bolivia",
        "countries": ["Bolivia"],
        "summary": "Rural health posts in Bolivia send photos of patients' teeth to dentists in La Paz, who advise "
        "nurses by video and refer urgent dental cases.",
    },
}
UNRELATED = {
    "title": "Mobile library vans for rural primary schools",
    "countries": ["Kenya"],
    "summary": "Vans carrying books visit rural primary schools every week so that children can borrow storybooks "
    "in Swahili and English.",
}


def publish(services, submission: dict) -> str:
    """Approve a submission through the services (the hook matches it); returns its document id."""
    before = set(services.retriever.documents)
    sub = services.submissions.submit(dict(submission), source="api")
    services.approve_submission(sub.id)
    (doc_id,) = set(services.retriever.documents) - before
    return doc_id


@pytest.fixture
def session() -> str:
    return "needs-" + uuid.uuid4().hex


def test_a_need_is_matched_by_its_solution_once_and_not_by_unrelated_ones(corpus_services, session):
    needs = corpus_services.needs
    saved = {q: needs.save(session_id=session, question=q, channel="api") for q in CASES}
    published = []
    try:
        published.append(publish(corpus_services, UNRELATED))
        for submission in CASES.values():
            published.append(publish(corpus_services, submission))
        for question, need in saved.items():
            _, matches = needs.get(need.token)
            assert [m.title for m in matches] == [CASES[question]["title"]], question
            assert matches[0].score >= needs.threshold
        # The same documents seen again (another process, a refresh after a restart): nothing new.
        again = published_since(set(), corpus_services.retriever.snapshot)
        assert not [m for m in needs.match(again) if m.need_id in {n.id for n in saved.values()}]
    finally:
        corpus_services.delete_documents(published)


def test_the_place_rule_keeps_a_solution_from_elsewhere_out(corpus_services, session, database):
    retriever = corpus_services.retriever
    # A loose threshold, so that only the place rule can tell the two needs apart.
    store = SavedNeedStore(database, retriever.embed_query, lambda q: retriever.analyse(q).place_codes(), 0.8)
    elsewhere = store.save(session_id=session, question="solar irrigation in Mongolia", channel="api")
    anywhere = store.save(session_id=session, question="solar irrigation for market gardens", channel="api")
    assert (elsewhere.places, anywhere.places) == (["MNG"], [])
    snapshot = retriever.snapshot
    niger = "sol-ner-solar-irrigation-market-gardens"
    (candidate,) = published_since(set(snapshot.documents) - {niger}, snapshot)
    assert [m.need_id for m in store.match([candidate])] == [anywhere.id]
    store.close()


def test_pending_matches_survive_a_restart_and_are_delivered_once(tmp_path, session):
    vectors = {"cold rooms for fish": [1.0, 0.0], "unrelated": [0.0, 1.0]}
    database = sqlite_database(tmp_path / "galaxy.sqlite3")
    store = SavedNeedStore(database, lambda q: vectors[q], lambda q: [], threshold=0.9)
    need = store.save(session_id=session, question="cold rooms for fish", channel="telegram", chat_id=42)
    assert store.save(session_id=session, question="cold  rooms for fish", channel="telegram", chat_id=42) == need

    import numpy as np

    from assistant.community.needs import NewDocument
    from assistant.knowledge.documents import KnowledgeDocument

    doc = KnowledgeDocument(id="d1", title="Solar cold rooms", url="https://galaxy.example.org/d1")
    new = NewDocument(doc, np.array([[0.99, 0.14]], dtype=np.float32))
    assert [m.doc_id for m in store.match([new])] == ["d1"]
    assert store.match([new]) == []  # one notification per need and document
    store.close()
    database.close()

    database = sqlite_database(tmp_path / "galaxy.sqlite3")  # a restart
    reopened = SavedNeedStore(database, lambda q: vectors[q], lambda q: [], threshold=0.9)
    ((pending_need, match),) = reopened.pending("telegram")
    assert (pending_need.chat_id, match.title) == (42, "Solar cold rooms")
    reopened.mark_sent([match.id])
    assert reopened.pending("telegram") == []
    reopened.unsubscribe(need.token)
    assert reopened.get(need.token)[0].status == "closed"
    other = NewDocument(KnowledgeDocument(id="d2", title="More cold rooms"), new.vectors)
    assert reopened.match([other]) == []  # a closed need hears of nothing
    reopened.close()
    database.close()


def test_bad_needs_are_refused(database):
    store = SavedNeedStore(database, lambda q: [1.0], lambda q: [], threshold=0.9)
    for kwargs in (
        {"session_id": "s", "question": "ok question", "channel": "fax"},
        {"session_id": "s", "question": "ab", "channel": "api"},
        {"session_id": "", "question": "ok question", "channel": "api"},
        {"session_id": "s", "question": "ok question", "channel": "telegram"},  # no chat
    ):
        with pytest.raises(InvalidInput):
            store.save(**kwargs)
    with pytest.raises(NotFound):
        store.get("no-such-token")
    store.close()
