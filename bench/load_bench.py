"""Load benchmark: N concurrent clients ask questions against `galaxy serve` on loopback (extractive backend).

Bounded in time and count; traffic goes only to loopback (127.0.0.0/8). Reports throughput, p50/p95/p99 latency,
error rate, and the server's resident memory over time (first vs last 20 s), for plain JSON answers and for streamed
ones. Every client also posts feedback; the benchmark checks that every acknowledged feedback row was stored.
A shed request (503) waits its Retry-After before asking again, as the widget would; latency percentiles
are reported for all requests and for answered (200) ones. The default run turns the rate limit off.

`--mixed` measures fairness instead, with the server's default rate limit and shedding settings: 20 normal clients
(each from its own loopback address, unique ordinary questions, a small think time) alone, then the same 20 plus one
abusive client (its own address, 127.0.0.2, ~2,000-character questions as fast as it can, no think time, in a
process of its own so that it does not slow the normal clients' event loop). It reports, for each run, the normal
clients' p50/p95 and 5xx count, the abusive client's accepted/429/503 counts, and p95(mixed) / p95(alone).

Usage: python bench/load_bench.py [--clients 50] [--seconds 60] [--data-dir DIR] [--repeat] [--json OUT]
       python bench/load_bench.py --mixed [--clients 20] [--seconds 30] [--think 1.0] [--json OUT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
#: The abusive client's address in `--mixed` (later rounds: 127.0.0.11, .12...); the normal clients' are 127.0.1.x
#: (alone) and 127.0.2.x (mixed), then 127.0.3.x and 127.0.4.x..., so that no run inherits another's rate limit
#: windows.
ABUSER_ADDRESS = "127.0.0.2"


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds `pid` has used so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds every process on the machine has used so far (all cores): with `cpu_s`, it tells whether
    something other than the server and the benchmark ran meanwhile."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


async def run_phase(
    url: str,
    pid: int,
    clients: int,
    seconds: float,
    stream: bool,
    unique: bool,
    *,
    think_s: float = 0.0,
    addresses: list[str] | None = None,
    tag: str = "",
) -> dict:
    """`clients` clients asking for `seconds`; with `think_s`, each starts at a random moment within it and waits
    `think_s` (+-50 %) between questions. Client i asks from `addresses[i]` when given (its own rate limit identity);
    `tag` keeps unique questions unique across runs on one server."""
    latencies: list[float] = []
    ok_latencies: list[float] = []  # answered (200) only: shed requests (503) are fast and would flatter p95
    statuses: dict[int, int] = {}
    acked_feedback: list[int] = []
    memory: list[tuple[float, float]] = []
    started = time.monotonic()
    deadline = started + seconds
    cpu0, busy0, bench0 = cpu_s(pid), machine_busy_s(), cpu_s(os.getpid())
    count = 0

    async def client(i: int) -> None:
        nonlocal count
        transport = httpx.AsyncHTTPTransport(local_address=addresses[i]) if addresses else None
        rng = random.Random(i)
        async with httpx.AsyncClient(base_url=url, timeout=30, transport=transport) as http:
            if think_s:  # people arrive one by one, not all in the same millisecond
                await asyncio.sleep(rng.uniform(0, think_s))
            n = 0
            while time.monotonic() < deadline and count < MAX_REQUESTS:
                count += 1
                n += 1
                question = QUESTIONS[(i + n) % len(QUESTIONS)]
                if unique:  # defeat the query-embedding cache: every request embeds its question
                    question = f"{question} ({tag}client {i}, request {n})"
                t0 = time.monotonic()
                try:
                    if stream:
                        async with http.stream("POST", "/v1/ask", json={"question": question, "stream": True}) as r:
                            async for _ in r.aiter_bytes():
                                pass
                            status = r.status_code
                            retry_after = r.headers.get("retry-after")
                        elapsed = time.monotonic() - t0
                    else:
                        r = await http.post("/v1/ask", json={"question": question})
                        elapsed = time.monotonic() - t0  # the answer only, not the feedback posted after it
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
                    status, retry_after, elapsed = 0, None, time.monotonic() - t0
                latencies.append(elapsed)
                if status == 200:
                    ok_latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
                if status in (429, 503) and retry_after and retry_after.isdigit():  # back off as a browser would
                    await asyncio.sleep(min(int(retry_after), 5))
                elif think_s:
                    await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))

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
        "think_s": think_s,
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
        "rate_limited_429": statuses.get(429, 0),
        "statuses": statuses,
        "server_5xx": sum(v for k, v in statuses.items() if k >= 500),
        "server_cpu_s": round(cpu_s(pid) - cpu0, 1),
        "bench_cpu_s": round(cpu_s(os.getpid()) - bench0, 1),
        "machine_cpu_s": round(machine_busy_s() - busy0, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "rss_first20_mb": round(max(first, default=0), 1),
        "rss_last20_mb": round(max(last, default=0), 1),
        "rss_peak_mb": round(max((m for _, m in memory), default=0), 1),
        "feedback_acked": acked_feedback,
    }


def long_question(n: int, chars: int) -> str:
    """A unique question of exactly `chars` characters (ordinary words, so it is answered like any other)."""
    head = f"Request {n}: "
    body = " ".join(QUESTIONS[(n + k) % len(QUESTIONS)] for k in range(chars // 20 + 1))
    return (head + body)[:chars]


def abuser(url: str, address: str, seconds: float, chars: int, connections: int, nice: int, ready, go, results) -> None:
    """The abusive client, in a process of its own: `connections` loops posting long questions back to back from
    `address` for `seconds`, ignoring Retry-After. Puts {"statuses", "requests", "cpu_s", ...} on `results`.
    `nice` > 0 lowers its CPU priority: on one machine it otherwise takes CPU from the server, which an abusive
    client elsewhere on the network could not do."""
    import threading

    if nice:
        os.nice(nice)

    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(10**9))
    ready.set()
    go.wait()
    started = time.monotonic()
    deadline = started + seconds

    def loop() -> None:
        with httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address=address)) as http:
            while time.monotonic() < deadline:
                try:
                    status = http.post("/v1/ask", json={"question": long_question(next(counter), chars)}).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = os.times()
    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    results.put(
        {
            "address": address,
            "question_chars": chars,
            "connections": connections,
            "nice": nice,
            "requests": total,
            "rps": round(total / elapsed, 1),
            "accepted_200": statuses.get(200, 0),
            "rate_limited_429": statuses.get(429, 0),
            "shed_503": statuses.get(503, 0),
            "statuses": statuses,
            "cpu_s": round(times.user + times.system, 1),
        }
    )


def server_env(data_dir: Path, *, rate_limit: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "GALAXY_DATA_DIR": str(data_dir),
        "GALAXY_LOG_LEVEL": "WARNING",
        "GALAXY_LLM__MODE": "extractive",
    }
    if rate_limit:  # the server's own defaults (api.security, ApiSettings): whatever the environment says
        for name in [k for k in env if k.startswith("GALAXY_API__")]:
            del env[name]
    else:
        env["GALAXY_API__RATE_LIMIT_PER_MINUTE"] = "0"
    return env


@contextmanager
def galaxy_server(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen]]:
    """`galaxy serve` on a free loopback port over the corpus (ingested once); yields (url, process)."""
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
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def check_feedback(data_dir: Path, results: list[dict]) -> None:
    """Every acknowledged feedback row is in the database (replaces the ids by counts)."""
    with sqlite3.connect(data_dir / "galaxy.sqlite3") as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM feedback")}
    for r in results:
        acked = r.pop("feedback_acked")
        r["feedback_acked"] = len(acked)
        r["feedback_lost"] = len(set(acked) - stored)


def warm_up(args: argparse.Namespace, url: str, pid: int) -> None:
    """The normal load for a while first, from addresses no run uses: the first seconds of a fresh server are
    slower (first calls, caches), and would flatter whichever run came after them."""
    asyncio.run(
        run_phase(
            url,
            pid,
            args.clients or 20,
            args.warm_up,
            False,
            True,
            think_s=args.think,
            addresses=[f"127.0.200.{i + 1}" for i in range(args.clients or 20)],
            tag="warm-up, ",
        )
    )


def normal_run(args: argparse.Namespace, url: str, pid: int, name: str, block: int) -> dict:
    """The normal clients for one run, from 127.0.<block>.x: a block of addresses per run, so that no run
    inherits another's rate limit windows."""
    clients = args.clients or 20
    phase = run_phase(
        url,
        pid,
        clients,
        args.seconds or 30,
        False,
        True,
        think_s=args.think,
        addresses=[f"127.0.{block}.{i + 1}" for i in range(clients)],
        tag=f"{name} {block}, ",
    )
    return asyncio.run(phase)


