"""What the routes depend on, in one place: this app's services, the worker threads for CPU-bound calls and
the API key checks. `create_app` puts the services and the workers on `app.state`."""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, APIKeyQuery

from api.security import same_secret
from assistant.answers.conversation import SessionIds
from assistant.container import Services
from assistant.errors import UnknownAnswer

T = TypeVar("T")

#: Answers and searches are CPU-bound; more threads than this would only make every request slower.
WORKERS = 4


class Workers:
    """Runs CPU-bound service work in worker threads, a few at a time, so the event loop keeps serving."""

    def __init__(self, size: int = WORKERS):
        self.size = size
        self._limiter: anyio.CapacityLimiter | None = None

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._limiter is None:  # created lazily: it belongs to the running event loop
            self._limiter = anyio.CapacityLimiter(self.size)
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=self._limiter)

    async def iterate(self, iterator: Iterator[T]) -> AsyncGenerator[T, None]:
        """The items of a blocking iterator, each one fetched in a worker thread."""
        try:
            while step := await self.run(_next_step, iterator):
                yield step[0]
        finally:
            close = getattr(iterator, "close", None)
            if close:
                close()


def _next_step(iterator: Iterator[T]) -> list[T]:
    """The next item as a one-item list, [] at the end (StopIteration cannot cross from a thread)."""
    try:
        return [next(iterator)]
    except StopIteration:
        return []


async def get_services(request: Request) -> Services:
    return request.app.state.services


async def get_workers(request: Request) -> Workers:
    return request.app.state.workers


async def get_sessions(request: Request) -> SessionIds:
    return request.app.state.sessions


ServicesDep = Annotated[Services, Depends(get_services)]
WorkersDep = Annotated[Workers, Depends(get_workers)]
SessionsDep = Annotated[SessionIds, Depends(get_sessions)]

#: The `X-Galaxy-Client` values that name a channel of their own; any other client is "api".
CLIENT_CHANNELS = frozenset({"widget"})


async def get_channel(request: Request) -> str:
    """The channel a request comes from, as the console reports it: the widget says so in a header."""
    client = request.headers.get("x-galaxy-client", "").strip().lower()
    return client if client in CLIENT_CHANNELS else "api"


ChannelDep = Annotated[str, Depends(get_channel)]


def check_answer_issued(services: Services, sessions: SessionIds, session_id: str, answer_id: str) -> None:
    """Feedback only for an answer this server gave in that conversation (blocking: run it in a thread)."""
    if not sessions.valid(session_id) or not services.conversations.has_answer(session_id, answer_id):
        raise UnknownAnswer()


# -- API keys -----------------------------------------------------------------------------------------------
_header_key = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKeyHeader",
    auto_error=False,
    description="The public key (public endpoints, when one is configured) or the admin key.",
)
_query_key = APIKeyQuery(
    name="key",
    scheme_name="ApiKeyQuery",
    auto_error=False,
    description="The public key, for clients that cannot set headers.",
)


async def require_public_key(
    services: ServicesDep, header: str | None = Security(_header_key), query: str | None = Security(_query_key)
) -> None:
    expected = services.settings.api.public_key.get_secret_value()
    if expected and not (same_secret(header, expected) or same_secret(query, expected)):
        raise HTTPException(401, "A valid API key is required (header X-API-Key or ?key=).")


async def require_admin_key(services: ServicesDep, header: str | None = Security(_header_key)) -> None:
    expected = services.settings.api.admin_key.get_secret_value()
    # No admin key configured means the admin endpoints are off, not open.
    if not expected or not same_secret(header, expected):
        raise HTTPException(403, "Admin access requires a valid X-API-Key.")


def check_telegram_secret(services: Services, token: str | None) -> None:
    """Telegram proves a webhook call is its own with the secret given when the webhook was registered."""
    if not same_secret(token, services.settings.telegram.webhook_secret.get_secret_value()):
        raise HTTPException(403, "Forbidden.")
