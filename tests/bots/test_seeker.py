"""Under an answer on Telegram: "Connect me" (need, contact, explicit consent -> services.introductions) and the
optional comment of a 👎. The real Application over the corpus services, against the fake Bot API."""

from __future__ import annotations

import pytest

from tests.bots.test_flows import button, press, say

pytestmark = pytest.mark.slow

QUESTION = "solar irrigation for market gardens in Niger"


@pytest.fixture
def introductions(corpus_services):
    store = getattr(corpus_services, "introductions", None)
    if store is None:
        pytest.skip("services.introductions is not there yet (assistant/community/introductions.py)")
    return store


def next_message(telegram, chat_id, mark):
    (message,) = telegram.wait_for("sendMessage", chat_id, after=mark, timeout=60)
    return message


def connect(telegram, chat_id):
    """Ask, press Connect me, pick the first target; returns (the target's name, the answer)."""
    (answer,) = say(telegram, chat_id, QUESTION)
    _, mark = press(telegram, chat_id, button(answer, "cnx:"))
    pick = next_message(telegram, chat_id, mark)
    assert pick.text == "Who would you like to be connected with?"
    first = pick.buttons()[0]
    _, mark = press(telegram, chat_id, first["callback_data"], message_id=pick.response["message_id"])
    assert first["text"] in next_message(telegram, chat_id, mark).text  # "what would you like to achieve with …"
    return first["text"], answer


def test_connect_me_keeps_a_contact_only_with_consent(bot, telegram, chat_id, introductions, corpus_services):
    name, _ = connect(telegram, chat_id)
    (ask_contact,) = say(telegram, chat_id, "We want solar pumps for our women's gardens.")
    assert "How can the Galaxy team reach you" in ask_contact.text
    assert "does not look like" in say(telegram, chat_id, "tomorrow maybe")[0].text
    (consent,) = say(telegram, chat_id, "amina@example.org")
    assert name in consent.text and consent.callback_data() == ["cns:y", "cns:n"]
    _, mark = press(telegram, chat_id, "cns:y", message_id=consent.response["message_id"])
    assert next_message(telegram, chat_id, mark).text.startswith("Thank you! Your request to be connected with")

    intro = introductions.list()[0]
    assert (intro.session_id, intro.channel, intro.need, intro.contact, intro.consent, intro.target_kind) == (
        f"tg-{chat_id}",
        "telegram",
        "We want solar pumps for our women's gardens.",
        "amina@example.org",
        True,
        "solution",
    )
    assert intro.target_id in corpus_services.retriever.documents and intro.target_name.startswith(name)

    connect(telegram, chat_id)
    say(telegram, chat_id, "A second need, without a contact.")
    (done,) = say(telegram, chat_id, "-")
    assert done.text.startswith("Thank you!")
    second = introductions.list()[0]
    assert (second.need, second.contact, second.consent) == ("A second need, without a contact.", "", False)


def test_cancel_stops_connect_me(bot, telegram, chat_id, introductions):
    before = len(introductions.list())
    connect(telegram, chat_id)
    assert say(telegram, chat_id, "/cancel")[0].text == "OK, I have stopped. No request was sent."
    (answer,) = say(telegram, chat_id, "rainwater cisterns in semi-arid Brazil")  # a question again
    assert button(answer, "src:") and len(introductions.list()) == before


def mine(corpus_services, chat_id):
    return [f for f in corpus_services.feedback.list(1000) if f.session_id == f"tg-{chat_id}"]


def test_a_thumbs_down_may_carry_a_comment(bot, telegram, chat_id, corpus_services):
    (answer,) = say(telegram, chat_id, "fog catchers for drinking water in Peru")
    _, mark = press(telegram, chat_id, button(answer, "dn:"))
    prompt = next_message(telegram, chat_id, mark)
    assert prompt.text.startswith("Thank you. What was wrong") and prompt.callback_data() == ["skp:"]
    (thanks,) = say(telegram, chat_id, "It does not say what a fog net costs.")
    assert thanks.text == "Thank you: your comment will help us improve."
    assert [(f.rating, f.comment, f.source) for f in mine(corpus_services, chat_id)] == [
        ("down", "It does not say what a fog net costs.", "telegram")
    ]
    again, _ = press(telegram, chat_id, button(answer, "dn:"))
    assert again.params.get("text") == "You have already rated this answer."

    (other,) = say(telegram, chat_id, "mangrove restoration in Mozambique")
    _, mark = press(telegram, chat_id, button(other, "dn:"))
    next_message(telegram, chat_id, mark)
    assert say(telegram, chat_id, "/help")[0].text.startswith("How to use me")  # the command runs
    assert [(f.rating, f.comment) for f in mine(corpus_services, chat_id)] == [  # stored, without a comment
        ("down", ""),
        ("down", "It does not say what a fog net costs."),
    ]
