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


def _counts(services: Services) -> dict[str, int]:
    # The same figures as `galaxy stats`, read from the store, so both agree whichever process asks.
    store = services.kb.store
    return {
        "documents": len(services.kb.catalogue_now()),
        "chunks": store.count_chunks(),
        "generation": store.generation(),
        "primary_pending": store.primary_pending(),
    }


@router.get("/healthz", response_model=Health)
async def healthz() -> dict[str, Any]:
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, responses=error_responses(503))
async def readyz(services: ServicesDep) -> JSONResponse | dict[str, Any]:
    try:
        counts = await run_in_threadpool(_counts, services)
    except Exception as exc:  # whatever the store raises, the answer is "not yet"
        log.warning("not ready: %s", exc)
        return unavailable("The knowledge base is not reachable yet.")
    search = "fast encoder only" if services.retriever.snapshot.fast else "both encoders"
    return {"status": "ready", **counts, "search": search}
