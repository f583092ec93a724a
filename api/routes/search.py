"""POST /v1/search (hybrid search) and GET /v1/documents/{doc_id}."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time, and the request
# model is built per app (its length limit is a setting).
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException
from fastapi import Path as PathParam
from pydantic import StringConstraints

from api.deps import ServicesDep, WorkersDep
from api.errors import error_responses
from api.schemas import DocumentOut, SearchBase, SearchResponse


def router(max_question_chars: int) -> APIRouter:
    class SearchRequest(SearchBase):
        query: Annotated[str, StringConstraints(min_length=1, max_length=max_question_chars)]

    routes = APIRouter(tags=["search"])

    @routes.post("/search", response_model=SearchResponse, summary="Hybrid search")
    async def search(body: SearchRequest, services: ServicesDep, workers: WorkersDep) -> dict[str, Any]:
        filters = body.filters.to_filters() if body.filters else None
        result = await workers.run(services.retriever.search, body.query, k=body.k, filters=filters)
        return {"hits": [hit.to_dict() for hit in result.hits]}

    @routes.get("/documents/{doc_id}", response_model=DocumentOut, responses=error_responses(404))
    async def document(
        doc_id: Annotated[str, PathParam(max_length=200)], services: ServicesDep, workers: WorkersDep
    ) -> dict[str, Any]:
        doc = (await workers.run(services.kb.documents)).get(doc_id)
        if doc is None:
            raise HTTPException(404, "No such document.")
        return doc.model_dump(exclude={"source"})

    return routes
