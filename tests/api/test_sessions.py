"""Owned sessions: conversation ids are issued (signed) by the server; any other id, a Telegram chat's included,
starts a new conversation; feedback only for answers given in that conversation."""

from __future__ import annotations

import stat

import httpx
import pytest

from assistant.answers.conversation import SessionIds
from assistant.errors import ConfigurationError

QUESTION = "How do solar water kiosks work?"


def ask(http: httpx.Client, **extra) -> dict:
    r = http.post("/v1/ask", json={"question": QUESTION, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def test_ids_are_signed_and_unguessable():
    ids = SessionIds(b"k" * 32)
    issued = ids.issue()
    assert ids.valid(issued) and len(issued) == 44 and issued != ids.issue()
    forged = issued[:-2] + ("AA" if issued[-2:] != "AA" else "BB")
    assert not ids.valid(forged)
    assert not SessionIds(b"other-server-secret").valid(issued)
    assert not any(ids.valid(s) for s in ("tg-555", "", None, issued + "x", "x" * 44))
    assert ids.own(issued) == issued and ids.own("tg-555") != "tg-555"


def test_the_secret_is_kept_private_under_the_data_dir(tmp_path):
    first = SessionIds.under(tmp_path)
    assert SessionIds.under(tmp_path).valid(first.issue())  # a restart keeps the conversations
    assert stat.S_IMODE((tmp_path / SessionIds.SECRET_FILE).stat().st_mode) == 0o600
    configured = SessionIds.under(tmp_path, "a-secret-shared-by-replicas")
    assert SessionIds.under(tmp_path / "elsewhere", "a-secret-shared-by-replicas").valid(configured.issue())
    assert not first.valid(configured.issue())
    with pytest.raises(ConfigurationError, match="at least 16"):
        SessionIds.under(tmp_path, "short")


def test_the_server_issues_the_id_and_the_conversation_continues(http, server):
    first = ask(http)
    sid = first["session_id"]
    assert server.server.config.app.state.sessions.valid(sid)
    follow = ask(http, session_id=sid)
    assert follow["session_id"] == sid
    assert len(server.services.conversations.history(sid)) == 4


@pytest.mark.parametrize("claimed", ["tg-555", "my-own-session-id", "A" * 44])
def test_an_id_the_server_did_not_issue_starts_a_new_conversation(http, server, claimed):
    conversations = server.services.conversations
    conversations.add(claimed, "user", "a private question in another channel")
    before = conversations.history(claimed)
    answer = ask(http, session_id=claimed)
    assert answer["session_id"] != claimed and len(answer["session_id"]) == 44
    assert conversations.history(claimed) == before  # neither read nor written
    assert len(conversations.history(answer["session_id"])) == 2


def test_streamed_answers_get_an_issued_id_too(http):
    with http.stream("POST", "/v1/ask", json={"question": QUESTION, "session_id": "tg-1", "stream": True}) as r:
        text = "".join(r.iter_text())
    assert r.status_code == 200 and "tg-1" not in text and '"session_id"' in text


def test_feedback_only_for_answers_given_in_that_conversation(http, server):
    one, other = ask(http), ask(http)
    ok = http.post(
        "/v1/feedback", json={"session_id": one["session_id"], "answer_id": one["answer_id"], "rating": "up"}
    )
    assert ok.status_code == 201
    # another conversation's answer, an answer never given, a Telegram chat's answer
    server.services.conversations.add("tg-777", "assistant", "an answer", {"answer_id": "tganswer"})
    refused = [
        http.post("/v1/feedback", json={"session_id": sid, "answer_id": aid, "rating": "down"})
        for sid, aid in [
            (one["session_id"], other["answer_id"]),
            (one["session_id"], "0123456789abcdef"),
            ("tg-777", "tganswer"),
        ]
    ]
    assert [r.status_code for r in refused] == [404, 404, 404]
    assert all("not given in this conversation" in r.json()["detail"] for r in refused)
