"""Sign-in for the web console: the admin key is typed once into a form and never stored in the browser.

The session cookie holds `expiry.nonce.signature`, signed with a key derived from the admin key (so changing the
admin key signs everyone out). It is HttpOnly and SameSite=Strict, and Secure except when the browser itself
talks plain http to a loopback address (a developer's `galaxy serve`, the tests): there a Secure cookie would
never come back. Every POST form carries a CSRF token derived from the session (the sign-in form: a random
value also set as a cookie, the double-submit pattern), compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque

from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "galaxy_console"
LOGIN_COOKIE = "galaxy_console_login"
SESSION_TTL_S = 8 * 3600
#: Wrong keys allowed per client address in a window: the console is not a place to guess the admin key.
MAX_FAILURES, FAILURE_WINDOW_S = 5, 300
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _mac(admin_key: str, message: str) -> str:
    key = hmac.new(admin_key.encode(), b"galaxy-console-v1", hashlib.sha256).digest()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def same(given: str | None, expected: str) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given).encode(), expected.encode())


def is_local_http(request: Request) -> bool:
    """Plain http between a browser and this server on the same machine, no proxy in between."""
    host = (request.url.hostname or "").strip("[]")
    client = request.client.host if request.client else ""
    proxied = any(h in request.headers for h in ("x-forwarded-for", "x-forwarded-proto", "forwarded"))
    return request.url.scheme == "http" and host in _LOOPBACK and client in _LOOPBACK and not proxied


class ConsoleAuth:
    def __init__(self) -> None:
        self._revoked: dict[str, float] = {}  # signed-out tokens until they expire
        self._failures: dict[str, deque[float]] = {}

    # -- sessions -----------------------------------------------------------------------------------------
    def issue(self, admin_key: str, now: float | None = None) -> str:
        payload = f"{int((now or time.time()) + SESSION_TTL_S)}.{secrets.token_urlsafe(16)}"
        return f"{payload}.{_mac(admin_key, 'session:' + payload)}"

    def valid(self, token: str | None, admin_key: str, now: float | None = None) -> bool:
        if not token or not admin_key or token.count(".") != 2 or token in self._revoked:
            return False
        expires, nonce, signature = token.split(".")
        if not same(signature, _mac(admin_key, f"session:{expires}.{nonce}")):
            return False
        return expires.isdigit() and int(expires) > (now or time.time())

    def revoke(self, token: str) -> None:
        now = time.time()
        self._revoked = {t: e for t, e in self._revoked.items() if e > now}
        expires = token.split(".", 1)[0]
        self._revoked[token] = float(expires) if expires.isdigit() else now + SESSION_TTL_S

    @staticmethod
    def csrf(session_token: str, admin_key: str) -> str:
        return _mac(admin_key, "csrf:" + session_token)

    # -- throttling wrong keys ----------------------------------------------------------------------------
    def blocked(self, client: str, now: float | None = None) -> bool:
        now = now or time.time()
        failures = self._failures.get(client)
        while failures and failures[0] < now - FAILURE_WINDOW_S:
            failures.popleft()
        return failures is not None and len(failures) >= MAX_FAILURES

    def failed(self, client: str) -> None:
        if len(self._failures) > 10_000:  # bounded memory under a spray of addresses
            self._failures.clear()
        self._failures.setdefault(client, deque()).append(time.time())


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/admin",
        secure=not is_local_http(request),
        httponly=True,
        samesite="strict",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/admin", secure=not is_local_http(request), httponly=True, samesite="strict")
