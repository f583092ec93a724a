"""Chroma in server mode, killed mid-traffic: questions keep being answered from the retriever's in-memory
snapshot, whatever needs the store itself (publishing a submission) gets 503 with Retry-After and loses nothing,
/readyz says so, and service resumes by itself when the Chroma server is back."""

from __future__ import annotations

import httpx
import pytest

from tests.api.conftest import serve
from tests.conftest import free_port
from tests.real_servers import start_chroma


@pytest.mark.slow
def test_chroma_server_outage_degrades_gracefully_and_recovers(tmp_path, small_corpus):
    from assistant.container import build_services
    from assistant.settings import load_settings

    port = free_port()
    chroma = start_chroma(tmp_path / "chroma", port)
    settings = load_settings(
        data_dir=tmp_path / "data",
        chroma={"mode": "server", "host": "127.0.0.1", "port": port},
        api={"rate_limit_per_minute": 0, "admin_key": "admin-key-for-outage"},
    )
    services = build_services(settings)
    services.kb.ingestor.ingest([small_corpus])
    services.refresh()
    try:
        with serve(services) as server:
            search = {"query": "drinking water kiosks"}
            assert httpx.post(f"{server.url}/v1/search", json=search, timeout=30).status_code == 200

            submission = httpx.post(
                f"{server.url}/v1/submissions",
                timeout=30,
                json={
                    "title": "Solar egg incubators for village poultry",
                    "countries": ["Togo"],
                    "sdgs": [2],
                    "summary": "Cooperatives hatch chicks in incubators run on a small solar panel.",
                },
            ).json()
            admin = {"X-API-Key": "admin-key-for-outage"}

            chroma.kill()
            chroma.wait(timeout=30)
            still = httpx.post(f"{server.url}/v1/search", json=search, timeout=60)
            assert still.status_code == 200 and still.json()["hits"][0]["doc_id"] == "sol-ken-water-kiosks"
            ask = httpx.post(f"{server.url}/v1/ask", json={"question": "drinking water kiosks"}, timeout=60)
            assert ask.status_code == 200 and ask.json()["grounded"]
            approve = f"{server.url}/v1/admin/submissions/{submission['id']}/approve"
            down = httpx.post(approve, headers=admin, timeout=120)
            assert down.status_code == 503 and down.headers.get("Retry-After")
            assert "unavailable" in down.json()["detail"].lower()
            assert services.submissions.get(submission["id"]).status == "pending"  # nothing lost, nothing half-done
            ready = httpx.get(f"{server.url}/readyz", timeout=60)
            assert ready.status_code == 503 and ready.headers.get("Retry-After")
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200

            chroma = start_chroma(tmp_path / "chroma", port)
            assert httpx.get(f"{server.url}/readyz", timeout=30).status_code == 200
            assert httpx.post(approve, headers=admin, timeout=120).status_code == 200
            found = httpx.post(f"{server.url}/v1/search", json={"query": "solar egg incubator"}, timeout=30).json()
            assert found["hits"][0]["doc_id"] == submission["id"]
    finally:
        chroma.kill()
        chroma.wait(timeout=30)
        services.close()
