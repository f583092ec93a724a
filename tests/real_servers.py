"""Real servers on loopback for the tests that need them: Debian's PostgreSQL 15 and redis-server, and the
Chroma server from the chromadb package. Each start function skips the test when its server is not installed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, wait_until_ok

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None)


def wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.05)


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root, run it as the `postgres` user Debian's package made."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _wait_until_accepting(port: int, timeout_s: float = 60.0) -> None:
    """The port opens while the server is still starting up and refusing connections (createdb then failed on a
    loaded machine): wait until pg_isready says it accepts them."""
    deadline = time.monotonic() + timeout_s
    check = [str(POSTGRES_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", "galaxy"]
    while subprocess.run(_as_postgres_user(check), capture_output=True, timeout=30).returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"PostgreSQL on port {port} did not accept connections within {timeout_s:g} s")
        time.sleep(0.2)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free loopback port; yields its URL (database `galaxy`)."""
    if not (POSTGRES_BIN / "initdb").exists():
        pytest.skip("PostgreSQL 15 is not installed under /usr/lib/postgresql/15/bin")
    pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    # Not under pytest's tmp_path: the postgres user must be able to reach the directory.
    root = Path(tempfile.mkdtemp(prefix="galaxy-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = root / "cluster"
    subprocess.run(
        _as_postgres_user(
            [str(POSTGRES_BIN / "initdb"), "-D", str(cluster), "-U", "galaxy", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    process = subprocess.Popen(
        _as_postgres_user(
            [str(POSTGRES_BIN / "postgres"), "-D", str(cluster), "-p", str(port), "-k", str(root), "-h", "127.0.0.1"]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, "PostgreSQL")
        _wait_until_accepting(port)
        subprocess.run(
            _as_postgres_user(
                [str(POSTGRES_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "galaxy", "galaxy"]
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql://galaxy@127.0.0.1:{port}/galaxy"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """A redis-server on a free loopback port, nothing persisted; yields its URL."""
    if REDIS is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    pytest.importorskip("redis", reason="the redis extra is not installed")
    port = free_port()
    process = subprocess.Popen(
        [
            REDIS,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process, "redis-server", timeout=10)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def start_galaxy_server(env: dict[str, str], port: int) -> subprocess.Popen:
    """`galaxy serve` in its own process with `env`, once its /readyz answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ok(f"http://127.0.0.1:{port}/readyz", proc=proc)
    except RuntimeError:
        proc.kill()
        raise
    return proc


def start_chroma(path: Path, port: int) -> subprocess.Popen:
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_ok(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=60, proc=proc)
    return proc
