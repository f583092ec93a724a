"""What people give back: POST /v1/feedback (rate an answer) and POST /v1/submissions (share a solution)."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time.
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep
from api.schemas import Created, FeedbackRequest, SubmissionAccepted, SubmissionRequest

router = APIRouter()


@router.post("/feedback", status_code=201, response_model=Created, tags=["feedback"], summary="Rate an answer")
async def feedback(body: FeedbackRequest, services: ServicesDep) -> dict[str, Any]:
    feedback_id = await run_in_threadpool(
        services.feedback.add, body.session_id, body.answer_id, body.rating, body.comment, source="api"
    )
    return {"id": feedback_id}


@router.post(
    "/submissions",
    status_code=202,
    response_model=SubmissionAccepted,
    tags=["submissions"],
    summary="Share a solution (published after moderation)",
)
async def submit(body: SubmissionRequest, services: ServicesDep) -> dict[str, Any]:
    submission = await run_in_threadpool(services.submissions.submit, body.model_dump(exclude_none=True), source="api")
    return {"id": submission.id, "status": "pending"}
