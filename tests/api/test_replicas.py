"""Two `galaxy serve` replicas, each with its own data directory, sharing Debian's PostgreSQL (conversations,
feedback, submissions, docstore), a Redis (the rate limit) and a Chroma server (the vectors), all on loopback:
a conversation started on one continues on the other, the limit is one, a document ingested by the CLI is seen
by both, and a kill -9 of one during writes loses nothing it acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, free_port, write_doc
from tests.real_servers import postgres_server, redis_server, start_chroma, start_galaxy_server

PER_MINUTE = 20


def replica_env(data_dir: Path, database_url: str, redis_url: str, chroma_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "GALAXY_DATA_DIR": str(data_dir),
        "GALAXY_LOG_LEVEL": "WARNING",
        "GALAXY_DATABASE__URL": database_url,
        "GALAXY_CHROMA__MODE": "server",
        "GALAXY_CHROMA__PORT": str(chroma_port),
        "GALAXY_API__RATE_LIMIT_STORAGE": redis_url,
        "GALAXY_API__RATE_LIMIT_PER_MINUTE": str(PER_MINUTE),
        "GALAXY_API__SESSION_SECRET": "one-secret-every-replica-shares",
    }


def start_replica(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    return start_galaxy_server(env, port), f"http://127.0.0.1:{port}"


def client(base_url: str, address: str) -> httpx.Client:
    """Each simulated user has its own loopback address, so the limit counts them apart."""
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), timeout=60)


def stored_rows(database_url: str, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(database_url) as conn:
        return list(conn.execute(sql).fetchall())


@pytest.fixture
def shared_backends(tmp_path):
    with postgres_server() as database_url, redis_server(tmp_path) as redis_url:
        chroma_port = free_port()
        chroma = start_chroma(tmp_path / "chroma", chroma_port)
        try:
            yield database_url, redis_url, chroma_port
        finally:
            chroma.kill()
            chroma.wait(timeout=30)


@pytest.mark.slow
def test_two_replicas_share_conversations_limits_index_and_durable_writes(tmp_path, small_corpus, shared_backends):
    database_url, redis_url, chroma_port = shared_backends
    env_one = replica_env(tmp_path / "one", database_url, redis_url, chroma_port)
    env_two = replica_env(tmp_path / "two", database_url, redis_url, chroma_port)
    ingest = [sys.executable, "-m", "cli.main", "ingest", str(small_corpus)]
    subprocess.run(ingest, env=env_one, cwd=ROOT, check=True, capture_output=True, timeout=600)
    one, url_one = start_replica(env_one)
    two, url_two = start_replica(env_two)
    try:
        # A conversation started on one replica continues on the other.
        with client(url_one, "127.0.0.2") as on_one, client(url_two, "127.0.0.2") as on_two:
            first = on_one.post("/v1/ask", json={"question": "How do solar water kiosks work?"}).json()
            session = first["session_id"]
            follow_up = on_two.post("/v1/ask", json={"question": "Who runs them?", "session_id": session})
            assert follow_up.status_code == 200 and follow_up.json()["session_id"] == session
            feedback = on_two.post(  # an answer given by replica one is known to replica two
                "/v1/feedback", json={"session_id": session, "answer_id": first["answer_id"], "rating": "up"}
            )
            assert feedback.status_code == 201
        assert not (tmp_path / "two" / "galaxy.sqlite3").exists()  # replica two keeps no state of its own
        roles = stored_rows(database_url, f"SELECT role FROM turns WHERE session_id = '{session}' ORDER BY id")
        assert [r[0] for r in roles] == ["user", "assistant", "user", "assistant"]

        # One limit for both: the client's requests on either replica count against the same quota.
        doc = "/v1/documents/sol-ken-water-kiosks"
        with client(url_one, "127.0.0.3") as on_one, client(url_two, "127.0.0.3") as on_two:
            codes = [(on_one if n % 2 else on_two).get(doc).status_code for n in range(PER_MINUTE)]
            assert codes == [200] * PER_MINUTE
            assert on_one.get(doc).status_code == 429 and on_two.get(doc).status_code == 429
        with client(url_two, "127.0.0.4") as someone_else:
            assert someone_else.get(doc).status_code == 200

        # A document ingested from the CLI of replica one's machine is searchable on replica two.
        extra = tmp_path / "extra"
        write_doc(extra, "sol-sen-fog-nets", title="Fog nets for drinking water in Dakar", body="Fog nets. " * 30)
        added = [sys.executable, "-m", "cli.main", "ingest", str(extra)]
        subprocess.run(added, env=env_one, cwd=ROOT, check=True, capture_output=True, timeout=600)
        with client(url_two, "127.0.0.4") as on_two:
            assert _eventually(lambda: on_two.get("/v1/documents/sol-sen-fog-nets").status_code == 200)

        acknowledged = write_until_killed(url_one, one, session, first["answer_id"])
        stored = {row[0] for row in stored_rows(database_url, "SELECT id FROM feedback")}
        assert len(acknowledged) >= 20 and set(acknowledged) <= stored
        # The survivor keeps the conversation going.
        with client(url_two, "127.0.0.9") as on_two:
            more = on_two.post("/v1/ask", json={"question": "And in Senegal?", "session_id": session})
            assert more.status_code == 200 and more.json()["session_id"] == session
    finally:
        for proc in (one, two):
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)


def _eventually(check, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def write_until_killed(url: str, proc: subprocess.Popen, session: str, answer_id: str) -> list[int]:
    """Feedback from several users at once (each under its own quota) until a kill -9 of the replica."""
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer(address: str) -> None:
        with client(url, address) as http:
            while not stop.is_set():
                try:
                    r = http.post("/v1/feedback", json={"session_id": session, "answer_id": answer_id, "rating": "up"})
                except httpx.TransportError:
                    return  # the replica is gone
                if r.status_code == 201:
                    acknowledged.append(r.json()["id"])
                elif r.status_code == 429:
                    return

    threads = [threading.Thread(target=writer, args=(f"127.0.0.{n}",)) for n in range(10, 14)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    return acknowledged
