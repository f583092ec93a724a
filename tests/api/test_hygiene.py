"""Hygiene of a public server: no token in a traceback, slow or idle connections closed, a connection cap,
conversations pruned after their retention, strict types and no NUL bytes in request bodies."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import socket
import time

import httpx
import pytest
from sqlalchemy import update
from telegram.error import InvalidToken

from api.housekeeping import prune_forever
from assistant.answers.conversation import ConversationStore
from assistant.logsafe import RedactSecrets
from assistant.schema import turns
from tests.api.conftest import serve, with_api

TOKEN = "123456:telegram-secret-9zz"


# -- secrets in tracebacks -------------------------------------------------------------------------------------
@pytest.fixture
def captured():
    """A logger whose handler carries the redaction filter, and what it printed."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactSecrets([TOKEN]))
    logger = logging.getLogger("tests.hygiene")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, out
    logger.removeHandler(handler)


def test_a_token_in_an_exception_is_redacted_from_the_traceback(captured):
    logger, out = captured
    try:
        try:
            raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
        except InvalidToken as inner:
            raise RuntimeError(f"bot start failed with {TOKEN}") from inner
    except RuntimeError as exc:
        logger.exception("the bot could not start")
        logger.error(exc)  # the exception object as the message
        logger.warning("failed: %s (%d tries)", exc, 3)  # as an argument; numbers still format
    logs = out.getvalue()
    assert "InvalidToken" in logs and "Traceback" in logs and "failed: bot start failed with ***" in logs
    assert "(3 tries)" in logs
    assert TOKEN not in logs and "telegram-secret" not in logs


# -- connections ----------------------------------------------------------------------------------------------
def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection (read everything it sent), None if still open."""
    sock.settimeout(seconds)
    started = time.monotonic()
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


@pytest.fixture
def strict_server(sandbox_services):
    services = with_api(sandbox_services, rate_limit_per_minute=0, header_timeout_s=1.0, max_connections=3)
    with serve(services) as server:
        yield server


def test_partial_headers_are_cut_off(strict_server):
    with socket.create_connection(("127.0.0.1", strict_server.port)) as slow:
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        # Slowloris: a byte now and then does not extend the deadline.
        for _ in range(3):
            time.sleep(0.2)
            slow.sendall(b"a")
        assert closed_within(slow, 5) is not None
    with socket.create_connection(("127.0.0.1", strict_server.port)) as idle:
        assert closed_within(idle, 5) is not None  # one that never sends anything, too
    # A normal client on a kept-alive connection is not affected by the deadline.
    with httpx.Client(base_url=strict_server.url) as http:
        first = http.get("/healthz")
        time.sleep(1.5)
        assert first.status_code == 200 and http.get("/healthz").status_code == 200


def test_oversized_headers_are_refused(strict_server):
    with socket.create_connection(("127.0.0.1", strict_server.port)) as big:
        big.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
        big.settimeout(5)
        assert big.recv(100).startswith(b"HTTP/1.1 400")


def test_connections_beyond_the_cap_get_503(strict_server):
    held = [socket.create_connection(("127.0.0.1", strict_server.port)) for _ in range(3)]
    try:
        time.sleep(0.2)
        assert httpx.get(f"{strict_server.url}/healthz").status_code == 503
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 5
    while httpx.get(f"{strict_server.url}/healthz").status_code != 200:
        assert time.monotonic() < deadline, "the cap did not free up"
        time.sleep(0.1)


# -- retention ------------------------------------------------------------------------------------------------
def age(store: ConversationStore, session_id: str, days: float) -> None:
    with store.database.write() as conn:
        conn.execute(
            update(turns).where(turns.c.session_id == session_id).values(created=turns.c.created - days * 86_400)
        )


def test_old_conversations_are_pruned(database):
    store = ConversationStore(database)
    for sid in ("old", "recent"):
        store.add(sid, "user", "a question")
        store.add(sid, "assistant", "an answer", {"answer_id": f"{sid}-1"})
    age(store, "old", 40)
    age(store, "recent", 10)

    async def one_pass() -> None:
        task = asyncio.get_running_loop().create_task(prune_forever(store, retention_days=30, every_s=0.05))
        await asyncio.sleep(0.3)
        task.cancel()

    asyncio.run(one_pass())
    assert store.history("old") == [] and len(store.history("recent")) == 2
    store.add("old", "user", "back after a while")  # the store keeps working after pruning
    assert len(store.history("old")) == 1


def test_the_server_prunes_in_the_background(sandbox_services, database):
    store = ConversationStore(database)
    store.add("stale", "user", "a question from long ago")
    age(store, "stale", 8)
    store.add("fresh", "user", "a question from today")
    settings = with_api(sandbox_services, rate_limit_per_minute=0).settings
    services = dataclasses.replace(
        sandbox_services,
        settings=settings.model_copy(update={"conversation_retention_days": 7}),
        conversations=store,
    )
    with serve(services):
        deadline = time.monotonic() + 5
        while store.history("stale") and time.monotonic() < deadline:
            time.sleep(0.05)
    assert store.history("stale") == [] and len(store.history("fresh")) == 1


def test_no_retention_keeps_everything(database):
    store = ConversationStore(database)
    store.add("ancient", "user", "a question")
    age(store, "ancient", 4000)
    asyncio.run(prune_forever(store, retention_days=0))  # returns at once: nothing to do
    assert len(store.history("ancient")) == 1


# -- request bodies -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def http(sandbox_services):
    with (
        serve(with_api(sandbox_services, rate_limit_per_minute=0)) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        yield client


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/search", {"query": "water", "k": True}),
        ("/v1/search", {"query": "water", "k": "5"}),
        ("/v1/search", {"query": "water", "k": 5.0}),
        ("/v1/search", {"query": "water", "filters": {"open_source": 1}}),
        ("/v1/search", {"query": "water", "filters": {"sdgs": [True]}}),
        ("/v1/partners", {"need": "water", "k": False}),
        ("/v1/ask", {"question": "water", "stream": 0}),
    ],
)
def test_numbers_and_booleans_are_strict(http, path, body):
    r = http.post(path, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] in ("k", "open_source", "stream", 0)


def test_a_well_typed_body_still_passes(http):
    r = http.post("/v1/search", json={"query": "water", "k": 3, "filters": {"sdgs": [6], "open_source": False}})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "path, body",
    [
        ("/v1/ask", {"question": "water\x00 kiosks"}),
        ("/v1/search", {"query": "water", "filters": {"themes": ["wa\x00ter"]}}),
        ("/v1/partners", {"need": "\x00"}),
        ("/v1/feedback", {"session_id": "s", "answer_id": "a", "rating": "up", "comment": "nice\x00"}),
        ("/v1/submissions", {"title": "Solar\x00 kiosks", "summary": "A solution."}),
    ],
)
def test_nul_bytes_are_refused_with_a_reason(http, path, body):
    r = http.post(path, json=body)
    assert r.status_code == 422, r.text
    assert any("NUL character" in issue["msg"] for issue in r.json()["detail"])
