from __future__ import annotations

import os
import socket
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ACCLABS_CSV = SHARED_DATA / "undp-acclabs-africa-solutions.csv"

# Never let a library phone home from a test (the machine has no network anyway).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def sqlite_database(path: Path):
    """The durable-state database in a SQLite file (opening the same path again is a restart)."""
    from assistant.database import open_database

    return open_database(f"sqlite:///{path}")


@pytest.fixture
def database(tmp_path):
    db = sqlite_database(tmp_path / "galaxy.sqlite3")
    yield db
    db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_doc(
    folder: Path,
    doc_id: str,
    *,
    title: str,
    body: str,
    kind: str = "solution",
    countries=("KEN",),
    sdgs=(6,),
    language: str = "en",
    extra: str = "",
) -> Path:
    sub = {"solution": "solutions", "organisation": "organisations", "funding": "funding"}[kind]
    path = folder / sub / f"{doc_id}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        textwrap.dedent(
            f"""\
            ---
            id: {doc_id}
            kind: {kind}
            title: "{title}"
            summary: "{title}."
            countries: [{", ".join(countries)}]
            sdgs: [{", ".join(str(s) for s in sdgs)}]
            themes: [water]
            language: {language}
            url: https://galaxy.example.org/{doc_id}
            {extra}
            ---
            """
        )
        + body
        + "\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    write_doc(
        folder,
        "sol-ken-water-kiosks",
        title="Solar water kiosks in Kisumu",
        body="Community kiosks sell treated drinking water pumped with solar panels. " * 8,
    )
    write_doc(
        folder,
        "sol-sen-fish-ovens",
        title="Improved fish-smoking ovens",
        countries=("SEN",),
        sdgs=(14, 8),
        body="Women processors in Joal use ovens that halve firewood use and smoke exposure. " * 8,
    )
    write_doc(
        folder,
        "sol-bfa-zai",
        title="Techniques zaï pour restaurer les sols",
        countries=("BFA",),
        sdgs=(15, 2),
        language="fr",
        body="Des trous de plantation remplis de compost retiennent l'eau de pluie. " * 8,
    )
    return folder


@pytest.fixture
def settings(tmp_path: Path):
    from assistant.settings import load_settings

    return load_settings(data_dir=tmp_path / "data")


CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus_data_dir(tmp_path_factory) -> Path:
    """The shipped corpus ingested once per test session (real model, real Chroma)."""
    from assistant.container import build_knowledge_base
    from assistant.settings import load_settings

    data = tmp_path_factory.mktemp("corpus-index")
    kb = build_knowledge_base(load_settings(data_dir=data))
    summary = kb.ingestor.ingest([CORPUS])
    assert summary.failed == 0, summary.failures
    kb.close()
    return data


@pytest.fixture(scope="session")
def corpus_services(corpus_data_dir):
    from assistant.container import build_services
    from assistant.settings import load_settings

    services = build_services(load_settings(data_dir=corpus_data_dir))
    yield services
    services.close()


def wait_until_ok(url: str, timeout: float = 120, proc=None) -> None:
    """Poll `url` until it answers 200; fail early if `proc` (the server's process) has exited."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before answering {url}")
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")
