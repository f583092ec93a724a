"""The HTTP API against a real uvicorn server on loopback, with httpx as the client."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import uuid

import httpx
import pytest

from assistant.errors import StoreUnavailable
from tests.api.conftest import serve, with_api
from tests.fakes.openai_server import FakeOpenAI


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def session() -> str:
    return uuid.uuid4().hex


# -- answers ------------------------------------------------------------------------------------------------
def test_ask_answers_with_citations_and_keeps_the_conversation(client):
    # A made-up id is not this server's: the conversation starts under an id the server issues.
    made_up = session()
    r = client.post(
        "/v1/ask",
        json={"question": "How do container-based toilets work in Kenyan settlements?", "session_id": made_up},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    sid = body["session_id"]
    assert body["grounded"] is True and sid != made_up and body["answer_id"]
    assert body["citations"][0]["doc_id"] == "sol-ken-container-based-sanitation"
    assert body["citations"][0]["url"].startswith("https://")
    assert {"answer", "partners", "language", "related", "note"} <= body.keys()
    follow = client.post("/v1/ask", json={"question": "who could help with it?", "session_id": sid}).json()
    assert follow["session_id"] == sid and follow["answer_id"] != body["answer_id"]


def test_ask_with_filters_only_cites_matching_documents(client):
    r = client.post(
        "/v1/ask",
        json={
            "question": "solar irrigation for market gardens",
            "filters": {"countries": ["Niger"], "kinds": ["solution"]},
        },
    )
    assert r.status_code == 200, r.text
    citations = r.json()["citations"]
    assert citations and all("NER" in c["countries"] and c["kind"] == "solution" for c in citations)


def test_unanswerable_question_is_not_grounded(client):
    body = client.post("/v1/ask", json={"question": "What was the score of yesterday's football final?"}).json()
    assert body["grounded"] is False and body["citations"] == []


@pytest.mark.parametrize("how", ["flag", "accept"])
def test_ask_streams_tokens_then_one_final(client, how):
    payload = {"question": "How do solar water kiosks work in Kenya?"}
    headers = {}
    if how == "flag":
        payload["stream"] = True
    else:
        headers["Accept"] = "text/event-stream"
    with client.stream("POST", "/v1/ask", json=payload, headers=headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        assert r.headers["x-accel-buffering"] == "no"
        assert r.headers["cache-control"] == "no-cache"
        text = r.read().decode()
    events = parse_sse(text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "token" and kinds[-1] == "final" and kinds.count("final") == 1
    final = events[-1][1]
    assert "".join(data["text"] for kind, data in events if kind == "token") == final["answer"]
    assert final["grounded"] and final["citations"] and final["answer_id"]


@pytest.fixture
def llm_services(sandbox_services):
    """The sandbox with an answer engine talking to a scripted OpenAI-compatible server on loopback."""
    from assistant.answers.engine import AnswerEngine
    from assistant.answers.llm import OpenAICompatibleLLM
    from assistant.settings import LLMSettings

    with FakeOpenAI() as fake:
        llm_settings = LLMSettings(mode="openai", base_url=fake.base_url, model="stub", timeout_s=5)
        llm = OpenAICompatibleLLM(fake.base_url, "stub", "", 5)
        engine = AnswerEngine(sandbox_services.retriever, sandbox_services.conversations, llm, llm_settings)
        yield fake, with_api(dataclasses.replace(sandbox_services, engine=engine), rate_limit_per_minute=0)


def test_generated_answer_streams_sentence_by_sentence(llm_services):
    fake, services = llm_services
    fake.reply = (
        "Community kiosks sell treated drinking water pumped with solar panels [1]. Kiosks were built on the Moon [1]."
    )
    with serve(services) as server:
        r = httpx.post(f"{server.url}/v1/ask", json={"question": "solar water kiosks", "stream": True}, timeout=30)
    events = parse_sse(r.text)
    tokens = [data["text"] for kind, data in events if kind == "token"]
    # only checked sentences are streamed (the unsupported one never shows), and they are the final answer
    assert tokens and events[-1][0] == "final" and "".join(tokens) == events[-1][1]["answer"]
    assert "Moon" not in "".join(tokens)
    assert events[-1][1]["mode"] == "llm:openai:stub" and "kiosks" in events[-1][1]["answer"]


def test_unsupported_generation_is_replaced_with_a_reset_event(llm_services):
    fake, services = llm_services
    fake.reply = "Everything is great."
    with serve(services) as server:
        r = httpx.post(f"{server.url}/v1/ask", json={"question": "solar water kiosks", "stream": True}, timeout=30)
    events = parse_sse(r.text)
    kinds = [kind for kind, _ in events]
    assert "reset" in kinds and kinds[-1] == "final"
    reset_text = next(data["text"] for kind, data in events if kind == "reset")
    assert reset_text == events[-1][1]["answer"] and "Everything is great" not in reset_text


# -- search, partners, documents ----------------------------------------------------------------------------
def test_search_returns_hits_and_respects_filters(client):
    r = client.post("/v1/search", json={"query": "fish smoking ovens", "k": 3, "filters": {"countries": ["SEN"]}})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert 1 <= len(hits) <= 3
    assert hits[0]["doc_id"] == "sol-sen-improved-fish-smoking-ovens"
    assert all("SEN" in h["countries"] for h in hits)
    assert set(hits[0]) == {"doc_id", "title", "kind", "countries", "sdgs", "score", "snippet", "url", "place_match"}


def test_partners_suggests_organisations_for_a_need(client):
    r = client.post("/v1/partners", json={"need": "solar irrigation for market gardens", "country": "Mali", "k": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert 1 <= len(body["partners"]) <= 3 and body["funding"] == []
    assert all(p["name"] and p["reason"] and p["citations"] for p in body["partners"])
    funded = client.post("/v1/partners", json={"need": "grants for solar irrigation"}).json()
    assert funded["funding"]


def test_document_by_id_and_unknown_id(client):
    r = client.get("/v1/documents/sol-per-fog-catchers-water")
    assert r.status_code == 200
    doc = r.json()
    assert doc["id"] == "sol-per-fog-catchers-water" and doc["body"] and "source" not in doc
    missing = client.get("/v1/documents/no-such-doc")
    assert missing.status_code == 404 and missing.json()["detail"]


# -- feedback and submissions -------------------------------------------------------------------------------
def test_feedback_is_stored(client, corpus_server):
    answer = client.post("/v1/ask", json={"question": "How do solar water kiosks work in Kenya?"}).json()
    r = client.post(
        "/v1/feedback",
        json={
            "session_id": answer["session_id"],
            "answer_id": answer["answer_id"],
            "rating": "down",
            "comment": "Too short",
        },
    )
    assert r.status_code == 201
    stored = {f.id: f for f in corpus_server.services.feedback.list()}[r.json()["id"]]
    assert (stored.answer_id, stored.rating, stored.comment, stored.source) == (
        answer["answer_id"],
        "down",
        "Too short",
        "api",
    )


def test_submission_waits_for_moderation(client, corpus_server):
    r = client.post(
        "/v1/submissions",
        json={
            "title": "Bicycle-powered grain mills",
            "summary": "Pedal mills grind maize for village cooperatives.",
            "countries": ["Malawi"],
            "sdgs": [2, "SDG 7"],
            "contact": "mills@example.org",
        },
    )
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending"
    stored = corpus_server.services.submissions.get(r.json()["id"])
    assert stored.countries == ["MWI"] and stored.sdgs == [2, 7] and stored.source == "api"
    bad = client.post("/v1/submissions", json={"title": "Hi", "summary": "x"})
    assert bad.status_code == 422 and isinstance(bad.json()["detail"], str)


# -- refusals: every one a clean 4xx with a JSON reason ----------------------------------------------------
@pytest.mark.parametrize(
    "path, payload",
    [
        ("/v1/ask", {"question": ""}),
        ("/v1/ask", {"question": "   "}),
        ("/v1/ask", {"question": "x" * 2001}),
        ("/v1/ask", {}),
        ("/v1/ask", {"question": "water", "session_id": "../../etc"}),
        ("/v1/ask", {"question": "water", "questoin": "typo"}),
        ("/v1/ask", {"question": "water", "filters": {"countries": ["Narnia"]}}),
        ("/v1/ask", {"question": "water", "filters": {"region": "Middle Earth"}}),
        ("/v1/ask", {"question": "water", "filters": {"sdgs": [18]}}),
        ("/v1/ask", {"question": ["a", "list"]}),
        ("/v1/search", {"query": "water", "k": 0}),
        ("/v1/search", {"query": "water", "k": 51}),
        ("/v1/partners", {"need": "water", "country": "Atlantis"}),
        ("/v1/partners", {"need": "water", "k": 21}),
        ("/v1/feedback", {"session_id": "s1", "answer_id": "a1", "rating": "meh"}),
        ("/v1/feedback", {"session_id": "s1", "answer_id": "a1", "rating": "up", "comment": "x" * 2001}),
        ("/v1/submissions", {"title": "A good title", "summary": "Long enough summary text here", "url": "ftp://x"}),
    ],
)
def test_invalid_requests_get_422_with_a_reason(client, path, payload):
    r = client.post(path, json=payload)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_question_length_limit_follows_the_settings(corpus_services):
    with serve(with_api(corpus_services, max_question_chars=20, rate_limit_per_minute=0)) as server:
        assert httpx.post(f"{server.url}/v1/ask", json={"question": "x" * 21}).status_code == 422
        schema = httpx.get(f"{server.url}/openapi.json").json()
    assert schema["components"]["schemas"]["AskRequest"]["properties"]["question"]["maxLength"] == 20


@pytest.mark.parametrize(
    "content, content_type, status",
    [
        (b'{"question": "water"', "application/json", 400),
        (b"not json at all", "application/json", 400),
        (b'{"question": "\xff\xfe water"}', "application/json", 400),
        (b'{"question": "water"}', "text/plain", 415),
        (b"question=water", "application/x-www-form-urlencoded", 415),
        (("[" * 20000 + "]" * 20000).encode(), "application/json", 400),
        (
            ('{"question": "water", "filters": ' + '{"a": ' * 500 + "1" + "}" * 500 + "}").encode(),
            "application/json",
            422,
        ),
    ],
)
def test_malformed_bodies_are_refused_cleanly(client, content, content_type, status):
    r = client.post("/v1/ask", content=content, headers={"Content-Type": content_type})
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json" and r.json()["detail"]


def test_oversized_bodies_get_413_with_or_without_content_length(client):
    big = json.dumps({"question": "water", "comment": "x" * 70_000}).encode()
    r = client.post("/v1/ask", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "larger" in r.json()["detail"]

    def chunked():  # a generator makes httpx send Transfer-Encoding: chunked, no Content-Length
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    r = client.post("/v1/ask", content=chunked(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_unknown_routes_and_methods_are_json_4xx(client):
    assert client.get("/v1/nothing-here").status_code == 404
    r = client.get("/v1/ask")
    assert r.status_code == 405 and r.json()["detail"]


# -- failures inside the services --------------------------------------------------------------------------
class Failing:
    def __init__(self, exc: Exception):
        self.exc = exc

    def search(self, *args, **kwargs):
        raise self.exc

    suggest = search

    def stream(self, *args, **kwargs):
        yield "token", "The first words"
        raise self.exc


def test_store_unavailable_is_503_with_retry_after(sandbox_services):
    broken = dataclasses.replace(sandbox_services, retriever=Failing(StoreUnavailable("chroma down")))
    with serve(with_api(broken, rate_limit_per_minute=0)) as server:
        r = httpx.post(f"{server.url}/v1/search", json={"query": "water"})
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json()["detail"] == StoreUnavailable().user_message and "chroma" not in r.text


def test_unexpected_errors_are_500_without_details(sandbox_services, caplog):
    broken = dataclasses.replace(sandbox_services, partners=Failing(KeyError("secret internal state")))
    with serve(with_api(broken, rate_limit_per_minute=0)) as server:
        r = httpx.post(f"{server.url}/v1/partners", json={"need": "water"})
    assert r.status_code == 500
    assert "secret" not in r.text and "Traceback" not in r.text and r.json()["detail"]
    assert any(rec.exc_info and "secret internal state" in str(rec.exc_info[1]) for rec in caplog.records)


def test_failure_midway_through_a_stream_ends_with_an_error_event(sandbox_services):
    broken = dataclasses.replace(sandbox_services, engine=Failing(StoreUnavailable("chroma down")))
    with serve(with_api(broken, rate_limit_per_minute=0)) as server:
        r = httpx.post(f"{server.url}/v1/ask", json={"question": "water", "stream": True})
    events = parse_sse(r.text)
    assert events[0] == ("token", {"text": "The first words"})
    assert events[-1] == ("error", {"detail": StoreUnavailable().user_message})


def test_readiness_follows_the_store(sandbox_services):
    with serve(with_api(sandbox_services, rate_limit_per_minute=0)) as server:
        ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["documents"] >= 4 and ready.json()["chunks"] >= ready.json()["documents"]

    class DownStore:
        def count_chunks(self):
            raise StoreUnavailable("connection refused")

    kb = dataclasses.replace(sandbox_services.kb, store=DownStore())
    with serve(dataclasses.replace(sandbox_services, kb=kb)) as server:
        down = httpx.get(f"{server.url}/readyz")
        health = httpx.get(f"{server.url}/healthz")
    assert down.status_code == 503 and down.headers["retry-after"] and down.json()["detail"]
    assert health.status_code == 200 and health.json() == {"status": "ok"}


def test_slow_answers_do_not_block_other_requests(sandbox_services):
    release = threading.Event()

    class SlowEngine:
        def ask(self, *args, **kwargs):
            release.wait(10)
            raise StoreUnavailable("slow")

    slow = dataclasses.replace(sandbox_services, engine=SlowEngine())
    with serve(with_api(slow, rate_limit_per_minute=0)) as server:
        pending = threading.Thread(
            target=httpx.post, args=(f"{server.url}/v1/ask",), kwargs={"json": {"question": "water"}, "timeout": 20}
        )
        pending.start()
        time.sleep(0.3)
        started = time.monotonic()
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert time.monotonic() - started < 5.0  # the engine is blocked for 10 s
        release.set()
        pending.join()


# -- abuse protection --------------------------------------------------------------------------------------
def test_rate_limit_answers_429_with_retry_after(sandbox_services):
    with (
        serve(with_api(sandbox_services, rate_limit_per_minute=3)) as server,
        httpx.Client(base_url=server.url) as http,
    ):
        statuses = [http.get("/v1/documents/sol-ken-water-kiosks").status_code for _ in range(4)]
        limited = http.get("/v1/documents/sol-ken-water-kiosks")
        assert http.get("/healthz").status_code == 200  # only the API is limited
    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429 and limited.json()["detail"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60  # a one-minute moving window (tests/api/test_rate_limit.py)


def test_public_key_when_configured(sandbox_services):
    services = with_api(sandbox_services, public_key="pk-123", rate_limit_per_minute=0)
    with serve(services) as server, httpx.Client(base_url=server.url) as http:
        doc = "/v1/documents/sol-ken-water-kiosks"
        assert http.get(doc).status_code == 401
        assert http.get(doc, headers={"X-API-Key": "wrong"}).status_code == 401
        assert http.get(doc, headers={"X-API-Key": "pk-123"}).status_code == 200
        assert http.get(doc, params={"key": "pk-123"}).status_code == 200
        assert http.get("/healthz").status_code == 200 and http.get("/widget.js").status_code == 200
        assert 'data-key="pk-123"' in http.get("/").text


def test_admin_endpoints_are_off_without_an_admin_key(client):
    for key in (None, "", "anything"):
        headers = {"X-API-Key": key} if key is not None else {}
        assert client.get("/v1/admin/submissions", headers=headers).status_code == 403
        assert client.post("/v1/admin/submissions/sub-x/approve", headers=headers).status_code == 403


def test_admin_moderates_and_approval_makes_the_solution_searchable(sandbox_services):
    services = with_api(sandbox_services, admin_key="admin-secret", rate_limit_per_minute=0)
    admin = {"X-API-Key": "admin-secret"}
    with serve(services) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/v1/admin/submissions", headers={"X-API-Key": "admin-secre"}).status_code == 403
        query = {"query": "pedal-powered cassava grater cooperative", "k": 3}
        before = http.post("/v1/search", json=query).json()["hits"]
        created = http.post(
            "/v1/submissions",
            json={
                "title": "Pedal-powered cassava graters",
                "countries": ["GHA"],
                "sdgs": [2],
                "summary": "A cooperative builds pedal-powered cassava graters from bicycle parts.",
                "body": "Women's groups in Volta grate cassava with pedal-powered graters built by a local "
                "cooperative from recycled bicycle parts, cutting processing time by half.",
            },
        ).json()
        spam = http.post(
            "/v1/submissions", json={"title": "Cheap watches online", "summary": "Buy cheap watches online today!!!"}
        ).json()
        pending = http.get("/v1/admin/submissions", headers=admin).json()["submissions"]
        assert {created["id"], spam["id"]} <= {s["id"] for s in pending}

        approved = http.post(f"/v1/admin/submissions/{created['id']}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved" and approved.json()["ingest"]["added"] == 1
        rejected = http.post(f"/v1/admin/submissions/{spam['id']}/reject", headers=admin).json()
        assert rejected["status"] == "rejected"
        assert http.post("/v1/admin/submissions/sub-nope/approve", headers=admin).status_code == 404

        after = http.post("/v1/search", json=query).json()["hits"]
        assert created["id"] not in {h["doc_id"] for h in before}
        assert after[0]["doc_id"] == created["id"]
        assert http.get(f"/v1/documents/{created['id']}").json()["countries"] == ["GHA"]
        statuses = {
            s["id"]: s["status"]
            for s in http.get("/v1/admin/submissions", params={"status": "all"}, headers=admin).json()["submissions"]
        }
        assert statuses[created["id"]] == "approved" and statuses[spam["id"]] == "rejected"


def test_admin_lists_feedback(sandbox_services):
    services = with_api(sandbox_services, admin_key="admin-secret", rate_limit_per_minute=0)
    with serve(services) as server, httpx.Client(base_url=server.url) as http:
        answer = http.post("/v1/ask", json={"question": "How do solar water kiosks work?"}).json()
        issued = {"session_id": answer["session_id"], "answer_id": answer["answer_id"]}
        created = http.post("/v1/feedback", json=issued | {"rating": "up"}).json()
        listed = http.get("/v1/admin/feedback", params={"limit": 5}, headers={"X-API-Key": "admin-secret"}).json()
    assert listed["feedback"][0]["id"] == created["id"] and listed["feedback"][0]["source"] == "api"


def test_cors_only_for_configured_origins(client):
    allowed, other = "https://partner.example", "https://evil.example"
    r = client.post("/v1/search", json={"query": "water"}, headers={"Origin": allowed})
    assert r.headers["access-control-allow-origin"] == allowed
    assert (
        "access-control-allow-origin"
        not in client.post("/v1/search", json={"query": "water"}, headers={"Origin": other}).headers
    )
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-api-key"}
    ok = client.options("/v1/ask", headers={"Origin": allowed, **preflight})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == allowed
    assert "x-api-key" in ok.headers["access-control-allow-headers"].lower()
    refused = client.options("/v1/ask", headers={"Origin": other, **preflight})
    assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers


# -- payloads, pages and headers ---------------------------------------------------------------------------
def test_large_responses_are_gzipped(client):
    r = client.post("/v1/search", json={"query": "water", "k": 50}, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) < len(r.content) / 2  # httpx already decompressed `content`


def test_widget_is_small_cached_and_gzipped(client):
    r = client.get("/widget.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["content-encoding"] == "gzip"
    assert int(r.headers["content-length"]) <= 12 * 1024
    assert "max-age" in r.headers["cache-control"] and r.headers["etag"]
    again = client.get("/widget.js", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content


def widget_tag(html: str) -> str:
    return re.search(r'<script src="/widget.js"[^>]*>', html).group(0)


def test_demo_page_embeds_the_widget_under_a_strict_csp(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["x-content-type-options"] == "nosniff"
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "http" not in csp and "*" not in csp and "unsafe" not in csp
    assert "async" in widget_tag(r.text) and "data-lang" not in widget_tag(r.text)
    assert 'data-lang="ar"' in widget_tag(client.get("/", params={"lang": "ar"}).text)
    hostile = client.get("/", params={"lang": '"><script>alert(1)</script>'}).text
    assert "alert(1)" not in hostile and "data-lang" not in widget_tag(hostile)


def test_openapi_documents_the_api(client):
    schema = client.get("/openapi.json").json()
    assert {
        "/v1/ask",
        "/v1/search",
        "/v1/partners",
        "/v1/documents/{doc_id}",
        "/v1/feedback",
        "/v1/submissions",
        "/v1/admin/submissions",
        "/healthz",
        "/readyz",
    } <= set(schema["paths"])
    ask = schema["paths"]["/v1/ask"]["post"]["responses"]
    assert ask["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AskResponse")
    assert "text/event-stream" in ask["200"]["content"]
    assert client.get("/docs").status_code == 200


# -- Telegram webhook --------------------------------------------------------------------------------------
def test_telegram_webhook_checks_the_secret(sandbox_services):
    received, closed = [], []

    class Webhook:
        async def __call__(self, update: dict) -> None:
            received.append(update)

        async def aclose(self) -> None:
            closed.append(True)

    webhook = Webhook()

    settings = sandbox_services.settings
    telegram = type(settings.telegram).model_validate(settings.telegram.model_dump() | {"webhook_secret": "tg-secret"})
    services = dataclasses.replace(sandbox_services, settings=settings.model_copy(update={"telegram": telegram}))
    update = {"update_id": 1, "message": {"text": "hello"}}
    with serve(services, telegram_webhook=webhook) as server:
        url = f"{server.url}/telegram/webhook"
        assert httpx.post(url, json=update).status_code == 403
        assert httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}).status_code == 403
        ok = httpx.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "tg-secret"})
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    assert received == [update]
    assert closed == [True]  # released when the server shut down

    with serve(sandbox_services, telegram_webhook=webhook) as server:  # no secret configured
        assert httpx.post(f"{server.url}/telegram/webhook", json=update).status_code == 404
    with serve(services) as server:  # no webhook handler given
        assert httpx.post(f"{server.url}/telegram/webhook", json=update).status_code == 404
