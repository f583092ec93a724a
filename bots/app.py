"""Build the Telegram Application over the shared services (nothing is created at import time)."""

from __future__ import annotations

import logging
import re
from collections import deque
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.ext import AIORateLimiter, Application, BaseUpdateProcessor

from assistant.errors import ConfigurationError
from bots.fairness import UserQuota
from bots.handlers import GalaxyBot
from bots.notify import POLL_INTERVAL_S, NeedNotifier
from bots.state import AnswerStore, ChatPreferences

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from assistant.container import Services

#: Updates the bot needs; asking Telegram for nothing else keeps the traffic small.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MAX_CONCURRENT_UPDATES = 8
#: Updates a chat may have waiting behind the one being handled; a flood beyond it is dropped.
MAX_QUEUED_PER_CHAT = 50
#: RetryAfter (HTTP 429) answers are waited out and retried this many times by the rate limiter.
MAX_RETRIES = 3
TOKEN_HINT = (
    "Set GALAXY_TELEGRAM__TOKEN to the bot token from @BotFather (and GALAXY_TELEGRAM__BASE_URL "
    "if you use your own Bot API server)."
)
log = logging.getLogger(__name__)


def _chat_key(update: object) -> int | None:
    """The chat an update belongs to (its user's id when it has no chat); None when it has neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


async def _run_logged(coroutine: Awaitable[Any]) -> None:
    """Handle one update; a failure (handlers' own errors already went to the error handler) must not stop the
    chat's queue."""
    try:
        await coroutine
    except Exception:
        log.exception("an update failed outside its handlers")


def _discard(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()  # never awaited: closing it spares a "coroutine was never awaited" warning


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Several chats at once, but one update at a time per chat: a follow-up question is answered after the
    question it follows, and the /share conversation sees its steps in order.

    PTB holds one of its `max_concurrent_updates` slots while `do_process_update` runs. Waiting there for a busy
    chat would let one chat's queue hold every slot (200 updates from one chat kept another chat waiting 12 s),
    so an update for a busy chat is only queued behind it and its slot released at once: the chat's running
    update works through the queue in order, in the one slot it holds."""

    def __init__(
        self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES, max_queued_per_chat: int = MAX_QUEUED_PER_CHAT
    ):
        super().__init__(max_concurrent_updates)
        self.max_queued_per_chat = max_queued_per_chat
        self._queues: dict[int, deque[Awaitable[Any]]] = {}  # chat id -> updates waiting behind the running one

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        waiting = self._queues.get(key)
        if waiting is not None:  # the chat is busy: its running update will take this one
            if len(waiting) >= self.max_queued_per_chat:
                log.warning("chat %s has %d updates waiting: dropping one", key, len(waiting))
                _discard(coroutine)
                return
            waiting.append(coroutine)
            return
        waiting = self._queues[key] = deque()
        try:
            await _run_logged(coroutine)
            while waiting:
                await _run_logged(waiting.popleft())
        finally:
            while waiting:  # cancelled (shutting down): the rest is never run
                _discard(waiting.popleft())
            del self._queues[key]

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
    notify_interval_s: float = POLL_INTERVAL_S,
) -> Application:
    """The Telegram Application for these services; run it with run_polling() or feed it webhooks
    (bots.webhook.TelegramWebhook). Token and Bot API base URL default to services.settings.telegram."""
    telegram = services.settings.telegram
    token = token or telegram.token.get_secret_value()
    if not token:
        raise ConfigurationError(TOKEN_HINT)
    base_url = base_url or telegram.base_url
    base_file_url = base_file_url or file_url_for(base_url)
    preferences = ChatPreferences(services.kb.database)
    bot = GalaxyBot(
        services,
        preferences,
        AnswerStore(services.kb.database),
        max_question_chars=services.settings.api.max_question_chars,
        quota=UserQuota(telegram.questions_per_minute),
        notifier=NeedNotifier(services.needs, submissions=services.submissions, interval_s=notify_interval_s),
    )
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
