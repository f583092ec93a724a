"""'Tell me when a solution appears' on Telegram: the real Application over the corpus services, the fake Bot API.
A need saved from a "nothing exactly on this" answer is notified exactly once, after a matching submission is
approved, and not after an unrelated one."""

from __future__ import annotations

import time

import pytest

from tests.bots.conftest import BotRunner
from tests.bots.test_flows import button, press, say
from tests.fakes.needs import MATCHING, NEED, UNRELATED

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def notifying_bot(corpus_services, telegram):
    from bots.app import build_bot

    application = build_bot(corpus_services, token=telegram.token, base_url=telegram.base_url, notify_interval_s=0.2)
    runner = BotRunner(application).start()
    yield runner
    runner.stop()


def approve(services, submission: dict) -> str:
    before = set(services.retriever.documents)
    services.approve_submission(services.submissions.submit(dict(submission), source="api").id)
    (doc_id,) = set(services.retriever.documents) - before
    return doc_id


def test_a_saved_need_is_notified_once_after_a_matching_approval_only(
    notifying_bot, telegram, chat_id, corpus_services
):
    (answer,) = say(telegram, chat_id, NEED)
    _, mark = press(telegram, chat_id, button(answer, "ntf:"))
    (saved,) = telegram.wait_for("sendMessage", chat_id, after=mark)
    assert saved.text.startswith("Saved.")
    unsubscribe = button(saved, "uns:")
    (need,) = [n for n in corpus_services.needs.recent(50) if n.chat_id == chat_id]
    assert (need.question, need.channel, need.places) == (NEED, "telegram", ["ETH"])

    published = []
    try:
        mark = telegram.mark()
        published.append(approve(corpus_services, UNRELATED))
        time.sleep(1.5)  # several rounds of the sender
        assert telegram.calls_to("sendMessage", chat_id, after=mark) == []

        published.append(approve(corpus_services, MATCHING))
        (notice,) = telegram.wait_for("sendMessage", chat_id, after=mark, timeout=30)
        assert MATCHING["title"] in notice.text and need.question in notice.text
        assert button(notice, "uns:") == unsubscribe
        # Matched again (another process, a refresh after a restart): still one message.
        corpus_services.refresh()
        from assistant.community.needs import published_since

        corpus_services.needs.match(published_since(set(), corpus_services.retriever.snapshot))
        time.sleep(1.5)
        assert len(telegram.calls_to("sendMessage", chat_id, after=mark)) == 1

        reply, _ = press(telegram, chat_id, unsubscribe, message_id=notice.response["message_id"])
        assert reply.params.get("text") == "Done: no more alerts for this need."
        assert corpus_services.needs.get(need.token)[0].status == "closed"
    finally:
        corpus_services.delete_documents(published)


def test_another_chat_cannot_unsubscribe_a_need(notifying_bot, telegram, chat_id, corpus_services):
    need = corpus_services.needs.save(session_id=f"tg-{chat_id}", question=NEED, channel="telegram", chat_id=chat_id)
    reply, _ = press(telegram, chat_id + 1, f"uns:{need.token}")
    assert reply.params.get("text") == "This answer has expired. Please ask your question again."
    assert corpus_services.needs.get(need.token)[0].status == "open"
    corpus_services.needs.unsubscribe(need.token)
