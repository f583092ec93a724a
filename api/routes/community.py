"""What people give back: POST /v1/feedback (rate an answer), POST /v1/submissions (share a solution) and
POST /v1/introductions (ask to be connected with a provider or partner)."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time.
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from api.deps import ChannelDep, ServicesDep, SessionsDep, check_answer_issued
from api.errors import error_responses
from api.schemas import (
    Created,
    FeedbackRequest,
    IntroductionCreated,
    IntroductionRequest,
    SubmissionAccepted,
    SubmissionRequest,
    SubmissionStatusOut,
)
from assistant.errors import NotFound

router = APIRouter()

#: Why an introduction request is refused (404): a session id this server never issued (a guess, a forgery,
#: another channel's id), or an answer that was not given in that conversation.
NOT_OUR_CONVERSATION = "That conversation was not started here, so no introduction can be requested from it."
NOT_IN_THIS_CONVERSATION = "That answer was not given in this conversation, so no introduction can be requested for it."


@router.post(
    "/feedback",
    status_code=201,
    response_model=Created,
    tags=["feedback"],
    summary="Rate an answer",
    description="Only an answer given in that conversation can be rated (404 otherwise).",
    responses=error_responses(404),
)
async def feedback(
    body: FeedbackRequest, services: ServicesDep, channel: ChannelDep, sessions: SessionsDep
) -> dict[str, Any]:
    await run_in_threadpool(check_answer_issued, services, sessions, body.session_id, body.answer_id)
    feedback_id = await run_in_threadpool(
        services.feedback.add, body.session_id, body.answer_id, body.rating, body.comment, source=channel
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


@router.get(
    "/submissions/{submission_id}",
    response_model=SubmissionStatusOut,
    tags=["submissions"],
    summary="Where a shared solution stands: pending, approved, or rejected with the reason",
)
async def submission_status(
    submission_id: Annotated[str, PathParam(max_length=100)], services: ServicesDep
) -> dict[str, Any]:
    sub = await run_in_threadpool(services.submissions.get, submission_id)  # NotFound: 404
    return {"id": sub.id, "status": sub.status, "reason": sub.reason, "decided": sub.decided}


@router.post(
    "/introductions",
    status_code=201,
    response_model=IntroductionCreated,
    tags=["introductions"],
    summary="Ask to be connected with the provider of a cited solution or a suggested partner",
    description="The request goes to the knowledge managers; the contact is kept only with `consent: true` and "
    "is shown only to them, never in answers. Only from a conversation this server started (`session_id` as an "
    "answer gave it), and about an answer given in it (`answer_id`, when sent): 404 otherwise.",
    responses=error_responses(404),
)
async def introduce(
    body: IntroductionRequest, services: ServicesDep, channel: ChannelDep, sessions: SessionsDep
) -> dict[str, Any]:
    if not sessions.valid(body.session_id):
        raise NotFound(NOT_OUR_CONVERSATION)
    if body.answer_id:
        given = await run_in_threadpool(services.conversations.has_answer, body.session_id, body.answer_id)
        if not given:
            raise NotFound(NOT_IN_THIS_CONVERSATION)
    intro = await run_in_threadpool(
        services.introductions.create,
        session_id=body.session_id,
        channel=channel,
        need=body.need,
        contact=body.contact,
        consent=body.consent,
        target_kind=body.target_kind,
        target_id=body.target_id,
        target_name=body.target_name,
        answer_id=body.answer_id or "",
    )
    return {"id": intro.id, "status": intro.status}
