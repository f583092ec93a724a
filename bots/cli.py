"""Entry points for the `galaxy bot` command (the CLI itself lives in assistant/cli.py)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from assistant.errors import ConfigurationError

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)


def _require_token(settings: Settings) -> str:
    from bots.app import TOKEN_HINT

    token = settings.telegram.token.get_secret_value()
    if not token:
        raise ConfigurationError(TOKEN_HINT)
    return token


def _quiet_http_logs() -> None:
    # httpx logs every request URL at INFO, and a Bot API URL contains the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def run_bot(settings: Settings) -> None:
    """Run the Telegram bot with long polling until SIGINT/SIGTERM. Raises ConfigurationError (a GalaxyError)
    without a token, and any GalaxyError that building the services raises."""
    _require_token(settings)
    _quiet_http_logs()
    from assistant.container import build_services
    from bots.app import ALLOWED_UPDATES, build_bot

    services = build_services(settings)
    try:
        application = build_bot(services)
        log.info("Telegram bot polling %s", settings.telegram.base_url)
        application.run_polling(allowed_updates=ALLOWED_UPDATES)
    finally:
        services.close()


def register_webhook(settings: Settings, url: str) -> None:
    """Tell Telegram to deliver updates to `url` (the HTTP API's webhook route), with the configured secret.
    Run once after deploying; `run_bot` (polling) removes the webhook again."""
    token = _require_token(settings)
    secret = settings.telegram.webhook_secret.get_secret_value()
    if not secret:
        raise ConfigurationError("Set GALAXY_TELEGRAM__WEBHOOK_SECRET before registering a webhook.")
    _quiet_http_logs()
    from telegram import Bot

    from bots.app import ALLOWED_UPDATES

    async def register() -> None:
        async with Bot(token, base_url=settings.telegram.base_url) as bot:
            await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)

    asyncio.run(register())
