"""Abuse protection at the edge: per-client rate limit, request body limits, security headers (the API key
checks that use `same_secret` are dependencies, in `api.deps`).

The middlewares are plain ASGI so they run before FastAPI reads or parses anything.
"""

from __future__ import annotations

import hmac
import json
import math
import time
from collections import OrderedDict

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty or missing secret never matches."""
    if not given:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


async def send_json(send: Send, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
    payload = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class RateLimitMiddleware:
    """Token bucket per client address on the paths under `prefix`: `per_minute` requests a minute, with
    bursts up to the same number. Buckets live in memory (one process) and the oldest are forgotten first."""

    def __init__(self, app: ASGIApp, per_minute: int, prefix: str = "/v1/", max_clients: int = 50_000):
        self.app = app
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.prefix = prefix
        self.max_clients = max_clients
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str, now: float) -> float:
        """Spend one token; returns 0 when allowed, else the seconds until a token is back."""
        tokens, last = self.buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        self.buckets[client] = (tokens, now)
        if len(self.buckets) > self.max_clients:
            self.buckets.popitem(last=False)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.rate <= 0
            or scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.take(client, time.monotonic())
        if wait:
            await send_json(
                send,
                429,
                {"detail": "Too many requests. Please wait a moment and try again."},
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )
            return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Reads request bodies up front (they are small) so that an oversized one is refused with 413 whether or
    not it announced a Content-Length, and a non-JSON or non-UTF-8 one with 415/400, before any parsing."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        body = await self._read_body(headers, receive, send)
        if body is None:
            return
        refusal = _refusal(headers, body)
        if refusal is not None:
            await send_json(send, *refusal)
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as streaming responses do

        await self.app(scope, replay, send)

    async def _read_body(self, headers: Headers, receive: Receive, send: Send) -> bytes | None:
        """The whole body; None when the client left or the body was too big (then 413 was sent)."""
        too_big = {"detail": f"The request body is larger than {self.max_bytes} bytes."}
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await send_json(send, 413, too_big)
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_json(send, 413, too_big)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _refusal(headers: Headers, body: bytes) -> tuple[int, dict] | None:
    """(status, error) for a body that is not JSON, or not UTF-8; None for one that may be parsed."""
    if not body:
        return None
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return 415, {"detail": "Send the body as JSON with Content-Type: application/json."}
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, {"detail": "The request body is not valid UTF-8."}
    return None


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                names = {k.lower() for k, _ in message["headers"]}
                if b"x-content-type-options" not in names:
                    message["headers"] = [*message["headers"], (b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, with_headers)
