"""Webhook mode: the callable the HTTP API awaits per Telegram POST."""

from __future__ import annotations

import asyncio
import random

import pytest

from tests.fakes.telegram_server import FakeTelegram

pytestmark = pytest.mark.slow


def test_webhook_handler_processes_updates_without_polling(corpus_services):
    from bots.app import build_bot
    from bots.webhook import TelegramWebhook, make_webhook_handler

    chat_id = random.randrange(10**9, 9 * 10**9)
    with FakeTelegram() as telegram:
        application = build_bot(corpus_services, token=telegram.token, base_url=telegram.base_url)

        async def scenario():
            webhook = await make_webhook_handler(application)
            assert isinstance(webhook, TelegramWebhook)
            await webhook(telegram.message_update(chat_id, "solar irrigation for market gardens in Niger"))
            (answer,) = await asyncio.to_thread(telegram.wait_for, "sendMessage", chat_id, timeout=90)
            source_button = next(d for d in answer.callback_data() if d.startswith("src:"))

            mark = telegram.mark()
            await webhook(telegram.callback_update(chat_id, source_button, message_id=answer.response["message_id"]))
            (sources,) = await asyncio.to_thread(telegram.wait_for, "sendMessage", chat_id, after=mark, timeout=60)
            await webhook({"update_id": "not a number", "message": "nonsense"})  # ignored, not raised
            await webhook.aclose()
            return answer, sources

        answer, sources = asyncio.run(scenario())
        assert "Irrigation solaire goutte-à-goutte" in answer.text and answer.params["parse_mode"] == "HTML"
        assert sources.text.startswith("<b>Sources</b>")
        assert telegram.calls_to("answerCallbackQuery")
        assert not telegram.calls_to("getUpdates"), "webhook mode must not poll"
        assert telegram.calls_to("setMyCommands")


def test_webhook_starts_lazily_on_the_first_update(corpus_services):
    from bots.app import build_bot
    from bots.webhook import TelegramWebhook

    chat_id = random.randrange(10**9, 9 * 10**9)
    with FakeTelegram() as telegram:
        webhook = TelegramWebhook(build_bot(corpus_services, token=telegram.token, base_url=telegram.base_url))
        assert telegram.calls == []  # building it calls nothing

        async def scenario():
            await asyncio.gather(
                webhook(telegram.message_update(chat_id, "/help", language_code="ar")),
                webhook(telegram.message_update(chat_id, "/lang", language_code="ar")),
            )
            calls = await asyncio.to_thread(telegram.wait_for, "sendMessage", chat_id, count=2, timeout=30)
            await webhook.aclose()
            return calls

        help_reply, lang_reply = asyncio.run(scenario())
        assert help_reply.text.startswith("طريقة الاستخدام")  # in order: one chat's updates are not reordered
        assert lang_reply.callback_data()[0] == "lang:en"
        assert len(telegram.calls_to("getMe")) == 1  # initialised once
