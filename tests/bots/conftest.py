"""A real python-telegram-bot Application over the corpus services, polling a fake Bot API on loopback.

The Application runs on its own event loop in a background thread, so tests stay synchronous: they queue
updates on the fake server and wait for the calls the bot makes."""

from __future__ import annotations

import asyncio
import itertools
import random
import threading

import pytest

from tests.fakes.telegram_server import FakeTelegram

# Random base: the stores live as long as the data directory, and ids must not meet earlier runs' ones.
_chat_ids = itertools.count(random.randrange(10**9, 9 * 10**9, 10**6))


class BotRunner:
    def __init__(self, application):
        self.application = application
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="telegram-bot", daemon=True)

    def _run(self, coroutine, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self) -> BotRunner:
        from bots.app import ALLOWED_UPDATES

        self.thread.start()

        async def start():
            app = self.application
            await app.initialize()
            if app.post_init:
                await app.post_init(app)
            await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
            await app.start()

        self._run(start())
        return self

    def stop(self) -> None:
        async def stop():
            app = self.application
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
            if app.post_shutdown:
                await app.post_shutdown(app)

        try:
            self._run(stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@pytest.fixture
def chat_id() -> int:
    """A chat id no other test uses (the corpus services and their stores are shared by the session)."""
    return next(_chat_ids)


@pytest.fixture(scope="module")
def telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture(scope="module")
def bot(corpus_services, telegram):
    from bots.app import build_bot

    application = build_bot(corpus_services, token=telegram.token, base_url=telegram.base_url)
    runner = BotRunner(application).start()
    yield runner
    runner.stop()
