"""Chroma in server mode, killed mid-traffic: clients get 503 with Retry-After, /readyz says so, and service
resumes by itself when the Chroma server is back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import serve
from tests.conftest import free_port, wait_until_ok


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_ok(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=60, proc=proc)
    return proc


@pytest.mark.slow
def test_chroma_server_outage_is_a_503_and_recovers(tmp_path, small_corpus):
    from assistant.container import build_services
    from assistant.settings import load_settings

    port = free_port()
    chroma = start_chroma(tmp_path / "chroma", port)
    settings = load_settings(data_dir=tmp_path / "data", chroma={"mode": "server", "host": "127.0.0.1", "port": port},
                             api={"rate_limit_per_minute": 0})
    services = build_services(settings)
    services.kb.ingestor.ingest([small_corpus])
    services.refresh()
    try:
        with serve(services) as server:
            search = {"query": "drinking water kiosks"}
            assert httpx.post(f"{server.url}/v1/search", json=search, timeout=30).status_code == 200

            chroma.kill()
            chroma.wait(timeout=30)
            down = httpx.post(f"{server.url}/v1/search", json=search, timeout=60)
            assert down.status_code == 503 and down.headers.get("Retry-After")
            assert "unavailable" in down.json()["detail"].lower()
            ask = httpx.post(f"{server.url}/v1/ask", json={"question": "drinking water kiosks"}, timeout=60)
            assert ask.status_code == 503
            assert httpx.get(f"{server.url}/readyz", timeout=60).status_code == 503
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200

            chroma = start_chroma(tmp_path / "chroma", port)
            back = httpx.post(f"{server.url}/v1/search", json=search, timeout=30)
            assert back.status_code == 200 and back.json()["hits"][0]["doc_id"] == "sol-ken-water-kiosks"
            assert httpx.get(f"{server.url}/readyz", timeout=30).status_code == 200
    finally:
        chroma.kill()
        chroma.wait(timeout=30)
        services.close()
