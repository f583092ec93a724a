"""Kill -9 of the API process while it writes feedback and submissions: after a restart, everything the server
acknowledged is there, whole, and nothing else is."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.conftest import ROOT, free_port
from tests.real_servers import start_galaxy_server


def start_server(data_dir, port) -> subprocess.Popen:
    env = {
        **os.environ,
        "GALAXY_DATA_DIR": str(data_dir),
        "GALAXY_LOG_LEVEL": "WARNING",
        "GALAXY_API__RATE_LIMIT_PER_MINUTE": "0",
    }
    return start_galaxy_server(env, port)


@pytest.mark.slow
def test_acknowledged_writes_survive_kill_9(tmp_path, small_corpus):
    data = tmp_path / "data"
    env = {**os.environ, "GALAXY_DATA_DIR": str(data), "GALAXY_LOG_LEVEL": "WARNING"}
    subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", str(small_corpus)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    port = free_port()
    proc = start_server(data, port)
    url = f"http://127.0.0.1:{port}"
    acknowledged_feedback: list[int] = []
    acknowledged_submissions: list[str] = []
    stop = threading.Event()
    # Feedback is taken only for answers the server gave, in the conversation it gave them in.
    answer = httpx.post(f"{url}/v1/ask", json={"question": "How do solar water kiosks work?"}, timeout=60).json()
    issued = {"session_id": answer["session_id"], "answer_id": answer["answer_id"]}

    def writer(kind: str, n: int) -> None:
        with httpx.Client(base_url=url, timeout=5) as http:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    if kind == "feedback":
                        r = http.post(
                            "/v1/feedback",
                            json=issued | {"rating": "up", "comment": "x" * 200},
                        )
                        if r.status_code == 201:
                            acknowledged_feedback.append(r.json()["id"])
                    else:
                        r = http.post(
                            "/v1/submissions",
                            json={
                                "title": f"Shared solution {n}-{i}",
                                "summary": "A community solution shared by a user.",
                                "countries": ["KEN"],
                            },
                        )
                        if r.status_code == 202:
                            acknowledged_submissions.append(r.json()["id"])
                except httpx.TransportError:
                    return  # the server is gone

    threads = [
        threading.Thread(target=writer, args=(kind, n)) for n, kind in enumerate(["feedback"] * 3 + ["submission"] * 3)
    ]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while (len(acknowledged_feedback) < 20 or len(acknowledged_submissions) < 20) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged_feedback) >= 20 and len(acknowledged_submissions) >= 20

    with sqlite3.connect(data / "galaxy.sqlite3") as conn:
        rows = dict(conn.execute("SELECT id, comment FROM feedback").fetchall())
    assert set(acknowledged_feedback) <= set(rows)
    assert all(comment == "x" * 200 for comment in rows.values())  # no half-written row
    with sqlite3.connect(data / "galaxy.sqlite3") as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM submissions").fetchall()}
    assert set(acknowledged_submissions) <= stored

    restarted = start_server(data, port)  # and the service comes back on the same files
    try:
        assert httpx.post(f"{url}/v1/feedback", json=issued | {"rating": "down"}, timeout=10).status_code == 201
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)
