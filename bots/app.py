"""Build the Telegram Application over the shared services (nothing is created at import time)."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, BaseUpdateProcessor

from assistant.errors import ConfigurationError
from bots.handlers import GalaxyBot
from bots.state import AnswerCache, ChatPreferences

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from assistant.container import Services

#: Updates the bot needs; asking Telegram for nothing else keeps the traffic small.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MAX_CONCURRENT_UPDATES = 8
#: RetryAfter (HTTP 429) answers are waited out and retried this many times by the rate limiter.
MAX_RETRIES = 3
TOKEN_HINT = (
    "Set GALAXY_TELEGRAM__TOKEN to the bot token from @BotFather (and GALAXY_TELEGRAM__BASE_URL "
    "if you use your own Bot API server)."
)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Several chats at once, but one update at a time per chat: a follow-up question is answered after the
    question it follows, and the /share conversation sees its steps in order."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, list[Any]] = {}  # chat id -> [lock, number of updates holding or waiting]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = None
        if isinstance(update, Update):
            if update.effective_chat is not None:
                key = update.effective_chat.id
            elif update.effective_user is not None:
                key = update.effective_user.id
        if key is None:
            await coroutine
            return
        slot = self._locks.setdefault(key, [asyncio.Lock(), 0])
        slot[1] += 1
        try:
            async with slot[0]:
                await coroutine
        finally:
            slot[1] -= 1
            if slot[1] == 0:
                self._locks.pop(key, None)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def file_url_for(base_url: str) -> str | None:
    """python-telegram-bot's base_file_url matching a base_url: 'http://host/bot' -> 'http://host/file/bot'."""
    match = re.search(r"/bot(\{token\})?$", base_url)
    if match is None:
        return None
    return base_url[: match.start()] + "/file/bot" + (match.group(1) or "")


def build_bot(
    services: Services,
    *,
    token: str | None = None,
    base_url: str | None = None,
    base_file_url: str | None = None,
    max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
) -> Application:
    """The Telegram Application for these services; run it with run_polling() or feed it webhooks
    (bots.webhook.TelegramWebhook). Token and Bot API base URL default to services.settings.telegram."""
    telegram = services.settings.telegram
    token = token or telegram.token.get_secret_value()
    if not token:
        raise ConfigurationError(TOKEN_HINT)
    base_url = base_url or telegram.base_url
    base_file_url = base_file_url or file_url_for(base_url)
    preferences = ChatPreferences(services.settings.data_dir / "telegram.sqlite3")
    bot = GalaxyBot(services, preferences, AnswerCache(), max_question_chars=services.settings.api.max_question_chars)
    builder = (
        Application.builder()
        .token(token)
        .base_url(base_url)
        .rate_limiter(AIORateLimiter(max_retries=MAX_RETRIES))
        .concurrent_updates(PerChatUpdateProcessor(max_concurrent_updates))
        .post_init(bot.post_init)
        .post_shutdown(bot.post_shutdown)
    )
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    application = builder.build()
    bot.register(application)
    application.bot_data["galaxy"] = bot
    return application


def galaxy_bot(application: Application) -> GalaxyBot:
    return application.bot_data["galaxy"]
