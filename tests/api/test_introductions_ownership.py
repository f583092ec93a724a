"""POST /v1/introductions only from a conversation this server started (a session id it signed), and about an
answer given in that conversation: a forged, guessed or foreign session, or another conversation's answer, gets a
404 that says why, and nothing reaches the knowledge managers."""

from __future__ import annotations

import httpx
import pytest

from api.routes.community import NOT_IN_THIS_CONVERSATION, NOT_OUR_CONVERSATION
from assistant.answers.conversation import SessionIds


def ask(http: httpx.Client, question: str = "How do solar water kiosks work?", **extra) -> dict:
    r = http.post("/v1/ask", json={"question": question, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def introduce(http: httpx.Client, session_id: str, answer_id: str | None = None) -> httpx.Response:
    body = {
        "session_id": session_id,
        "target_kind": "solution",
        "target_id": "sol-ken-water-kiosks",
        "target_name": "Solar water kiosks in Kisumu",
        "need": "We want drinking water kiosks in our town",
        "contact": "amina@example.org",
        "consent": True,
    }
    if answer_id is not None:
        body["answer_id"] = answer_id
    return http.post("/v1/introductions", json=body)


def stored(server) -> int:
    return server.services.introductions.count()


def test_an_answer_in_its_own_conversation_can_be_followed_by_an_introduction(http, server):
    answer = ask(http)
    created = introduce(http, answer["session_id"], answer["answer_id"])
    assert created.status_code == 201, created.text
    intro = server.services.introductions.get(created.json()["id"])
    assert (intro.session_id, intro.answer_id) == (answer["session_id"], answer["answer_id"])
    # Without an answer id, the conversation alone is enough.
    assert introduce(http, answer["session_id"]).status_code == 201


def server_sessions(server) -> SessionIds:
    """The server's own session ids (the same secret, as a replica would hold)."""
    settings = server.services.settings
    return SessionIds.under(settings.data_dir, settings.api.session_secret.get_secret_value())


def forged_ids(issued: str) -> list[str]:
    return [
        "s-intro",  # a made-up id
        "tg-5551234",  # another channel's conversation id
        issued[:-2] + ("AA" if issued[-2:] != "AA" else "BB"),  # a real id with its signature altered
        SessionIds(b"another-server-secret-0123456789").issue(),  # well-formed, signed by someone else
        "x" * 44,
    ]


@pytest.mark.parametrize("with_answer", [False, True])
def test_a_forged_session_is_refused_with_the_reason(http, server, with_answer):
    answer = ask(http)
    before = stored(server)
    for forged in forged_ids(answer["session_id"]):
        refused = introduce(http, forged, answer["answer_id"] if with_answer else None)
        assert refused.status_code == 404, (forged, refused.text)
        assert refused.json() == {"detail": NOT_OUR_CONVERSATION}
    assert stored(server) == before


def test_an_answer_from_another_conversation_is_refused(http, server):
    mine, theirs = ask(http), ask(http, "Improved fish-smoking ovens")
    assert mine["session_id"] != theirs["session_id"]
    before = stored(server)
    for answer_id in (theirs["answer_id"], "made-up-answer"):
        refused = introduce(http, mine["session_id"], answer_id)
        assert refused.status_code == 404, refused.text
        assert refused.json() == {"detail": NOT_IN_THIS_CONVERSATION}
    # A signed id whose conversation has no answers yet (or no longer: pruned) has no answer to point at either.
    fresh = server_sessions(server).issue()
    assert introduce(http, fresh, mine["answer_id"]).json() == {"detail": NOT_IN_THIS_CONVERSATION}
    assert introduce(http, fresh).status_code == 201  # signed here: without an answer id, it is enough
    before += 1
    assert stored(server) == before
    assert introduce(http, theirs["session_id"], theirs["answer_id"]).status_code == 201
