"""Fair use on Telegram, against the fake Bot API: one chat flooding the bot neither stalls another chat nor gets
more than its quota, and in a group the bot answers only what is addressed to it."""

from __future__ import annotations

import time

import pytest

from assistant.answers.engine import Answer
from bots.fairness import UserQuota, addressed_text
from tests.bots.conftest import BotRunner
from tests.fakes.telegram_server import BOT_USER

pytestmark = pytest.mark.slow

QUOTA = 4
ANSWER_S = 0.3


@pytest.fixture(scope="module")
def fair_bot(corpus_services, telegram):
    from bots.app import build_bot

    application = build_bot(corpus_services, token=telegram.token, base_url=telegram.base_url)
    application.bot_data["galaxy"].quota = UserQuota(QUOTA)
    runner = BotRunner(application).start()
    yield runner
    runner.stop()


@pytest.fixture
def slow_engine(corpus_services, monkeypatch):
    """An answer that takes ANSWER_S (a search on a busy machine), naming the question it answers."""
    asked = []

    def ask(question, session_id, **_):
        asked.append(question)
        time.sleep(ANSWER_S)
        return Answer(
            answer_id="a" * 32,
            text=f"Answer to: {question}",
            citations=[],
            language="en",
            grounded=True,
            session_id=session_id,
            query=question,
        )

    monkeypatch.setattr(corpus_services.engine, "ask", ask)
    return asked


def test_a_flooding_chat_gets_its_quota_and_another_chat_is_answered_at_once(fair_bot, telegram, chat_id, slow_engine):
    flooder, other = chat_id, chat_id + 1
    mark = telegram.mark()
    for i in range(200):
        telegram.queue_message(flooder, f"question {i}", language_code="fr")
    time.sleep(0.5)  # the flood is being handled
    sent_at = time.monotonic()
    telegram.queue_message(other, "a question of my own")
    (reply,) = telegram.wait_for("sendMessage", other, after=mark, timeout=30)
    assert reply.text == "Answer to: a question of my own"
    assert reply.at - sent_at < 1.0, f"the other chat waited {reply.at - sent_at:.2f} s"

    replies = telegram.wait_for("sendMessage", flooder, after=mark, count=QUOTA + 1, timeout=60)
    time.sleep(1.5)  # nothing more comes
    replies = telegram.calls_to("sendMessage", flooder, after=mark)
    answers = [r.text for r in replies if r.text.startswith("Answer to:")]
    assert answers == [f"Answer to: question {i}" for i in range(QUOTA)]  # in order, and no more
    (polite,) = [r for r in replies if not r.text.startswith("Answer to:")]
    assert "attendre environ" in polite.text and "secondes" in polite.text  # once, in the user's language
    assert slow_engine.count("a question of my own") == 1 and len(slow_engine) == QUOTA + 1


def group_message(telegram, group_id, user_id, text, **extra):
    chat = {"id": group_id, "type": "supergroup", "title": "Farmers of the Sahel"}
    return telegram.queue_message(group_id, text, chat=chat, user_id=user_id, **extra)


def test_in_a_group_only_mentions_and_replies_are_answered(fair_bot, telegram, chat_id, slow_engine):
    group_id, member = -chat_id, chat_id
    mark = telegram.mark()
    group_message(telegram, group_id, member, "has anyone tried solar irrigation?")
    mention = "@galaxy_test_bot"
    group_message(
        telegram,
        group_id,
        member,
        f"{mention} solar irrigation in Niger",
        entities=[{"type": "mention", "offset": 0, "length": len(mention)}],
    )
    (answer,) = telegram.wait_for("sendMessage", group_id, after=mark, timeout=30)
    assert answer.text == "Answer to: solar irrigation in Niger"

    bot_message = {**telegram.messages[answer.response["message_id"]], "from": BOT_USER}
    group_message(telegram, group_id, member, "and in Mali?", reply_to_message=bot_message)
    replies = telegram.wait_for("sendMessage", group_id, after=mark, count=2, timeout=30)
    assert replies[1].text == "Answer to: and in Mali?"
    time.sleep(0.5)
    assert slow_engine == ["solar irrigation in Niger", "and in Mali?"]  # the group's own talk was left alone


def test_the_quota_is_a_sliding_window_and_warns_once():
    quota = UserQuota(2, window_s=60)
    assert [quota.wait_s(1, now=t) for t in (0, 1)] == [0, 0]
    assert quota.wait_s(1, now=2) == pytest.approx(58)
    assert quota.wait_s(2, now=2) == 0  # another user is not affected
    assert quota.should_warn(1, 58, now=2) and not quota.should_warn(1, 57, now=3)
    assert quota.wait_s(1, now=60.5) == 0  # the first question has left the window
    assert UserQuota(0).wait_s(1) == 0


def test_private_messages_are_always_addressed(telegram):
    from telegram import Message

    update = telegram.message_update(5, "hello")
    message = Message.de_json(update["message"], None)
    assert addressed_text(message, BOT_USER["id"], BOT_USER["username"]) == "hello"
