"""Load shedding for question requests (ask, search, partners).

Each question costs tens of milliseconds of every core (embedding it), so past a point more requests in flight only
make every answer later. At most `max_concurrent` question requests run at once and at most `max_queued` wait for a
slot; beyond that the server answers 503 with `Retry-After` straight away instead of letting requests pile up.
A slot is held until the response is fully sent, so a streamed (SSE) answer counts for as long as it streams.
Everything else (health, static files, admin, feedback) passes through untouched.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from api.security import send_json

QUESTION_PATHS = frozenset({"/v1/ask", "/v1/search", "/v1/partners"})
BUSY = {"detail": "The assistant is busy answering other questions. Please try again in a moment.", "reason": "busy"}


class LoadSheddingMiddleware:
    """Bounded concurrency plus a bounded wait queue on `paths`; `max_concurrent <= 0` turns shedding off."""

    def __init__(
        self,
        app: ASGIApp,
        max_concurrent: int,
        max_queued: int,
        retry_after_s: int = 1,
        paths: frozenset[str] = QUESTION_PATHS,
    ):
        self.app = app
        self.max_concurrent = max_concurrent
        self.max_queued = max(0, max_queued)
        self.retry_after = str(max(1, retry_after_s))
        self.paths = paths
        self.running = 0
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None  # made on first use, inside the server's event loop

    def _applies(self, scope: Scope) -> bool:
        return (
            self.max_concurrent > 0
            and scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/") in self.paths
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_concurrent)
        if self.running >= self.max_concurrent and self.waiting >= self.max_queued:
            await send_json(send, 503, BUSY, {"Retry-After": self.retry_after})
            return
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1
            self._slots.release()


__all__ = ["BUSY", "QUESTION_PATHS", "LoadSheddingMiddleware"]
