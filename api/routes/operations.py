"""GET /healthz (the process is up) and GET /readyz (the knowledge base answers)."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time.
import logging
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep
from api.errors import error_responses, unavailable
from api.schemas import Health, Ready
from assistant.container import Services

log = logging.getLogger("api")

router = APIRouter(tags=["operations"])


def _counts(services: Services) -> tuple[int, int]:
    return services.kb.store.count_chunks(), len(services.kb.documents())


@router.get("/healthz", response_model=Health)
async def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, responses=error_responses(503))
async def readyz(services: ServicesDep) -> JSONResponse | dict[str, Any]:
    try:
        chunks, documents = await run_in_threadpool(_counts, services)
    except Exception as exc:  # whatever the store raises, the answer is "not yet"
        log.warning("not ready: %s", exc)
        return unavailable("The knowledge base is not reachable yet.")
    return {"status": "ready", "documents": documents, "chunks": chunks}
