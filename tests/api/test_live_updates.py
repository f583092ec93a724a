"""A running `galaxy serve` follows changes made by other processes (CLI ingest, delete, approval) without a
restart, while questions keep being answered."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.api.test_durability import start_server
from tests.conftest import ROOT, free_port, write_doc


def galaxy(data, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GALAXY_DATA_DIR": str(data), "GALAXY_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def search_ids(url: str, query: str) -> set[str]:
    r = httpx.post(f"{url}/v1/search", json={"query": query, "k": 10}, timeout=30)
    r.raise_for_status()
    return {hit["doc_id"] for hit in r.json()["hits"]}


def within(seconds: float, check) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_server_sees_ingest_delete_and_approval_within_seconds(tmp_path, small_corpus):
    data = tmp_path / "data"
    assert galaxy(data, "ingest", str(small_corpus)).returncode == 0
    port = free_port()
    proc = start_server(data, port)
    url = f"http://127.0.0.1:{port}"
    failures: list[str] = []
    asked = 0
    stop = threading.Event()

    def keep_asking() -> None:
        nonlocal asked
        while not stop.is_set():
            r = httpx.post(f"{url}/v1/ask", json={"question": "solar water kiosks"}, timeout=60)
            if r.status_code != 200:
                failures.append(f"{r.status_code} {r.text[:200]}")
            asked += 1

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        extra = tmp_path / "extra"
        write_doc(
            extra,
            "sol-mwi-bike-mills",
            title="Bicycle grain mills",
            countries=("MWI",),
            sdgs=(2,),
            body="Pedal-powered mills grind maize for village cooperatives in Malawi. " * 6,
        )
        assert galaxy(data, "ingest", str(extra)).returncode == 0
        assert within(5, lambda: "sol-mwi-bike-mills" in search_ids(url, "pedal maize mills Malawi"))

        deleted = galaxy(data, "delete", "sol-sen-fish-ovens")
        assert deleted.returncode == 0, deleted.stderr
        assert within(5, lambda: "sol-sen-fish-ovens" not in search_ids(url, "fish-smoking ovens Joal"))

        r = httpx.post(
            f"{url}/v1/submissions",
            json={
                "title": "Rooftop rain gardens for flood control",
                "summary": "Neighbourhood rooftop gardens hold storm water back in Dhaka during the monsoon.",
                "countries": ["Bangladesh"],
                "sdgs": [11],
            },
        )
        assert r.status_code == 202, r.text
        approved = galaxy(data, "submissions", "approve", r.json()["id"])
        assert approved.returncode == 0, approved.stderr

        def approved_visible() -> bool:
            hits = httpx.post(f"{url}/v1/search", json={"query": "rooftop rain gardens Dhaka", "k": 5}).json()
            return any(h["title"] == "Rooftop rain gardens for flood control" for h in hits["hits"])

        assert within(5, approved_visible)
        ready = httpx.get(f"{url}/readyz").json()
        stats = galaxy(data, "stats", "--json")
        import json

        counted = json.loads(stats.stdout)
        assert (ready["documents"], ready["chunks"], ready["generation"]) == (
            counted["documents"],
            counted["chunks"],
            counted["generation"],
        )
        assert ready["documents"] == 4 and ready["generation"] >= 3
    finally:
        stop.set()
        asker.join(timeout=60)
        proc.terminate()
        proc.wait(timeout=30)
    assert asked > 0 and not failures, failures[:3]


@pytest.mark.slow
def test_a_server_computes_the_e5_vectors_a_fast_ingest_left_and_says_so(tmp_path, small_corpus, monkeypatch):
    import json

    monkeypatch.setenv("GALAXY_EMBEDDING__FAST_FIRST_CHUNKS", "1")
    data = tmp_path / "data"
    ingested = galaxy(data, "ingest", str(small_corpus), "--no-backfill", "--json")
    assert ingested.returncode == 0, ingested.stderr
    deferred = json.loads(ingested.stdout)["deferred"]
    assert deferred > 0
    assert json.loads(galaxy(data, "stats", "--json").stdout)["primary_pending"] == deferred
    port = free_port()
    proc = start_server(data, port)
    url = f"http://127.0.0.1:{port}"
    try:
        assert "sol-ken-water-kiosks" in search_ids(url, "solar drinking water kiosks")

        def searched_by_both() -> bool:
            ready = httpx.get(f"{url}/readyz").json()
            return ready["primary_pending"] == 0 and ready["search"] == "both encoders"

        assert within(120, searched_by_both)
        assert "sol-ken-water-kiosks" in search_ids(url, "solar drinking water kiosks")
        assert "no chunk is waiting" in galaxy(data, "backfill").stdout
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_readiness_says_when_search_waits_for_e5_vectors(tmp_path, small_corpus):
    from assistant.container import build_services
    from assistant.settings import load_settings
    from tests.api.conftest import serve

    services = build_services(load_settings(data_dir=tmp_path / "data", embedding={"fast_first_chunks": 1}))
    try:
        services.kb.ingestor.ingest([small_corpus], progress=False)
        services.refresh()
        with serve(services) as server:
            fast = httpx.get(f"{server.url}/readyz").json()
            services.kb.backfill().run()
            services.refresh()
            both = httpx.get(f"{server.url}/readyz").json()
        assert fast["search"] == "fast encoder only" and fast["primary_pending"] == fast["chunks"] > 0
        assert both["search"] == "both encoders" and both["primary_pending"] == 0
    finally:
        services.close()
