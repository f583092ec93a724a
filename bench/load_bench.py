"""Load benchmark: N concurrent clients ask questions against `galaxy serve` on loopback (extractive backend).

Bounded in time and count; traffic goes only to 127.0.0.1. Reports throughput, p50/p95/p99 latency, error rate,
and the server's resident memory over time (first vs last 20 s), for plain JSON answers and for streamed ones.
Every client also posts feedback; the benchmark checks that every acknowledged feedback row was stored.
A shed request (503) waits its Retry-After before asking again, as the widget would; latency percentiles
are reported for all requests and for answered (200) ones.

Usage: python bench/load_bench.py [--clients 50] [--seconds 60] [--data-dir DIR] [--repeat] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "What solutions for clean water exist in Kenya?",
    "Quelles solutions d'irrigation solaire au Sahel ?",
    "¿Qué soluciones hay para el registro de tierras con drones?",
    "Que soluções existem para restaurar mangais?",
    "community health workers mobile app",
    "biogas from market waste",
    "flood early warning by SMS",
    "who could help us set up solar irrigation in Niger?",
    "improved fish smoking ovens",
    "coral reef restoration",
]
MAX_REQUESTS = 200_000


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


async def run_phase(url: str, pid: int, clients: int, seconds: float, stream: bool, unique: bool) -> dict:
    latencies: list[float] = []
    ok_latencies: list[float] = []  # answered (200) only: shed requests (503) are fast and would flatter p95
    statuses: dict[int, int] = {}
    acked_feedback: list[int] = []
    memory: list[tuple[float, float]] = []
    started = time.monotonic()
    deadline = started + seconds
    count = 0

    async def client(i: int) -> None:
        nonlocal count
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            n = 0
            while time.monotonic() < deadline and count < MAX_REQUESTS:
                count += 1
                n += 1
                question = QUESTIONS[(i + n) % len(QUESTIONS)]
                if unique:  # defeat the query-embedding cache: every request embeds its question
                    question = f"{question} (client {i}, request {n})"
                t0 = time.monotonic()
                try:
                    if stream:
                        async with http.stream("POST", "/v1/ask", json={"question": question, "stream": True}) as r:
                            async for _ in r.aiter_bytes():
                                pass
                            status = r.status_code
                            retry_after = r.headers.get("retry-after")
                    else:
                        r = await http.post("/v1/ask", json={"question": question})
                        status = r.status_code
                        retry_after = r.headers.get("retry-after")
                        if status == 200 and n % 5 == 0:
                            fb = await http.post(
                                "/v1/feedback",
                                json={
                                    "session_id": r.json()["session_id"],
                                    "answer_id": r.json()["answer_id"],
                                    "rating": "up",
                                },
                            )
                            if fb.status_code == 201:
                                acked_feedback.append(fb.json()["id"])
                except httpx.HTTPError:
                    status, retry_after = 0, None
                latencies.append(time.monotonic() - t0)
                if status == 200:
                    ok_latencies.append(latencies[-1])
                statuses[status] = statuses.get(status, 0) + 1
                if status == 503 and retry_after and retry_after.isdigit():  # shed: back off as a browser would
                    await asyncio.sleep(min(int(retry_after), 5))

    async def sampler() -> None:
        while time.monotonic() < deadline:
            memory.append((time.monotonic() - started, rss_mb(pid)))
            await asyncio.sleep(1)

    await asyncio.gather(sampler(), *(client(i) for i in range(clients)))
    elapsed = time.monotonic() - started
    first = [m for t, m in memory if t <= 20]
    last = [m for t, m in memory if t >= elapsed - 20]
    errors = sum(v for k, v in statuses.items() if k != 200)
    return {
        "mode": "stream" if stream else "json",
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000),
        "p95_ms": round(percentile(latencies, 0.95) * 1000),
        "p99_ms": round(percentile(latencies, 0.99) * 1000),
        "error_rate": round(errors / max(1, len(latencies)), 4),
        "answered": len(ok_latencies),
        "answered_rps": round(len(ok_latencies) / elapsed, 1),
        "answered_p50_ms": round(percentile(ok_latencies, 0.5) * 1000),
        "answered_p95_ms": round(percentile(ok_latencies, 0.95) * 1000),
        "answered_p99_ms": round(percentile(ok_latencies, 0.99) * 1000),
        "shed_503": statuses.get(503, 0),
        "statuses": statuses,
        "server_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "rss_first20_mb": round(max(first, default=0), 1),
        "rss_last20_mb": round(max(last, default=0), 1),
        "rss_peak_mb": round(max((m for _, m in memory), default=0), 1),
        "feedback_acked": acked_feedback,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--repeat",
        action="store_true",
        help="Ask the same 10 questions over and over (query embeddings cached) instead of unique ones.",
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="galaxy-load-"))
    env = {
        **os.environ,
        "GALAXY_DATA_DIR": str(data_dir),
        "GALAXY_LOG_LEVEL": "WARNING",
        "GALAXY_API__RATE_LIMIT_PER_MINUTE": "0",
        "GALAXY_LLM__MODE": "extractive",
    }
    galaxy = [sys.executable, "-m", "cli.main"]
    subprocess.run(
        [*galaxy, "ingest", str(ROOT / "corpus"), "--if-missing"], env=env, cwd=ROOT, check=True, capture_output=True
    )
    from tests.conftest import free_port, wait_until_ok

    port = free_port()
    server = subprocess.Popen(
        [*galaxy, "serve", "--port", str(port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ok(f"{url}/readyz", proc=server)
        results = [
            asyncio.run(run_phase(url, server.pid, args.clients, args.seconds, stream, not args.repeat))
            for stream in (False, True)
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    with sqlite3.connect(data_dir / "feedback.sqlite3") as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM feedback")}
    for r in results:
        acked = r.pop("feedback_acked")
        r["feedback_acked"] = len(acked)
        r["feedback_lost"] = len(set(acked) - stored)
    print(
        f"{'mode':<7}{'req':>7}{'rps':>7}{'p50':>7}{'p95':>7}{'p99':>7}{'err':>8}{'5xx':>5}"
        f"{'rss0':>7}{'rss1':>7}{'fb lost':>9}{'ok rps':>8}{'ok p95':>8}{'503':>6}"
    )
    for r in results:
        print(
            f"{r['mode']:<7}{r['requests']:>7}{r['throughput_rps']:>7}{r['p50_ms']:>7}{r['p95_ms']:>7}"
            f"{r['p99_ms']:>7}{r['error_rate']:>8}{r['server_5xx']:>5}{r['rss_first20_mb']:>7}"
            f"{r['rss_last20_mb']:>7}{r['feedback_lost']:>9}{r['answered_rps']:>8}{r['answered_p95_ms']:>8}"
            f"{r['shed_503']:>6}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
