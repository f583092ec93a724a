"""POST /v1/partners: partners (and funding, when asked) for a need."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time, and the request
# model is built per app (its length limit is a setting).
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import StringConstraints

from api.deps import ServicesDep, WorkersDep
from api.schemas import PartnersBase, PartnersResponse


def router(max_question_chars: int) -> APIRouter:
    class PartnersRequest(PartnersBase):
        need: Annotated[str, StringConstraints(min_length=1, max_length=max_question_chars)]

    routes = APIRouter(tags=["partners"])

    @routes.post(
        "/partners", response_model=PartnersResponse, summary="Suggest partners (and funding, when asked) for a need"
    )
    async def partners(body: PartnersRequest, services: ServicesDep, workers: WorkersDep) -> dict[str, Any]:
        result = await workers.run(services.partners.suggest, body.need, seeker_country=body.country, k=body.k)
        return result.to_dict()

    return routes
