"""POST /telegram/webhook: updates pushed by Telegram, handed to the bot (only when a webhook is configured)."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time.
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header

from api.deps import ServicesDep, check_telegram_secret
from api.schemas import TelegramAck

TelegramWebhook = Callable[[dict], Awaitable[None]]


def router(webhook: TelegramWebhook) -> APIRouter:
    routes = APIRouter()

    @routes.post("/telegram/webhook", response_model=TelegramAck, include_in_schema=False)
    async def telegram(
        update: Annotated[dict, Body()],
        services: ServicesDep,
        token: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
    ) -> dict[str, Any]:
        check_telegram_secret(services, token)
        await webhook(update)
        return {"ok": True}

    return routes
