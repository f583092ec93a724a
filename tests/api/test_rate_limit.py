"""Fair use: the `limits` library's moving window per client, priced by question length, keyed apart by a valid
API key, in memory or in a real Redis (Debian's redis-server, started here on loopback) shared by two servers; a bad
or unreachable Redis URL stops `galaxy serve` with one clear line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import pytest

from api.security import HOLD_S, FairUse, _storage_uri, check_rate_limit_storage, request_cost
from assistant.errors import ConfigurationError, MissingExtraError
from assistant.settings import ApiSettings
from tests.api.conftest import serve, with_api
from tests.conftest import ROOT, free_port
from tests.real_servers import redis_server

DOC = "/v1/documents/sol-ken-water-kiosks"


def client_from(address: str, base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), timeout=60)


def test_a_long_question_costs_more():
    assert request_cost(b'{"question": "water kiosks"}') == request_cost(('{"need": "%s"}' % ("x" * 49)).encode()) == 1
    # Priced as the work measured (bench/load_bench.py --mixed): a 2,000-character question takes about 40 times an
    # ordinary one to answer.
    assert request_cost(('{"question": "%s"}' % ("x" * 1999)).encode()) == 40
    assert request_cost(('{"query": "%s"}' % ("x" * 2000)).encode()) == 41
    assert request_cost(b"not json") == request_cost(b"[1]") == request_cost(b"") == 1


def test_the_moving_window_counts_each_identity_apart():
    async def run() -> None:
        fair = FairUse(per_minute=5)
        assert [await fair.spend("a") for _ in range(5)] == [0.0] * 5
        wait = await fair.spend("a")
        assert 1 <= wait <= 60
        assert await fair.spend("b", cost=5) == 0.0  # another client
        assert await fair.spend("c", cost=50) == 0.0  # a cost above the quota is capped at it, not refused forever
        assert await fair.spend("c") > 0

    asyncio.run(run())


def test_long_questions_spend_the_quota_faster(sandbox_services):
    with serve(with_api(sandbox_services, rate_limit_per_minute=6)) as server:
        with client_from("127.0.0.3", server.url) as long_asker:
            long = [long_asker.post("/v1/search", json={"query": "water " * 333}).status_code for _ in range(2)]
        with client_from("127.0.0.4", server.url) as short_asker:
            short = [short_asker.post("/v1/search", json={"query": "water"}).status_code for _ in range(6)]
    assert long == [200, 429]  # 1999 characters: 40 units, capped at the whole quota of 6
    assert short == [200] * 6


def test_a_client_that_keeps_asking_when_refused_is_slowed_down(sandbox_services):
    from concurrent.futures import ThreadPoolExecutor

    def timed(client: httpx.Client) -> tuple[int, float]:
        started = time.monotonic()
        return client.get(DOC).status_code, time.monotonic() - started

    with serve(with_api(sandbox_services, rate_limit_per_minute=1)) as server:
        with client_from("127.0.0.5", server.url) as flooder, client_from("127.0.0.5", server.url) as second:
            first = [timed(flooder) for _ in range(3)]
            assert [status for status, _ in first] == [200, 429, 429] and all(t < 0.5 for _, t in first[1:])
            with ThreadPoolExecutor(2) as pool:  # the third refusal in a row is held; another meanwhile is not
                held = pool.submit(timed, flooder)
                time.sleep(0.2)
                meanwhile = pool.submit(timed, second).result()
                assert meanwhile[0] == 429 and meanwhile[1] < 0.5
                assert held.result()[0] == 429 and held.result()[1] >= HOLD_S * 0.9
        with client_from("127.0.0.6", server.url) as other:  # nobody else is slowed
            status, took = timed(other)
            assert status == 200 and took < 0.5


def test_a_wrong_key_spends_only_its_senders_quota(sandbox_services):
    services = with_api(sandbox_services, rate_limit_per_minute=3, public_key="pk-right-key")
    with (
        serve(services) as server,
        client_from("127.0.0.3", server.url) as attacker,
        client_from("127.0.0.4", server.url) as other,
    ):
        wrong = [attacker.get(DOC, headers={"X-API-Key": f"guess-{i}"}).status_code for i in range(5)]
        assert wrong == [401, 401, 401, 429, 429]
        assert attacker.get(DOC).status_code == 429  # no key: the same address's own bucket
        # The right key, from the same address or another, is counted apart and still served.
        assert attacker.get(DOC, headers={"X-API-Key": "pk-right-key"}).status_code == 200
        assert attacker.get(DOC, params={"key": "pk-right-key"}).status_code == 200
        assert [other.get(DOC, headers={"X-API-Key": "pk-right-key"}).status_code for _ in range(3)] == [200] * 3


def test_storage_settings():
    assert _storage_uri("") == ("async+memory://", {})
    assert _storage_uri("redis://127.0.0.1:6379/0")[0] == "async+redis://127.0.0.1:6379/0"
    with pytest.raises(ConfigurationError, match="Unsupported rate limit storage"):
        _storage_uri("memcached://127.0.0.1")


def test_redis_storage_without_the_client_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)  # as if the package were absent
    with pytest.raises(MissingExtraError, match=r"galaxy-assistant\[redis\]"):
        FairUse(per_minute=5, storage="redis://127.0.0.1:6379")


def test_a_redis_outage_lets_requests_through():
    pytest.importorskip("redis")

    async def run() -> list[float]:
        fair = FairUse(per_minute=1, storage=f"redis://127.0.0.1:{free_port()}")  # nothing listens there
        return [await fair.spend("a"), await fair.spend("a")]

    assert asyncio.run(run()) == [0.0, 0.0]


@pytest.fixture
def redis_url(tmp_path):
    with redis_server(tmp_path) as url:
        yield url


def test_two_servers_share_the_limit_through_redis(sandbox_services, redis_url):
    services = with_api(sandbox_services, rate_limit_per_minute=3, rate_limit_storage=redis_url)
    with serve(services) as one, serve(services) as two:
        with client_from("127.0.0.3", one.url) as a, client_from("127.0.0.3", two.url) as b:
            seen = [a.get(DOC).status_code, b.get(DOC).status_code, a.get(DOC).status_code]
            assert seen == [200, 200, 200]
            assert b.get(DOC).status_code == 429 and a.get(DOC).status_code == 429
        with client_from("127.0.0.4", two.url) as other:
            assert other.get(DOC).status_code == 200


def galaxy_serve(data_dir, storage: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GALAXY_")}
    env |= {"GALAXY_DATA_DIR": str(data_dir), "GALAXY_API__RATE_LIMIT_STORAGE": storage}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,  # a server that started after all would be killed here, and the test would fail
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("storage", "says"),
    [
        ("redis://127.0.0.1:{port}/0", "cannot be reached: Error 111 connecting to 127.0.0.1:{port}"),
        ("redis://nonsense host", "is not a usable Redis URL (redis://nonsense host): Missing host or port"),
    ],
)
def test_a_bad_redis_url_stops_serve_with_one_clear_line(tmp_path, storage, says):
    pytest.importorskip("redis")
    port = free_port()  # nothing listens there
    done = galaxy_serve(tmp_path / "data", storage.format(port=port))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "╭" not in done.stderr  # neither Python's nor rich's
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and says.format(port=port) in lines[0], done.stderr
    assert "GALAXY_API__RATE_LIMIT_STORAGE" in lines[0]


def test_the_start_up_check_hides_the_password_and_passes_a_running_redis(redis_url):
    port = free_port()
    with pytest.raises(ConfigurationError) as caught:
        check_rate_limit_storage(ApiSettings(rate_limit_storage=f"redis://:hunter22@127.0.0.1:{port}/0"), wait_s=0.5)
    assert (
        "hunter22" not in caught.value.user_message and f"redis://***@127.0.0.1:{port}/0" in caught.value.user_message
    )
    check_rate_limit_storage(ApiSettings(rate_limit_storage=redis_url))  # it answers: no error
    # No rate limit, or counters in memory: there is nothing to reach.
    check_rate_limit_storage(ApiSettings(rate_limit_storage=f"redis://127.0.0.1:{port}/0", rate_limit_per_minute=0))
    check_rate_limit_storage(ApiSettings(rate_limit_storage=""))


def test_only_the_start_of_a_long_question_is_embedded(tmp_path):
    from assistant.knowledge.embeddings import CachedEmbedding
    from assistant.knowledge.encoders import QUERY_WINDOW_CHARS, EmbeddingCache

    seen: list[str] = []

    class Recording:
        model_name = "recording"
        dim = 2

        def embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
            seen.extend(texts)
            return [[1.0, 0.0] for _ in texts]

    cached = CachedEmbedding(Recording(), EmbeddingCache(tmp_path / "cache.sqlite3"))
    cached.get_query_embedding("water " * 1000)
    cached.get_query_embedding("water kiosks")
    assert [len(q) for q in seen] == [QUERY_WINDOW_CHARS, len("water kiosks")]
