"""Abuse protection at the edge: API keys, per-client rate limit, request body limits.

The middlewares are plain ASGI so they run before FastAPI reads or parses anything.
"""

from __future__ import annotations

import hmac
import json
import math
import time
from collections import OrderedDict

from fastapi import HTTPException, Security
from fastapi.security import APIKeyHeader, APIKeyQuery
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.settings import ApiSettings

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


def same_secret(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def public_key_check(api: ApiSettings):
    expected = api.public_key.get_secret_value()

    async def check(header: str | None = Security(_header_key), query: str | None = Security(_query_key)) -> None:
        if expected and not (same_secret(header, expected) or same_secret(query, expected)):
            raise HTTPException(401, "A valid API key is required (header X-API-Key or ?key=).")

    return check


def admin_key_check(api: ApiSettings):
    expected = api.admin_key.get_secret_value()

    async def check(header: str | None = Security(_header_key)) -> None:
        # No admin key configured means the admin endpoints are off, not open.
        if not expected or not same_secret(header, expected):
            raise HTTPException(403, "Admin access requires a valid X-API-Key.")

    return check


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
        too_big = {"detail": f"The request body is larger than {self.max_bytes} bytes."}
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await send_json(send, 413, too_big)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await send_json(send, 413, too_big)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            if media != "application/json" and not media.endswith("+json"):
                await send_json(send, 415, {"detail": "Send the body as JSON with Content-Type: application/json."})
                return
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                await send_json(send, 400, {"detail": "The request body is not valid UTF-8."})
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as streaming responses do

        await self.app(scope, replay, send)


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
                    message["headers"] = list(message["headers"]) + [(b"x-content-type-options", b"nosniff")]
            await send(message)

        await self.app(scope, receive, with_headers)
