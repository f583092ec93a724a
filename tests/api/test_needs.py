"""POST/GET/DELETE /v1/needs on a live server over the shipped corpus: a need saved from a "nothing exactly on
this" answer hears of the matching solution approved later, once, and unsubscribes."""

from __future__ import annotations

import pytest

from tests.fakes.needs import MATCHING, NEED

pytestmark = pytest.mark.slow

WIDGET = {"X-Galaxy-Client": "widget"}


def approve(services, submission: dict) -> str:
    before = set(services.retriever.documents)
    services.approve_submission(services.submissions.submit(dict(submission), source="api").id)
    (doc_id,) = set(services.retriever.documents) - before
    return doc_id


def test_a_saved_need_lists_the_matching_solution_and_unsubscribes(client, corpus_server):
    answer = client.post("/v1/ask", json={"question": NEED}).json()
    assert answer["outcome"] == "nothing_exact"
    body = {"session_id": answer["session_id"], "question": NEED, "answer_id": answer["answer_id"]}
    r = client.post("/v1/needs", json=body, headers=WIDGET)
    assert r.status_code == 201, r.text
    need = r.json()
    assert (need["status"], need["channel"], need["places"], need["matches"]) == ("open", "widget", ["ETH"], [])
    assert len(need["token"]) >= 22
    assert client.post("/v1/needs", json=body, headers=WIDGET).json()["token"] == need["token"]  # saved once

    doc_id = approve(corpus_server.services, MATCHING)
    try:
        first = client.get(f"/v1/needs/{need['token']}").json()
        assert [(m["doc_id"], m["title"], m["delivered"]) for m in first["matches"]] == [
            (doc_id, MATCHING["title"], False)
        ]
        assert [m["delivered"] for m in client.get(f"/v1/needs/{need['token']}").json()["matches"]] == [True]

        gone = client.delete(f"/v1/needs/{need['token']}")
        assert gone.status_code == 200 and gone.json()["status"] == "closed"
        assert client.get(f"/v1/needs/{need['token']}").json()["status"] == "closed"
    finally:
        corpus_server.services.delete_documents([doc_id])


def test_needs_are_refused_for_conversations_and_tokens_never_issued(client):
    forged = client.post("/v1/needs", json={"session_id": "tg-555", "question": NEED})
    assert forged.status_code == 404
    assert client.get("/v1/needs/not-a-token").status_code == 404
    assert client.delete("/v1/needs/not-a-token").status_code == 404
    assert client.post("/v1/needs", json={"session_id": "x", "question": NEED, "k": 1}).status_code == 422


def test_a_partner_site_may_unsubscribe_from_the_widget(client):
    r = client.options(
        "/v1/needs/abc",
        headers={
            "Origin": "https://partner.example",
            "Access-Control-Request-Method": "DELETE",
            "Access-Control-Request-Headers": "content-type,x-galaxy-client",
        },
    )
    assert r.status_code == 200
    assert "DELETE" in r.headers["access-control-allow-methods"]
