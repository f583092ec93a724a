"""Abuse protection at the edge: per-client fair use (rate limit), request body limits, security headers (the API key
checks that use `same_secret` are dependencies, in `api.deps`).

The middlewares are plain ASGI so they run before FastAPI reads or parses anything.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
import time
from urllib.parse import parse_qsl

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError as LimitsConfigurationError
from limits.errors import StorageError
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.proxies import ClientAddress
from assistant.errors import ConfigurationError, MissingExtraError
from assistant.settings import ApiSettings

log = logging.getLogger("api")

RATE_LIMITED = "Too many requests. Please wait a moment and try again."


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


class FairUse:
    """The rate limit itself (the `limits` library's moving window): `per_minute` units a minute per identity,
    where a request costs 1 plus 1 per `COST_CHARS` characters of its question. Counters live in this
    process's memory, or in Redis when `storage` is a Redis URL (then every replica shares them)."""

    def __init__(self, per_minute: int, storage: str = ""):
        self.per_minute = per_minute
        self.storage_uri = storage.strip()
        self.item = RateLimitItemPerMinute(max(per_minute, 1))
        self._limiter: MovingWindowRateLimiter | None = None
        if self.storage_uri:
            _new_storage(self.storage_uri)  # a URL that cannot be parsed fails at start-up, not at the first request

    def _get_limiter(self) -> MovingWindowRateLimiter:
        # Created on first use: an asyncio Redis client belongs to the running event loop.
        if self._limiter is None:
            self._limiter = MovingWindowRateLimiter(_new_storage(self.storage_uri))
        return self._limiter

    async def spend(self, identity: str, cost: int = 1) -> float:
        """Spend `cost` units of `identity`'s quota; 0 when allowed, else the seconds until it may try again."""
        limiter = self._get_limiter()
        cost = max(1, min(cost, self.per_minute))  # a cost above the whole quota could never pass
        try:
            if await limiter.hit(self.item, identity, cost=cost):
                return 0.0
            stats = await limiter.get_window_stats(self.item, identity)
        except StorageError as exc:
            # A rate limit store outage must not take the service down with it: let requests through, loudly.
            log.warning("rate limit storage unavailable, request let through: %s", exc.storage_error)
            return 0.0
        return max(1.0, stats.reset_time - time.time())


def _storage_uri(uri: str) -> tuple[str, dict]:
    """The `limits` storage URI (and options) for the setting's value: asyncio storages, Redis through redis-py."""
    if not uri or uri == "memory://":
        return "async+memory://", {}
    scheme = uri.split("://", 1)[0].lower()
    if scheme in ("redis", "rediss", "redis+unix"):
        try:
            import redis.asyncio  # noqa: F401
        except ImportError as exc:
            raise MissingExtraError("Redis rate limit storage (the redis client)", "redis") from exc
        # Short timeouts: an unreachable Redis must cost a request half a second, not the OS's minutes.
        timeouts = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        return "async+" + uri, {"implementation": "redispy", "wrap_exceptions": True, **timeouts}
    raise ConfigurationError(
        f"Unsupported rate limit storage '{scheme}://': leave GALAXY_API__RATE_LIMIT_STORAGE empty (memory) "
        "or give a redis:// URL."
    )


def _redacted(uri: str) -> str:
    """`uri` as messages may show it: without the user and password it may hold."""
    scheme, sep, rest = uri.partition("://")
    location, slash, path = rest.partition("/")
    if "@" in location:
        location = "***@" + location.rsplit("@", 1)[1]
    return scheme + sep + location + slash + path


def _new_storage(uri: str):
    """A `limits` storage for the setting's value (nothing is connected yet); ConfigurationError, in one line, for
    a URL it cannot use."""
    target, options = _storage_uri(uri)
    try:
        return storage_from_string(target, **options)
    except (LimitsConfigurationError, ValueError, TypeError) as exc:
        reason = str(exc).replace(target.removeprefix("async+"), _redacted(uri)).rstrip(".")
        raise ConfigurationError(
            f"GALAXY_API__RATE_LIMIT_STORAGE is not a usable Redis URL ({_redacted(uri)}): {reason}. "
            "Give one like redis://host:6379/0, or leave it empty to count in memory."
        ) from None


#: The start-up check waits this long (retrying) for the rate limit's Redis, which may be starting alongside.
STARTUP_WAIT_S = 3.0


def check_rate_limit_storage(api: ApiSettings, wait_s: float = STARTUP_WAIT_S) -> None:
    """At start-up (`galaxy serve`, before anything is loaded): the rate limit's Redis answers, else a
    ConfigurationError that says so in one line, and a URL that cannot be parsed is one too. Once the server runs,
    an outage lets requests through instead (`FairUse.spend`)."""
    uri = api.rate_limit_storage.get_secret_value().strip()
    if api.rate_limit_per_minute <= 0 or not uri or uri == "memory://":
        return
    storage = _new_storage(uri)

    async def probe() -> str:
        """'' once Redis answers, else the last reason it did not."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                await asyncio.wait_for(storage.get("galaxy:startup-check"), max(0.5, deadline - time.monotonic()))
                return ""
            except StorageError as exc:
                reason = str(exc.storage_error)
            except TimeoutError:
                reason = f"no answer within {wait_s:g} s"
            except Exception as exc:  # whatever the client raises for a URL it took (a bad database number...)
                reason = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                return reason
            await asyncio.sleep(0.25)

    reason = asyncio.run(probe())
    if reason:
        reason = " ".join(reason.split()).rstrip(".")
        raise ConfigurationError(
            f"The rate limit's Redis ({_redacted(uri)}) cannot be reached: {reason}. Start it, correct "
            "GALAXY_API__RATE_LIMIT_STORAGE, or leave it empty to count in memory."
        )


#: A question this many characters long costs one more request: work grows with the question's length. Measured
#: (bench/load_bench.py --mixed): an ordinary question is answered in about 0.1 s, one of 500 / 1000 / 2000 characters
#: in about 1.1 / 1.9 / 4.5 s (its first 1000 characters are embedded, twice when it names a place), so they cost
#: 11 / 21 / 41. At 1 per 500 characters a 2000-character one cost 5, and one client sending them back to back
#: made everyone else's answers three times slower.
COST_CHARS = 50
_TEXT_FIELDS = ("question", "query", "need")


def request_cost(body: bytes) -> int:
    """1, plus 1 per `COST_CHARS` characters of the question, query or need in a JSON body."""
    if not body:
        return 1
    try:
        data = json.loads(body)
    except ValueError:
        return 1
    if not isinstance(data, dict):
        return 1
    text = next((v for f in _TEXT_FIELDS if isinstance(v := data.get(f), str)), "")
    return 1 + len(text) // COST_CHARS


#: A client refused more than this many times in a row gets its next refusal late (`HOLD_S`), one at a time: one
#: that ignores Retry-After and asks back to back is slowed to about a request a second instead of costing the
#: server a refusal every half millisecond (bench/load_bench.py --mixed). Its other requests are refused at once.
HOLD_AFTER = 2
HOLD_S = 1.0
_MAX_TRACKED = 10_000  # identities whose refusals in a row are counted (forgotten all at once beyond it)


class RateLimitMiddleware:
    """Fair use on the paths under `prefix`. A request is counted under its client address (see
    `api.proxies`), and under the pair (address, key) when it presents a valid API key: a wrong key spends only
    its sender's own quota, and never that of a client holding the right key. Runs after `BodyLimitMiddleware`
    (so the body it reads to price a question is bounded)."""

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int,
        prefix: str = "/v1/",
        *,
        storage: str = "",
        trusted_proxies: list[str] | None = None,
        keys: dict[str, str] | None = None,
    ):
        self.app = app
        self.prefix = prefix
        self.fair_use = FairUse(per_minute, storage) if per_minute > 0 else None
        self.client_address = ClientAddress(trusted_proxies or [])
        self.keys = {role: key for role, key in (keys or {}).items() if key}
        self._refused: dict[str, int] = {}  # identity -> refusals since its last accepted request
        self._held: set[str] = set()  # identities with a refusal being held

    def identity(self, scope: Scope) -> str:
        client = self.client_address(scope)
        headers = Headers(scope=scope)
        presented = [headers.get("x-api-key")]
        presented += [v for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1")) if k == "key"]
        for role, key in self.keys.items():
            if any(same_secret(p, key) for p in presented):
                return f"{client}|{role}"
        return client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.fair_use is None
            or scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        body: bytes | None = b""
        if scope["method"] == "POST":
            body = await _read_all(receive)
        if body is None:  # the client left
            return
        identity = self.identity(scope)
        wait = await self.fair_use.spend(identity, request_cost(body))
        if wait:
            await self._refuse(identity, wait, send)
            return
        self._refused.pop(identity, None)
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, identity: str, wait: float, send: Send) -> None:
        if identity not in self._refused and len(self._refused) >= _MAX_TRACKED:
            self._refused.clear()
        self._refused[identity] = refused = self._refused.get(identity, 0) + 1
        held = 0.0
        if refused > HOLD_AFTER and identity not in self._held:
            self._held.add(identity)
            held = min(HOLD_S, wait)
            try:
                await asyncio.sleep(held)
            finally:
                self._held.discard(identity)
        await send_json(send, 429, {"detail": RATE_LIMITED}, {"Retry-After": str(max(1, math.ceil(wait - held)))})


async def _read_all(receive: Receive) -> bytes | None:
    """The request body (already bounded by `BodyLimitMiddleware`); None if the client left."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the disconnect, as streaming responses do

    return replay


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
        refusal = _refusal(headers, body, form_ok=scope["path"].startswith(FORM_PATHS))
        if refusal is not None:
            await send_json(send, *refusal)
            return

        await self.app(scope, _replay(body, receive), send)

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


#: The web console's forms post url-encoded bodies (it needs no JavaScript); everything else takes JSON.
FORM_PATHS = ("/admin",)


def _refusal(headers: Headers, body: bytes, *, form_ok: bool = False) -> tuple[int, dict] | None:
    """(status, error) for a body that is not JSON, or not UTF-8; None for one that may be parsed."""
    if not body:
        return None
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    is_form = form_ok and media == "application/x-www-form-urlencoded"
    if media != "application/json" and not media.endswith("+json") and not is_form:
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