def mixed(args: argparse.Namespace, data_dir: Path) -> list[dict]:
    """`args.rounds` times: the normal clients alone, then with the abusive client, on one server."""
    seconds = args.seconds or 30
    results: list[dict] = []
    ctx = multiprocessing.get_context("spawn")
    with galaxy_server(server_env(data_dir, rate_limit=True)) as (url, server):
        warm_up(args, url, server.pid)
        for round_ in range(args.rounds):
            alone = normal_run(args, url, server.pid, "alone", 2 * round_ + 1)
            results.append({"run": "alone", "round": round_ + 1, **alone, "abuser": None})
            ready, go, queue = ctx.Event(), ctx.Event(), ctx.Queue()
            options = (args.abuser_chars, args.abuser_connections, args.abuser_nice)
            # A fresh identity each round, so that no round inherits the last one's rate limit window.
            address = ABUSER_ADDRESS if round_ == 0 else f"127.0.0.{10 + round_}"
            proc = ctx.Process(target=abuser, args=(url, address, seconds, *options, ready, go, queue))
            proc.start()
            ready.wait(60)
            go.set()
            both = normal_run(args, url, server.pid, "mixed", 2 * round_ + 2)
            abuse = queue.get(timeout=120)
            proc.join(timeout=30)
            results.append({"run": "mixed", "round": round_ + 1, **both, "abuser": abuse})
    check_feedback(data_dir, results)
    for r in results:
        own = r["server_cpu_s"] + r["bench_cpu_s"] + ((r["abuser"] or {}).get("cpu_s") or 0)
        r["other_cpu_s"] = round(max(0.0, r["machine_cpu_s"] - own), 1)
    return results


