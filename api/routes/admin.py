"""/v1/admin: moderation of submissions and the feedback log (behind the admin key, see `api.app`)."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time.
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep, WorkersDep
from api.schemas import FeedbackList, SubmissionDecision, SubmissionList

router = APIRouter(tags=["admin"])

SubmissionId = Annotated[str, PathParam(max_length=100)]
SubmissionStatus = Annotated[str, Query(pattern="^(pending|approved|rejected|all)$")]


@router.get("/submissions", response_model=SubmissionList)
async def list_submissions(services: ServicesDep, status: SubmissionStatus = "pending") -> dict[str, Any]:
    items = await run_in_threadpool(services.submissions.list, None if status == "all" else status)
    return {"submissions": [s.to_dict() for s in items]}


@router.post(
    "/submissions/{submission_id}/approve",
    response_model=SubmissionDecision,
    summary="Publish a submission: write it to the corpus, ingest it, make it searchable",
)
async def approve(submission_id: SubmissionId, services: ServicesDep, workers: WorkersDep) -> dict[str, Any]:
    summary = await workers.run(services.approve_submission, submission_id)
    return {"id": submission_id, "status": "approved", "ingest": summary.as_dict()}


@router.post("/submissions/{submission_id}/reject", response_model=SubmissionDecision)
async def reject(submission_id: SubmissionId, services: ServicesDep) -> dict[str, Any]:
    await run_in_threadpool(services.submissions.reject, submission_id)
    return {"id": submission_id, "status": "rejected"}


@router.get("/feedback", response_model=FeedbackList)
async def list_feedback(services: ServicesDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    items = await run_in_threadpool(services.feedback.list, limit)
    return {"feedback": [vars(f) for f in items]}


DocumentId = Annotated[str, PathParam(max_length=300)]


@router.get("/documents", summary="The documents in the knowledge base, with their ids")
async def list_documents(
    services: ServicesDep, kind: Annotated[str | None, Query(max_length=20)] = None
) -> dict[str, Any]:
    docs = await run_in_threadpool(services.kb.catalogue_now)
    return {
        "documents": [
            {"id": d.id, "title": d.title, "kind": d.kind, "countries": d.countries, "source": d.source}
            for d in sorted(docs.values(), key=lambda d: d.id)
            if kind is None or d.kind == kind
        ]
    }


@router.delete("/documents/{document_id}", summary="Remove a document from the store and from search")
async def delete_document(document_id: DocumentId, services: ServicesDep, workers: WorkersDep) -> dict[str, Any]:
    await workers.run(services.delete_documents, [document_id])  # an unknown id is NotFound: a 404
    return {"id": document_id, "status": "deleted"}
