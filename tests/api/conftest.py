"""Fixtures for the HTTP edge: real uvicorn servers on loopback ports, talking to real services."""

from __future__ import annotations

import dataclasses
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml

from tests.conftest import free_port, sqlite_database, write_doc

XSS_TITLE = '<img src=x onerror="window.__xss=1"> Mangrove beekeeping cooperative'
XSS_BODY = (
    "Beekeepers hang hives in restored mangroves and sell mangrove honey through a cooperative. "
    "See [the guide](javascript:window.__xss=2) and <script>window.__xss=3</script> for details. "
) * 6


class LiveServer:
    def __init__(self, app):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from api.server import server_config

        # As `galaxy serve` runs it: timeouts, connection cap, no proxy headers read by uvicorn (api.proxies).
        api = app.state.services.settings.api
        config = server_config(app, api, "127.0.0.1", self.port, loop="asyncio", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the test server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextmanager
def serve(services, **kwargs):
    """A real server for `create_app(services)` for the duration of the block."""
    from api.app import create_app

    server = LiveServer(create_app(services, **kwargs)).start()
    try:
        yield server
    finally:
        server.stop()


def with_api(services, **api_changes):
    """The same services with other API settings (rate limit, keys, CORS...)."""
    settings = services.settings
    api = type(settings.api).model_validate(settings.api.model_dump() | api_changes)
    return dataclasses.replace(services, settings=settings.model_copy(update={"api": api}))


def write_xss_doc(folder: Path) -> Path:
    path = folder / "solutions" / "sol-xss-mangrove-honey.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "id": "sol-xss-mangrove-honey",
        "kind": "solution",
        "title": XSS_TITLE,
        "summary": "Mangrove honey " + XSS_TITLE,
        "countries": ["MOZ"],
        "sdgs": [14, 15],
        "themes": ["mangroves", "beekeeping"],
        "language": "en",
        "url": "javascript:alert(1)",
    }
    path.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + XSS_BODY + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def sandbox_services(tmp_path_factory):
    """Services over their own data dir (small corpus + a hostile document): safe to write to."""
    from assistant.container import build_services
    from assistant.settings import load_settings

    root = tmp_path_factory.mktemp("api-sandbox")
    corpus = root / "corpus"
    write_doc(
        corpus,
        "sol-ken-water-kiosks",
        title="Solar water kiosks in Kisumu",
        body="Community kiosks sell treated drinking water pumped with solar panels. " * 8,
    )
    write_doc(
        corpus,
        "sol-sen-fish-ovens",
        title="Improved fish-smoking ovens",
        countries=("SEN",),
        sdgs=(14, 8),
        body="Women processors in Joal use ovens that halve firewood use and smoke exposure. " * 8,
    )
    write_doc(
        corpus,
        "sol-bfa-zai",
        title="Techniques zaï pour restaurer les sols",
        countries=("BFA",),
        sdgs=(15, 2),
        language="fr",
        body="Des trous de plantation remplis de compost retiennent l'eau de pluie. " * 8,
    )
    write_xss_doc(corpus)
    services = build_services(load_settings(data_dir=root / "data"))
    summary = services.kb.ingestor.ingest([corpus], progress=False)
    assert summary.failed == 0, summary.failures
    services.refresh()
    yield services
    services.close()


@pytest.fixture(scope="module")
def server(sandbox_services):
    """The sandbox services behind a live server without a rate limit, one per test module."""
    with serve(with_api(sandbox_services, rate_limit_per_minute=0)) as live:
        live.services = sandbox_services
        yield live


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def corpus_server(corpus_services, tmp_path_factory):
    """The shipped corpus behind a live server; feedback and submissions go to a private data dir."""
    from assistant.community.feedback import FeedbackStore
    from assistant.community.submissions import SubmissionQueue

    private = tmp_path_factory.mktemp("api-writes")
    database = sqlite_database(private / "galaxy.sqlite3")
    services = dataclasses.replace(
        with_api(corpus_services, rate_limit_per_minute=0, cors_origins=["https://partner.example"]),
        feedback=FeedbackStore(database),
        submissions=SubmissionQueue(database, private / "submissions"),
    )
    with serve(services) as server:
        server.services = services
        yield server
    database.close()


@pytest.fixture
def client(corpus_server):
    with httpx.Client(base_url=corpus_server.url, timeout=60) as http:
        yield http
