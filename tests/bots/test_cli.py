"""`galaxy bot` entry points: a clear error without a token, webhook registration, and real long polling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import ConfigurationError, GalaxyError
from assistant.settings import load_settings
from tests.fakes.telegram_server import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


def test_run_bot_without_a_token_says_what_to_set(tmp_path):
    from bots.cli import run_bot

    settings = load_settings(data_dir=tmp_path / "data")
    with pytest.raises(ConfigurationError) as caught:
        run_bot(settings)
    assert isinstance(caught.value, GalaxyError)
    assert "Set GALAXY_TELEGRAM__TOKEN" in caught.value.user_message
    assert not (tmp_path / "data").exists()  # failed before building anything


def test_build_bot_without_a_token_fails_the_same_way(corpus_services):
    from bots.app import build_bot

    with pytest.raises(ConfigurationError, match="GALAXY_TELEGRAM__TOKEN"):
        build_bot(corpus_services)


def test_register_webhook_sends_the_url_and_secret(tmp_path):
    from bots.cli import register_webhook

    with FakeTelegram() as telegram:
        settings = load_settings(
            data_dir=tmp_path,
            telegram={"token": telegram.token, "base_url": telegram.base_url, "webhook_secret": "s3cret"},
        )
        register_webhook(settings, "https://bot.example.org/telegram/webhook")
        (call,) = telegram.calls_to("setWebhook")
        assert call.params["url"] == "https://bot.example.org/telegram/webhook"
        assert call.params["secret_token"] == "s3cret"
        assert call.params["allowed_updates"] == ["message", "callback_query"]
        with pytest.raises(ConfigurationError, match="WEBHOOK_SECRET"):
            register_webhook(load_settings(data_dir=tmp_path, telegram={"token": "1:x"}), "https://x.example")


@pytest.mark.slow
def test_run_bot_polls_answers_and_stops_on_sigint(corpus_data_dir):
    with FakeTelegram() as telegram:
        env = {
            **os.environ,
            "GALAXY_DATA_DIR": str(corpus_data_dir),
            "GALAXY_TELEGRAM__TOKEN": telegram.token,
            "GALAXY_TELEGRAM__BASE_URL": telegram.base_url,
            "HF_HUB_OFFLINE": "1",
        }
        code = (
            "import logging; logging.basicConfig(level=logging.INFO); "
            "from assistant.settings import load_settings; from bots.cli import run_bot; run_bot(load_settings())"
        )
        process = subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            telegram.queue_message(4242, "/start", language_code="fr")
            (welcome,) = telegram.wait_for("sendMessage", 4242, timeout=240)
            assert "Bonjour" in welcome.text
            mark = telegram.mark()
            telegram.queue_message(4242, "fog catchers for water in Peru")
            (answer,) = telegram.wait_for("sendMessage", 4242, after=mark, timeout=120)
            assert "https://galaxy.example.org/" in answer.text
            process.send_signal(signal.SIGINT)
            _, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == 0, stderr[-3000:]
        assert telegram.calls_to("deleteWebhook")  # polling start-up clears any webhook
        assert telegram.token not in stderr  # request URLs (which hold the token) are not logged
