"""How the HTTP server runs: uvicorn with timeouts, a connection cap and no proxy header handling of its own
(client addresses are resolved by the app, `api.proxies`, from the `api.trusted_proxies` setting).

uvicorn times out idle keep-alive connections but gives a connection that never finishes its request headers
all the time it wants; the protocol here closes one that has not sent complete headers within
`header_timeout_s`, or has sent more than `max_header_bytes` of them.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn

from assistant.settings import ApiSettings

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools comes with uvicorn[standard], which chromadb requires
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


def _deadline_protocol(header_timeout_s: float, max_header_bytes: int) -> type:
    assert HttpToolsProtocol is not None

    class HeaderDeadlineProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            self._header_timer: asyncio.TimerHandle | None = None
            self._header_bytes: int | None = 0  # None once a request's headers are complete
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._header_bytes = 0
            self._header_timer = self.loop.call_later(header_timeout_s, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            if not self.transport.is_closing():
                self.transport.close()

        def data_received(self, data: bytes) -> None:
            # Only the bytes up to the end of the headers count: one read may also hold the start of a large body.
            if self._header_bytes is not None:
                end = data.find(b"\r\n\r\n")
                self._header_bytes += len(data) if end < 0 else end + 4
                if self._header_bytes > max_header_bytes:
                    self.send_400_response("Request headers too large.")
                    return
            super().data_received(data)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._header_bytes is None:  # the next request on a kept-alive connection
                self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            self._header_bytes = None
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadlineProtocol


def server_config(app: Any, api: ApiSettings, host: str, port: int, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration `galaxy serve` (and the tests' live servers) run the app with."""
    options: dict[str, Any] = dict(
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=api.keep_alive_timeout_s,
        limit_concurrency=api.max_connections or None,
        h11_max_incomplete_event_size=api.max_header_bytes,
    )
    if HttpToolsProtocol is not None:
        options["http"] = _deadline_protocol(api.header_timeout_s, api.max_header_bytes)
    options.update(overrides)
    return uvicorn.Config(app, **options)
