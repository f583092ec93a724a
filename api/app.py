"""The HTTP edge: JSON API (+ Server-Sent Events), the embeddable widget and its demo page.

`create_app` is called by the composition root (`galaxy serve`) with services that are already built; it
only assembles the routers (`api.routes`), their dependencies (`api.deps`), the error mapping (`api.errors`)
and the middleware (`api.security`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware

from api.deps import Workers, require_admin_key, require_public_key
from api.errors import error_responses, install_error_handlers
from api.housekeeping import start_pruning
from api.routes import admin, ask, community, console, needs, operations, partners, search, static, telegram
from api.routes.telegram import TelegramWebhook
from api.security import BodyLimitMiddleware, RateLimitMiddleware, SecurityHeadersMiddleware
from api.shedding import LoadSheddingMiddleware
from assistant.answers.conversation import SessionIds
from assistant.container import Services
from assistant.logsafe import install_log_redaction
from assistant.settings import ApiSettings

__all__ = ["TelegramWebhook", "create_app"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # uvicorn configures its loggers before the app starts: redact from here, where they exist.
    install_log_redaction(app.state.services.settings)
    # Ingests, deletions and approvals made by other processes become visible without a restart.
    watcher = app.state.services.start_watching() if app.state.watch_index else None
    # e5 vectors a fast first ingest left are computed here, on one low-priority thread, whoever ingested.
    backfill = app.state.services.start_backfill() if app.state.watch_index else None
    settings = app.state.services.settings
    pruner = start_pruning(app.state.services.conversations, settings.conversation_retention_days)
    try:
        yield
    finally:
        pruner.cancel()
        if watcher is not None:
            watcher.stop()
        if backfill is not None:
            backfill.stop()
    # The services belong to the composition root; the webhook's bot runs on this server's loop, so it
    # is released here.
    close = getattr(app.state.telegram_webhook, "aclose", None)
    if close is not None:
        await close()


def _version() -> str:
    try:
        return metadata.version("galaxy-assistant")
    except metadata.PackageNotFoundError:
        return "0"


def _public_router(api: ApiSettings) -> APIRouter:
    public = APIRouter(
        prefix="/v1",
        dependencies=[Depends(require_public_key)],
        responses=error_responses(400, 401, 413, 415, 422, 429, 500, 503),
    )
    public.include_router(ask.router(api.max_question_chars))
    public.include_router(search.router(api.max_question_chars))
    public.include_router(partners.router(api.max_question_chars))
    public.include_router(community.router)
    public.include_router(needs.router)
    return public


def _add_middleware(app: FastAPI, api: ApiSettings) -> None:
    # The last added runs first; shedding is innermost so refused (rate-limited, oversized) requests take no slot.
    app.add_middleware(
        LoadSheddingMiddleware,
        max_concurrent=api.max_concurrent_questions,
        max_queued=api.max_queued_questions,
        retry_after_s=api.shed_retry_after_s,
    )
    # The rate limit prices a question by its length, so it runs after the body limit has bounded the body.
    app.add_middleware(
        RateLimitMiddleware,
        per_minute=api.rate_limit_per_minute,
        storage=api.rate_limit_storage.get_secret_value(),
        trusted_proxies=api.trusted_proxies,
        keys={"public": api.public_key.get_secret_value(), "admin": api.admin_key.get_secret_value()},
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=api.max_body_bytes)
    if api.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=api.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],  # DELETE: unsubscribing from a saved need
            allow_headers=["Content-Type", "Accept", "X-API-Key", "X-Galaxy-Client"],
            expose_headers=["Retry-After"],
            max_age=86400,
        )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=500)


def create_app(
    services: Services, *, telegram_webhook: TelegramWebhook | None = None, watch_index: bool = False
) -> FastAPI:
    settings = services.settings
    app = FastAPI(
        title="Galaxy Assistant API",
        version=_version(),
        lifespan=lifespan,
        description="Answers with citations, search and partner suggestions over a knowledge base of "
        'South-South cooperation solutions. Errors are JSON: `{"detail": ...}`.',
    )
    app.state.services = services
    app.state.workers = Workers()
    app.state.telegram_webhook = telegram_webhook
    app.state.watch_index = watch_index
    app.state.sessions = SessionIds.under(settings.data_dir, settings.api.session_secret.get_secret_value())
    install_error_handlers(app)

    app.include_router(_public_router(settings.api))
    app.include_router(
        admin.router,
        prefix="/v1/admin",
        dependencies=[Depends(require_admin_key)],
        responses=error_responses(403, 404, 422, 429, 500, 503),
    )
    app.include_router(operations.router)
    app.include_router(console.router)
    if telegram_webhook is not None and settings.telegram.webhook_secret.get_secret_value():
        app.include_router(telegram.router(telegram_webhook))
    app.include_router(static.router(settings.api.public_key.get_secret_value()))

    _add_middleware(app, settings.api)
    return app
