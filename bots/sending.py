"""Sending to Telegram for the handlers: HTML split under the message limit with a plain-text fallback, and the
"typing…" indicator kept alive while an answer is computed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from bots import formatting

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # low bandwidth: never fetch link previews
TYPING_REFRESH_S = 4.5  # Telegram shows "typing…" for about 5 seconds


def is_parse_error(exc: BadRequest) -> bool:
    return "parse entities" in str(exc).lower()


async def send_html(
    bot: Bot, chat_id: int, html_text: str, reply_markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send Telegram HTML, split under the limit (keyboard on the last piece). A piece Telegram refuses to parse
    is sent again as plain text, without tags."""
    pieces = formatting.split_html(html_text) or ["…"]
    sent = []
    for i, piece in enumerate(pieces):
        markup = reply_markup if i == len(pieces) - 1 else None
        try:
            sent.append(
                await bot.send_message(
                    chat_id, piece, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=NO_PREVIEW
                )
            )
        except BadRequest as exc:
            if not is_parse_error(exc):
                raise
            log.warning("Telegram refused the HTML of a message (%s); sending it as plain text", exc)
            sent.append(
                await bot.send_message(
                    chat_id,
                    formatting.html_to_plain(piece),
                    parse_mode=None,
                    reply_markup=markup,
                    link_preview_options=NO_PREVIEW,
                )
            )
    return sent


async def send_plain(
    bot: Bot, chat_id: int, value: str, reply_markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    return await send_html(bot, chat_id, formatting.esc(value), reply_markup)


@asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" now, and keep it shown while the block runs."""
    with suppress(TelegramError):
        await bot.send_chat_action(chat_id, ChatAction.TYPING)

    async def keep_typing() -> None:
        while True:
            await asyncio.sleep(TYPING_REFRESH_S)
            with suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.TYPING)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
