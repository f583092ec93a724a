"""Webhook mode: the HTTP API receives Telegram's POSTs (checking X-Telegram-Bot-Api-Secret-Token) and hands
each update's JSON to a TelegramWebhook.

    webhook = TelegramWebhook(build_bot(services))      # at start-up; nothing runs yet
    app = create_app(services, telegram_webhook=webhook)  # the API awaits webhook(update_json) per request
    ...
    await webhook.aclose()                                # on shutdown

The Application is initialised and started once, lazily, on the first update (so on the server's own event
loop). Updates are queued to the Application, which processes them in the background with the same per-chat
ordering and bounded concurrency as polling, so Telegram gets its 200 at once instead of waiting for an answer.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import Application

from bots.app import galaxy_bot

log = logging.getLogger(__name__)


class TelegramWebhook:
    def __init__(self, application: Application):
        self.application = application
        self._lock: asyncio.Lock | None = None
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._started:
                return
            await self.application.initialize()
            await galaxy_bot(self.application).post_init(self.application)  # commands, need notifier
            await self.application.start()
            self._started = True

    async def __call__(self, update_json: dict) -> None:
        await self.start()
        try:
            update = Update.de_json(update_json, self.application.bot)
        except Exception:  # a malformed body must not make Telegram retry it forever
            log.warning("ignoring a webhook body that is not a Telegram update", exc_info=True)
            return
        if update is not None:
            await self.application.update_queue.put(update)

    async def aclose(self) -> None:
        """Finish the updates in hand and release the Application (and the bot's own store)."""
        if self._started:
            self._started = False
            await self.application.stop()
            await self.application.shutdown()
        await galaxy_bot(self.application).post_shutdown(self.application)  # notifier, pending 👎, store


async def make_webhook_handler(application: Application) -> TelegramWebhook:
    """Start the Application now (call this on the server's event loop) and return the per-update callable."""
    webhook = TelegramWebhook(application)
    await webhook.start()
    return webhook
