"""How failures reach HTTP clients: every error is JSON `{"detail": ...}`, domain errors keep their status code,
outages say when to come back, and nothing unexpected leaks a traceback."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.schemas import ErrorResponse
from assistant.errors import GalaxyError

log = logging.getLogger("api")

GENERIC_ERROR = "Something went wrong on our side. Please try again later."
RETRY_AFTER_S = "5"


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` entry for these error status codes."""
    return {code: {"model": ErrorResponse} for code in codes}


def unavailable(detail: str) -> JSONResponse:
    """A 503 that tells clients when to try again."""
    return JSONResponse({"detail": detail}, 503, headers={"Retry-After": RETRY_AFTER_S})


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse({"detail": "The request body is not valid JSON."}, 400)
    issues = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]
    return JSONResponse({"detail": issues}, 422)


async def domain_error(request: Request, exc: GalaxyError) -> JSONResponse:
    headers = None
    if exc.status_code == 503:  # an outage, not a bug: no traceback, and tell clients when to come back
        log.warning("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc)
        headers = {"Retry-After": RETRY_AFTER_S}
    elif exc.status_code >= 500:
        log.error("%s on %s %s: %s", type(exc).__name__, request.method, request.url.path, exc, exc_info=exc)
    return JSONResponse({"detail": exc.user_message}, exc.status_code, headers=headers)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": GENERIC_ERROR}, 500)


def install_error_handlers(app: FastAPI) -> None:
    app.exception_handler(RequestValidationError)(invalid_request)
    app.exception_handler(GalaxyError)(domain_error)
    app.exception_handler(Exception)(unexpected_error)
