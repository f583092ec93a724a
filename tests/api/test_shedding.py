"""Load shedding: beyond the in-flight and queue limits, question requests get 503 with Retry-After at once,
the admitted ones still succeed, and health checks are never shed."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import httpx
import pytest

from tests.api.conftest import serve, with_api


class BlockedEngine:
    """The real engine, except that each answer stops (after its first streamed event) until `gate` opens."""

    def __init__(self, engine):
        self.engine = engine
        self.gate = threading.Event()
        self.entered = threading.Event()

    def __getattr__(self, name):
        return getattr(self.engine, name)

    def ask(self, **kwargs):
        self.entered.set()
        self.gate.wait(30)
        return self.engine.ask(**kwargs)

    def stream(self, **kwargs):
        events = self.engine.stream(**kwargs)
        yield next(events)
        self.entered.set()
        self.gate.wait(30)
        yield from events


def post_ask(url: str, question: str, stream: bool = False) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=60) as http:
        return http.post("/v1/ask", json={"question": question, "stream": stream})


@pytest.mark.parametrize("first_streams", [False, True], ids=["json", "streaming"])
def test_requests_beyond_the_limits_are_shed_with_retry_after(sandbox_services, first_streams):
    engine = BlockedEngine(sandbox_services.engine)
    services = dataclasses.replace(
        with_api(sandbox_services, rate_limit_per_minute=0, max_concurrent_questions=1, max_queued_questions=1),
        engine=engine,
    )
    with serve(services) as server, ThreadPoolExecutor(4) as pool:
        try:
            first = pool.submit(post_ask, server.url, "solar water kiosks", first_streams)
            assert engine.entered.wait(30), "the first request never reached the engine"
            # One of these two waits in the queue; the other finds the queue full.
            others = [pool.submit(post_ask, server.url, f"fish smoking ovens {i}") for i in range(2)]
            done, _ = wait(others, timeout=30, return_when=FIRST_COMPLETED)
            assert len(done) == 1, "nothing was shed while the engine was blocked"
            shed = done.pop().result()
            assert shed.status_code == 503
            assert shed.headers["retry-after"].isdigit() and int(shed.headers["retry-after"]) >= 1
            assert shed.json()["reason"] == "busy" and shed.json()["detail"]
            assert not first.done()

            for path in ("/healthz", "/readyz"):
                assert httpx.get(f"{server.url}{path}", timeout=5).status_code == 200
        finally:
            engine.gate.set()
        admitted = [first.result(), *(f.result() for f in others if f.result().status_code != 503)]
        assert [r.status_code for r in admitted] == [200, 200]
        assert "final" in admitted[0].text if first_streams else admitted[0].json()["answer_id"]
        assert admitted[1].json()["answer_id"]

        # Once the load is gone, questions are admitted again.
        assert post_ask(server.url, "zai planting pits").status_code == 200
