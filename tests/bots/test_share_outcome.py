"""A /share submitter is told the moderators' decision on Telegram: the real Application over the corpus
services, the fake Bot API. The decided submission is the outbox row, told once, in the submitter's language."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.bots.conftest import BotRunner
from tests.bots.test_flows import html_ok, say

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def telling_bot(corpus_services, telegram):
    from bots.app import build_bot

    application = build_bot(corpus_services, token=telegram.token, base_url=telegram.base_url, notify_interval_s=0.2)
    runner = BotRunner(application).start()
    yield runner
    runner.stop()


def share(telegram, chat_id, corpus_services, title: str, lang: str):
    for step in ("/share", title, "-", "Fishers lose half the catch before it reaches a market, every season."):
        say(telegram, chat_id, step, lang=lang)
    (done,) = say(telegram, chat_id, "-", lang=lang)
    (sub,) = [s for s in corpus_services.submissions.list() if s.title == title and s.id in done.text]
    return sub


def test_a_rejected_submitter_gets_one_message_with_the_reason_in_their_language(
    telling_bot, telegram, chat_id, corpus_services
):
    title = f"Cajas de hielo solares {uuid.uuid4().hex[:6]}"
    sub = share(telegram, chat_id, corpus_services, title, "es")
    assert str(chat_id) not in json.dumps(sub.to_dict())  # the chat is kept apart from what listings show
    mark = telegram.mark()
    time.sleep(1.0)  # several rounds of the sender: a pending submission has nothing to tell
    assert telegram.calls_to("sendMessage", chat_id, after=mark) == []

    corpus_services.submissions.reject(sub.id, "Falta un contacto <verificable> & un enlace.")
    (told,) = telegram.wait_for("sendMessage", chat_id, after=mark, timeout=30)
    assert html_ok(told) == (
        f"Su solución «{title}» no fue publicada. "
        "Motivo de los moderadores: Falta un contacto <verificable> & un enlace."
    )
    time.sleep(1.5)  # several rounds of the sender: told once
    assert len(telegram.calls_to("sendMessage", chat_id, after=mark)) == 1
    assert all(s.id != sub.id for s, _, _ in corpus_services.submissions.untold(1000))


def test_an_approved_submitter_is_told_it_is_published(telling_bot, telegram, chat_id, corpus_services):
    title = f"Solar ice boxes for fishers {uuid.uuid4().hex[:6]}"
    sub = share(telegram, chat_id, corpus_services, title, "en")
    mark = telegram.mark()
    before = set(corpus_services.retriever.documents)
    try:
        corpus_services.approve_submission(sub.id)
        (told,) = telegram.wait_for("sendMessage", chat_id, after=mark, timeout=30)
        assert told.text.startswith(f"Good news: your solution “{title}” was approved")
    finally:
        corpus_services.delete_documents(list(set(corpus_services.retriever.documents) - before))
