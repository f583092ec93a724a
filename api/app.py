"""The HTTP edge: JSON API (+ Server-Sent Events), the embeddable widget and its demo page.

Routes only parse, call one service and shape the result; errors are mapped to status codes here.
`create_app` is called by the composition root (`galaxy serve`) with services that are already built.
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time, and the request
# models are built inside create_app (their length limit is a setting).
import base64
import functools
import hashlib
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from html import escape
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Body, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.schemas import (
    AskResponse,
    Created,
    DocumentOut,
    ErrorResponse,
    FeedbackList,
    FeedbackRequest,
    Health,
    PartnersResponse,
    Ready,
    SearchResponse,
    SubmissionAccepted,
    SubmissionDecision,
    SubmissionList,
    SubmissionRequest,
    TelegramAck,
    request_models,
)
from api.security import (
    BodyLimitMiddleware,
    RateLimitMiddleware,
    SecurityHeadersMiddleware,
    admin_key_check,
    public_key_check,
    same_secret,
)
from assistant.errors import GalaxyError
from assistant.logsafe import install_log_redaction

log = logging.getLogger("api")

STATIC = Path(__file__).parent / "static"
UI_LANGUAGES = ("en", "fr", "es", "pt", "ar")
#: Answers and searches are CPU-bound; more threads than this would only make every request slower.
WORKERS = 4
GENERIC_ERROR = "Something went wrong on our side. Please try again later."
RETRY_AFTER_S = "5"

TelegramWebhook = Callable[[dict], Awaitable[None]]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorResponse} for code in codes}


def _sse_event(event: str, data_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": event},
            "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": data_schema},
        },
    }


_TEXT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
#: Each Server-Sent Event of a streamed answer (OpenAPI < 3.2: the media type's schema describes one event).
SSE_SCHEMA = {
    "oneOf": [
        _sse_event("token", _TEXT),
        _sse_event("reset", _TEXT),
        _sse_event("final", {"$ref": "#/components/schemas/AskResponse"}),
        _sse_event("error", {"$ref": "#/components/schemas/ErrorResponse"}),
    ]
}


def _sse(event: str, data: dict) -> str:
    # json.dumps never emits a raw newline, so one `data:` line always holds the whole payload.
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _answer_json(answer) -> dict:
    return AskResponse.model_validate(answer.to_dict()).model_dump(mode="json")


class _Pages:
    """The widget and the demo page, read once; the page's inline style is allowed by hash in its CSP."""

    def __init__(self, public_key: str):
        self.widget = (STATIC / "widget.js").read_bytes()
        self.widget_etag = '"' + hashlib.sha256(self.widget).hexdigest()[:20] + '"'
        self.page = (STATIC / "index.html").read_text(encoding="utf-8")
        self.key_attr = f' data-key="{escape(public_key)}"' if public_key else ""
        styles = re.findall(r"<style>(.*?)</style>", self.page, re.S)
        hashes = " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in styles
        )
        self.csp = (
            f"default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' {hashes}; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )

    def demo(self, lang: str | None) -> str:
        lang_attr = f' data-lang="{lang}"' if lang in UI_LANGUAGES else ""
        return self.page.replace("{{lang_attr}}", lang_attr).replace("{{key_attr}}", self.key_attr)


def create_app(services, *, telegram_webhook: TelegramWebhook | None = None) -> FastAPI:
    settings = services.settings
    api = settings.api
    AskRequest, SearchRequest, PartnersRequest = request_models(api.max_question_chars)
    pages = _Pages(api.public_key.get_secret_value())
    limiter: list[anyio.CapacityLimiter] = []

    async def work(fn: Callable, *args, **kwargs):
        """Run CPU-bound service work in a worker thread so the event loop keeps serving."""
        if not limiter:  # created lazily: it belongs to the running event loop
            limiter.append(anyio.CapacityLimiter(WORKERS))
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=limiter[0])

    async def in_thread(iterator: Iterator) -> AsyncIterator:
        done = object()
        try:
            while (item := await work(next, iterator, done)) is not done:
                yield item
        finally:
            close = getattr(iterator, "close", None)
            if close:
                close()

    async def event_stream(events: Iterator) -> StreamingResponse:
        items = in_thread(events)
        # The first event comes before the response starts, so failures in retrieval keep their status code.
        first = await anext(items)

        def encode(kind: str, payload) -> str:
            return _sse(kind, _answer_json(payload) if kind == "final" else {"text": payload})

        async def body() -> AsyncIterator[str]:
            try:
                yield encode(*first)
                async for kind, payload in items:
                    yield encode(kind, payload)
            except GalaxyError as exc:
                log.warning("answer stream failed: %s", exc)
                yield _sse("error", {"detail": exc.user_message})
            except Exception:
                log.exception("answer stream failed")
                yield _sse("error", {"detail": GENERIC_ERROR})
            finally:
                await items.aclose()

        return StreamingResponse(
            body(),
            media_type="text/event-stream; charset=utf-8",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # uvicorn configures its loggers before the app starts: redact from here, where they exist.
        install_log_redaction(settings)
        yield
        # The services belong to the composition root; the webhook's bot runs on this server's loop, so it
        # is released here.
        close = getattr(telegram_webhook, "aclose", None)
        if close is not None:
            await close()

    try:
        version = metadata.version("galaxy-assistant")
    except metadata.PackageNotFoundError:
        version = "0"
    app = FastAPI(
        title="Galaxy Assistant API",
        version=version,
        lifespan=lifespan,
        description="Answers with citations, search and partner suggestions over a knowledge base of "
        'South-South cooperation solutions. Errors are JSON: `{"detail": ...}`.',
    )

    # -- errors ---------------------------------------------------------------------------------------------
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse({"detail": "The request body is not valid JSON."}, 400)
        return JSONResponse(
            {
                "detail": [
                    {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors
                ]
            },
            422,
        )

    @app.exception_handler(GalaxyError)
    async def domain_error(request: Request, exc: GalaxyError) -> JSONResponse:
        headers = None
        if exc.status_code == 503:  # an outage, not a bug: no traceback, and tell clients when to come back
            log.warning("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
            headers = {"Retry-After": RETRY_AFTER_S}
        elif exc.status_code >= 500:
            log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc, exc_info=exc)
        return JSONResponse({"detail": exc.user_message}, exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": GENERIC_ERROR}, 500)

    # -- public API -----------------------------------------------------------------------------------------
    public = APIRouter(
        prefix="/v1",
        dependencies=[Depends(public_key_check(api))],
        responses=_errors(400, 401, 413, 415, 422, 429, 500, 503),
    )

    @public.post(
        "/ask",
        response_model=AskResponse,
        tags=["answers"],
        summary="Answer a question with citations",
        description="With `stream: true` or `Accept: text/event-stream` the answer comes as Server-Sent Events: "
        "`token` {text} pieces, possibly `reset` {text} (replace what was shown), then one `final` "
        "with the answer object; `error` {detail} if it fails midway.",
        responses={200: {"content": {"text/event-stream": {"schema": SSE_SCHEMA}}}},
    )
    async def ask(body: AskRequest, request: Request):  # type: ignore[valid-type]
        args = dict(
            question=body.question,
            session_id=body.session_id,
            language=body.language,
            filters=body.filters.to_filters() if body.filters else None,
        )
        if body.stream or "text/event-stream" in request.headers.get("accept", ""):
            return await event_stream(services.engine.stream(**args))
        return (await work(services.engine.ask, **args)).to_dict()

    @public.post("/search", response_model=SearchResponse, tags=["search"], summary="Hybrid search")
    async def search(body: SearchRequest):  # type: ignore[valid-type]
        filters = body.filters.to_filters() if body.filters else None
        result = await work(services.retriever.search, body.query, k=body.k, filters=filters)
        return {"hits": [hit.to_dict() for hit in result.hits]}

    @public.post(
        "/partners",
        response_model=PartnersResponse,
        tags=["partners"],
        summary="Suggest partners (and funding, when asked) for a need",
    )
    async def partners(body: PartnersRequest):  # type: ignore[valid-type]
        return (await work(services.partners.suggest, body.need, seeker_country=body.country, k=body.k)).to_dict()

    @public.get("/documents/{doc_id}", response_model=DocumentOut, tags=["search"], responses=_errors(404))
    async def document(doc_id: Annotated[str, PathParam(max_length=200)]):
        doc = (await work(services.kb.documents)).get(doc_id)
        if doc is None:
            raise HTTPException(404, "No such document.")
        return doc.model_dump(exclude={"source"})

    @public.post("/feedback", status_code=201, response_model=Created, tags=["feedback"], summary="Rate an answer")
    async def feedback(body: FeedbackRequest):
        feedback_id = await run_in_threadpool(
            services.feedback.add, body.session_id, body.answer_id, body.rating, body.comment, source="api"
        )
        return {"id": feedback_id}

    @public.post(
        "/submissions",
        status_code=202,
        response_model=SubmissionAccepted,
        tags=["submissions"],
        summary="Share a solution (published after moderation)",
    )
    async def submit(body: SubmissionRequest):
        submission = await run_in_threadpool(
            services.submissions.submit, body.model_dump(exclude_none=True), source="api"
        )
        return {"id": submission.id, "status": "pending"}

    # -- admin ----------------------------------------------------------------------------------------------
    admin = APIRouter(
        prefix="/v1/admin",
        tags=["admin"],
        dependencies=[Depends(admin_key_check(api))],
        responses=_errors(403, 404, 422, 429, 500, 503),
    )
    SubmissionId = Annotated[str, PathParam(max_length=100)]

    @admin.get("/submissions", response_model=SubmissionList)
    async def list_submissions(status: Annotated[str, Query(pattern="^(pending|approved|rejected|all)$")] = "pending"):
        items = await run_in_threadpool(services.submissions.list, None if status == "all" else status)
        return {"submissions": [s.to_dict() for s in items]}

    @admin.post(
        "/submissions/{submission_id}/approve",
        response_model=SubmissionDecision,
        summary="Publish a submission: write it to the corpus, ingest it, make it searchable",
    )
    async def approve(submission_id: SubmissionId):
        summary = await work(services.approve_submission, submission_id)
        return {"id": submission_id, "status": "approved", "ingest": summary.as_dict()}

    @admin.post("/submissions/{submission_id}/reject", response_model=SubmissionDecision)
    async def reject(submission_id: SubmissionId):
        await run_in_threadpool(services.submissions.reject, submission_id)
        return {"id": submission_id, "status": "rejected"}

    @admin.get("/feedback", response_model=FeedbackList)
    async def list_feedback(limit: Annotated[int, Query(ge=1, le=1000)] = 100):
        items = await run_in_threadpool(services.feedback.list, limit)
        return {"feedback": [vars(f) for f in items]}

    app.include_router(public)
    app.include_router(admin)

    # -- operations -----------------------------------------------------------------------------------------
    @app.get("/healthz", response_model=Health, tags=["operations"])
    async def healthz():
        return {"status": "ok"}

    @app.get("/readyz", response_model=Ready, tags=["operations"], responses=_errors(503))
    async def readyz():
        def counts() -> tuple[int, int]:
            return services.kb.store.count_chunks(), len(services.kb.documents())

        try:
            chunks, documents = await run_in_threadpool(counts)
        except Exception as exc:  # whatever the store raises, the answer is "not yet"
            log.warning("not ready: %s", exc)
            return JSONResponse(
                {"detail": "The knowledge base is not reachable yet."}, 503, headers={"Retry-After": RETRY_AFTER_S}
            )
        return {"status": "ready", "documents": documents, "chunks": chunks}

    # -- Telegram -------------------------------------------------------------------------------------------
    secret = settings.telegram.webhook_secret.get_secret_value()
    if telegram_webhook is not None and secret:

        @app.post("/telegram/webhook", response_model=TelegramAck, include_in_schema=False)
        async def telegram(
            update: Annotated[dict, Body()],
            token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
        ):
            if not same_secret(token, secret):
                raise HTTPException(403, "Forbidden.")
            await telegram_webhook(update)
            return {"ok": True}

    # -- widget and demo page -------------------------------------------------------------------------------
    @app.get("/widget.js", include_in_schema=False)
    async def widget(if_none_match: Annotated[str | None, Header()] = None):
        headers = {
            "Cache-Control": "public, max-age=86400",
            "ETag": pages.widget_etag,
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        if if_none_match and pages.widget_etag in if_none_match:
            return Response(status_code=304, headers=headers)
        return Response(pages.widget, media_type="text/javascript; charset=utf-8", headers=headers)

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def demo(lang: str | None = None):
        return HTMLResponse(
            pages.demo(lang),
            headers={
                "Content-Security-Policy": pages.csp,
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-cache",
            },
        )

    # -- middleware (the last added runs first) -------------------------------------------------------------
    app.add_middleware(BodyLimitMiddleware, max_bytes=api.max_body_bytes)
    app.add_middleware(RateLimitMiddleware, per_minute=api.rate_limit_per_minute)
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Accept", "X-API-Key"],
            expose_headers=["Retry-After"],
            max_age=86400,
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    return app
