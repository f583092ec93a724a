"""Streamed answers as Server-Sent Events: `token` and `reset` {text}, one `final` answer, or `error` {detail}."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi.responses import StreamingResponse

from api.deps import Workers
from api.errors import GENERIC_ERROR
from api.schemas import AskResponse
from assistant.answers.events import AnswerEvent, Final
from assistant.errors import GalaxyError

log = logging.getLogger("api")


def _sse_event(event: str, data_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"const": event},
            "data": {"type": "string", "contentMediaType": "application/json", "contentSchema": data_schema},
        },
    }


_TEXT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
#: Each Server-Sent Event of a streamed answer (OpenAPI < 3.2: the media type's schema describes one event).
SSE_SCHEMA = {
    "oneOf": [
        _sse_event("token", _TEXT),
        _sse_event("reset", _TEXT),
        _sse_event("final", {"$ref": "#/components/schemas/AskResponse"}),
        _sse_event("error", {"$ref": "#/components/schemas/ErrorResponse"}),
    ]
}


def _sse(event: str, data: dict) -> str:
    # json.dumps never emits a raw newline, so one `data:` line always holds the whole payload.
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _answer_json(answer: Any) -> dict:
    return AskResponse.model_validate(answer.to_dict()).model_dump(mode="json")


def _encode(event: AnswerEvent) -> str:
    if isinstance(event, Final):
        return _sse(event.kind, _answer_json(event.answer))
    kind, text = event  # a Token or a Reset: its event name and its text
    return _sse(kind, {"text": text})


async def event_stream(workers: Workers, events: Iterator[AnswerEvent]) -> StreamingResponse:
    items = workers.iterate(events)
    # The first event comes before the response starts, so failures in retrieval keep their status code.
    first = await anext(items)

    async def body() -> AsyncIterator[str]:
        try:
            yield _encode(first)
            async for event in items:
                yield _encode(event)
        except GalaxyError as exc:
            log.warning("answer stream failed: %s", exc)
            yield _sse("error", {"detail": exc.user_message})
        except Exception:
            log.exception("answer stream failed")
            yield _sse("error", {"detail": GENERIC_ERROR})
        finally:
            await items.aclose()

    return StreamingResponse(
        body(),
        media_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