def print_mixed(results: list[dict]) -> None:
    print(
        f"{'run':<9}{'clients':>8}{'req':>6}{'p50':>6}{'p95':>6}{'ok p95':>8}{'5xx':>5}{'429':>5}{'srv cpu':>8}"
        f"{'other':>7} | {'abuser req':>10}{'200':>5}{'429':>7}{'503':>5}{'rps':>7}"
    )
    for r in results:
        a = r["abuser"] or {}
        print(
            f"{r['run'] + ' ' + str(r['round']):<9}{r['clients'] + (1 if a else 0):>8}{r['requests']:>6}"
            f"{r['p50_ms']:>6}{r['p95_ms']:>6}{r['answered_p95_ms']:>8}{r['server_5xx']:>5}{r['rate_limited_429']:>5}"
            f"{r['server_cpu_s']:>8}{r['other_cpu_s']:>7} | {a.get('requests', '-'):>10}{a.get('accepted_200', '-'):>5}"
            f"{a.get('rate_limited_429', '-'):>7}{a.get('shed_503', '-'):>5}{a.get('rps', '-'):>7}"
        )
    print("srv cpu: the server's CPU seconds in the run; other: CPU seconds used by other processes on the machine.")
    for alone, both in zip(results[::2], results[1::2], strict=True):
        abuse = both["abuser"]
        extra_cpu = both["server_cpu_s"] - alone["server_cpu_s"]
        ratio = both["p95_ms"] / max(1, alone["p95_ms"])
        print(
            f"round {alone['round']}: p95(mixed) / p95(alone) = {ratio:.2f} (goal <= 1.5: "
            f"{'met' if ratio <= 1.5 else 'NOT met'}); abusive client {abuse['rps']} requests/s over "
            f"{abuse['connections']} connection(s), nice {abuse['nice']}, {abuse['cpu_s']} CPU s of its own; "
            f"server CPU {extra_cpu:+.1f} s over the run alone"
        )
    if len(results) > 2:
        p95 = {run: sorted(r["p95_ms"] for r in results if r["run"] == run) for run in ("alone", "mixed")}
        medians = {run: values[len(values) // 2] for run, values in p95.items()}
        print(
            f"median p95: alone {medians['alone']} ms, mixed {medians['mixed']} ms, "
            f"ratio {medians['mixed'] / max(1, medians['alone']):.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, help="Concurrent (normal) clients: 50, or 20 with --mixed.")
    parser.add_argument("--seconds", type=float, help="Seconds per run: 60, or 30 with --mixed.")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--repeat",
        action="store_true",
        help="Ask the same 10 questions over and over (query embeddings cached) instead of unique ones.",
    )
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="Fairness: normal clients alone, then with one abusive client (the server's default rate limit and "
        "shedding).",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=2.0,
        help="--mixed: normal clients' mean think time, seconds (2: about 30 requests a minute each, within the "
        "default rate limit of 60 with the feedback they post).",
    )
    parser.add_argument("--abuser-chars", type=int, default=2000, help="--mixed: the abusive client's question size.")
    parser.add_argument(
        "--abuser-connections", type=int, default=1, help="--mixed: the abusive client's parallel connections."
    )
    parser.add_argument(
        "--abuser-nice", type=int, default=0, help="--mixed: the abusive client's nice value (0: same priority)."
    )
    parser.add_argument("--warm-up", type=float, default=15, help="--mixed: seconds of normal load first, unmeasured.")
    parser.add_argument(
        "--rounds", type=int, default=1, help="--mixed: alone-then-mixed pairs to run (the machine's noise shows)."
    )
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="galaxy-load-"))
    if args.mixed:
        results = mixed(args, data_dir)
        print_mixed(results)
    else:
        with galaxy_server(server_env(data_dir, rate_limit=False)) as (url, server):
            clients, seconds = args.clients or 50, args.seconds or 60
            results = [
                asyncio.run(run_phase(url, server.pid, clients, seconds, stream, not args.repeat))
                for stream in (False, True)
            ]
        check_feedback(data_dir, results)
        print_plain(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def print_plain(results: list[dict]) -> None:
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


if __name__ == "__main__":
    main()
