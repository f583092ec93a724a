"""Saved needs: POST /v1/needs ("tell me when a solution appears"), GET /v1/needs/{token} (its matches),
DELETE /v1/needs/{token} (unsubscribe). The token, returned once, is the only key to a need."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time.
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from api.deps import ChannelDep, ServicesDep, SessionsDep, check_answer_issued
from api.errors import error_responses
from api.schemas import NeedOut, NeedRequest
from assistant.community.needs import NeedMatch, SavedNeed
from assistant.errors import NotFound

router = APIRouter(tags=["needs"])
Token = Annotated[str, PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


def _out(need: SavedNeed, matches: list[NeedMatch]) -> dict[str, Any]:
    return {**need.to_dict(), "matches": [m.to_dict() for m in matches]}


@router.post(
    "/needs",
    status_code=201,
    response_model=NeedOut,
    summary="Save a need: be told when a matching solution is published",
    description='For a question answered "nothing exactly on this". Each solution published later (ingested or '
    "approved) that matches the need, by the search's own model and the places it names, appears in "
    "`GET /v1/needs/{token}`. Saving the same need again returns the same token.",
    responses=error_responses(404),
)
async def save_need(
    body: NeedRequest, services: ServicesDep, sessions: SessionsDep, channel: ChannelDep
) -> dict[str, Any]:
    if body.answer_id:
        await run_in_threadpool(check_answer_issued, services, sessions, body.session_id, body.answer_id)
    elif not sessions.valid(body.session_id):
        raise NotFound("That conversation was not started here.")
    need = await run_in_threadpool(
        lambda: services.needs.save(
            session_id=body.session_id, question=body.question, channel=channel, answer_id=body.answer_id or ""
        )
    )
    return _out(need, [])


@router.get(
    "/needs/{token}",
    response_model=NeedOut,
    summary="A saved need and the solutions published since that match it",
    responses=error_responses(404),
)
async def read_need(token: Token, services: ServicesDep) -> dict[str, Any]:
    need, matches = await run_in_threadpool(services.needs.read, token)
    return _out(need, matches)


@router.delete(
    "/needs/{token}",
    response_model=NeedOut,
    summary="Unsubscribe: no more matches for this need",
    responses=error_responses(404),
)
async def unsubscribe(token: Token, services: ServicesDep) -> dict[str, Any]:
    need = await run_in_threadpool(services.needs.unsubscribe, token)
    return _out(need, [])
