"""POST /v1/ask: an answer with citations, as JSON or as Server-Sent Events."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time, and the request
# model is built per app (its length limit is a setting).
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import StringConstraints

from api.deps import ChannelDep, ServicesDep, SessionsDep, WorkersDep
from api.schemas import AskBase, AskResponse
from api.streaming import SSE_SCHEMA, event_stream


def wants_stream(stream: bool, request: Request) -> bool:
    return stream or "text/event-stream" in request.headers.get("accept", "")


def router(max_question_chars: int) -> APIRouter:
    class AskRequest(AskBase):
        question: Annotated[str, StringConstraints(min_length=1, max_length=max_question_chars)]

    routes = APIRouter()

    @routes.post(
        "/ask",
        response_model=AskResponse,
        tags=["answers"],
        summary="Answer a question with citations",
        description="With `stream: true` or `Accept: text/event-stream` the answer comes as Server-Sent Events: "
        "`token` {text} pieces, possibly `reset` {text} (replace what was shown), then one `final` "
        "with the answer object; `error` {detail} if it fails midway.",
        responses={200: {"content": {"text/event-stream": {"schema": SSE_SCHEMA}}}},
    )
    async def ask(
        body: AskRequest,
        request: Request,
        services: ServicesDep,
        workers: WorkersDep,
        channel: ChannelDep,
        sessions: SessionsDep,
    ) -> StreamingResponse | dict[str, Any]:
        args: dict[str, Any] = dict(
            question=body.question,
            # Only ids this server issued continue a conversation; any other starts a new one, whose id the
            # answer carries (the widget keeps the id it is given).
            session_id=sessions.own(body.session_id),
            language=body.language,
            filters=body.filters.to_filters() if body.filters else None,
            channel=channel,
        )
        if wants_stream(body.stream, request):
            return await event_stream(workers, services.engine.stream(**args))
        return (await workers.run(services.engine.ask, **args)).to_dict()

    return routes
