"""Whole conversations: the real Application (polling, rate limiter, handlers) over the corpus services, against
the fake Bot API. Each test uses its own chat id; the services are shared and read-mostly."""

from __future__ import annotations

import logging
import re
import time

import pytest

from assistant.answers.engine import Answer, Citation
from assistant.errors import StoreUnavailable
from assistant.matchmaking.partners import Partner, PartnerCitation, PartnerResult
from tests.fakes.telegram_server import parse_html

pytestmark = pytest.mark.slow

LINK = re.compile(r'<a href="(https://[^"]+)">')


def say(telegram, chat_id, text, *, lang="en", count=1, timeout=90.0):
    """Send a message as the user and return the bot's next `count` messages to that chat."""
    mark = telegram.mark()
    telegram.queue_message(chat_id, text, language_code=lang)
    return telegram.wait_for("sendMessage", chat_id, after=mark, count=count, timeout=timeout)


def press(telegram, chat_id, data, *, lang="en", message_id=None):
    """Press a button; returns (the callback answer call, the mark to look for messages after)."""
    mark = telegram.mark()
    query_id = telegram.queue_callback(chat_id, data, message_id=message_id, language_code=lang)
    answers = telegram.wait_for("answerCallbackQuery", after=mark, timeout=60)
    deadline = time.monotonic() + 60
    while not any(c.params.get("callback_query_id") == query_id for c in answers):
        assert time.monotonic() < deadline, "the callback query was never answered"
        answers = telegram.wait_for("answerCallbackQuery", after=mark, count=len(answers) + 1, timeout=60)
    return next(c for c in answers if c.params.get("callback_query_id") == query_id), mark


def wait_for_text(telegram, chat_id, mark, needle, timeout=60.0):
    """All messages to the chat after `mark`, once one of them contains `needle`."""
    count = 1
    while True:
        calls = telegram.wait_for("sendMessage", chat_id, after=mark, count=count, timeout=timeout)
        if any(needle in c.text for c in calls):
            return calls
        count = len(calls) + 1


def button(call, prefix):
    return next(d for d in call.callback_data() if d.startswith(prefix))


def html_ok(call):
    plain, error = parse_html(call.text)
    assert error is None, error
    return plain


def test_start_greets_in_the_users_language_with_example_buttons(bot, telegram, chat_id):
    assert telegram.calls_to("setMyCommands"), "the command menu is published at start-up"
    french_menu = [c for c in telegram.calls_to("setMyCommands") if c.params.get("language_code") == "fr"]
    assert french_menu and {c["command"] for c in french_menu[0].params["commands"]} >= {"start", "share", "lang"}

    (welcome,) = say(telegram, chat_id, "/start", lang="fr")
    assert "Bonjour" in welcome.text and welcome.params["parse_mode"] == "HTML"
    examples = welcome.callback_data()
    assert len(examples) == 3 and all(d.startswith("ex:fr:") for d in examples)

    _answer_call, mark = press(telegram, chat_id, examples[0], lang="fr")
    (answer,) = telegram.wait_for("sendMessage", chat_id, after=mark, timeout=90)
    plain = html_ok(answer)
    assert plain.startswith("Question : Irrigation solaire")
    assert "Irrigation solaire goutte-à-goutte" in plain  # a corpus title
    assert button(answer, "src:")


def test_question_is_answered_with_citations_links_and_buttons(bot, telegram, chat_id, corpus_services):
    mark = telegram.mark()
    (answer,) = say(telegram, chat_id, "solar irrigation for market gardens in Niger")
    typing = telegram.calls_to("sendChatAction", chat_id, after=mark)
    assert typing and typing[0].params["action"] == "typing" and typing[0].index < answer.index

    assert answer.params["parse_mode"] == "HTML"
    assert answer.params["link_preview_options"] == {"is_disabled": True}
    plain = html_ok(answer)
    assert "Irrigation solaire goutte-à-goutte pour le maraîchage de contre-saison" in plain
    assert "https://galaxy.example.org/solutions/sol-ner-solar-irrigation-market-gardens" in LINK.findall(answer.text)
    data = answer.callback_data()
    assert {d.split(":")[0] for d in data} == {"src", "prt", "up", "dn", "cnx"}
    assert all(len(d.encode()) <= 64 for d in data)
    assert len({d.split(":")[1] for d in data}) == 1  # one short key for the whole answer
    history = corpus_services.conversations.history(f"tg-{chat_id}")
    assert [t.role for t in history] == ["user", "assistant"]


def test_follow_up_uses_the_conversation_memory(bot, telegram, chat_id, corpus_services):
    say(telegram, chat_id, "solar irrigation in Niger")
    (follow,) = say(telegram, chat_id, "who could help with it?")
    plain = html_ok(follow)
    assert "Réseau Sahel Irrigation Solaire" in plain or "Irrigation solaire" in plain
    history = corpus_services.conversations.history(f"tg-{chat_id}")
    assert [t.content for t in history if t.role == "user"] == ["solar irrigation in Niger", "who could help with it?"]


def test_sources_and_partners_buttons(bot, telegram, chat_id):
    (answer,) = say(telegram, chat_id, "solar irrigation for market gardens in Niger")
    cited = LINK.findall(answer.text)

    _, mark = press(telegram, chat_id, button(answer, "src:"))
    (sources,) = telegram.wait_for("sendMessage", chat_id, after=mark)
    plain = html_ok(sources)
    assert plain.startswith("Sources")
    assert set(cited) <= set(LINK.findall(sources.text))
    assert "Niger" in plain  # countries of the cited documents

    _, mark = press(telegram, chat_id, button(answer, "prt:"))
    (partners,) = telegram.wait_for("sendMessage", chat_id, after=mark, timeout=90)
    plain = html_ok(partners)
    assert plain.startswith("Possible partners")
    assert "1. Réseau Sahel Irrigation Solaire" in plain
    assert "matching solution" in plain  # each partner comes with its reason


def test_feedback_is_stored_once_with_the_answer_id(bot, telegram, chat_id, corpus_services):
    (answer,) = say(telegram, chat_id, "fog catchers for drinking water in Peru")
    answer_id = corpus_services.conversations.history(f"tg-{chat_id}")[-1].meta["answer_id"]

    reply, _ = press(telegram, chat_id, button(answer, "up:"))
    assert reply.params.get("text") == "Thank you for your feedback!"
    stored = [f for f in corpus_services.feedback.list(1000) if f.session_id == f"tg-{chat_id}"]
    assert [(f.answer_id, f.rating, f.source) for f in stored] == [(answer_id, "up", "telegram")]

    again, _ = press(telegram, chat_id, button(answer, "dn:"))
    assert again.params.get("text") == "You have already rated this answer."
    assert len([f for f in corpus_services.feedback.list(1000) if f.session_id == f"tg-{chat_id}"]) == 1


def test_unknown_or_forged_button_says_expired(bot, telegram, chat_id):
    for data in ("src:zzzzzzzz", "up:", "nonsense", "more:abcdefgh"):
        reply, _mark = press(telegram, chat_id, data)
        assert reply.params.get("text") == "This answer has expired. Please ask your question again."
    time.sleep(0.5)
    assert not telegram.calls_to("sendMessage", chat_id)


def test_share_walks_through_the_questions_and_files_a_submission(bot, telegram, chat_id, corpus_services, monkeypatch):
    started = time.time()
    asked = []
    real_ask = corpus_services.engine.ask
    monkeypatch.setattr(corpus_services.engine, "ask", lambda *a, **k: asked.append(a) or real_ask(*a, **k))

    assert "1/4" in say(telegram, chat_id, "/share", lang="fr")[0].text
    assert "entre 5 et 200" in say(telegram, chat_id, "Oh", lang="fr")[0].text  # re-asked politely
    assert "2/4" in say(telegram, chat_id, "Séchoirs solaires pour la mangue", lang="fr")[0].text
    assert "« Atlantide »" in say(telegram, chat_id, "Atlantide", lang="fr")[0].text
    assert "3/4" in say(telegram, chat_id, "Sénégal, Mali", lang="fr")[0].text
    assert "20 à 1000" in say(telegram, chat_id, "trop court", lang="fr")[0].text
    problem = "Les mangues pourrissent faute de transport ; des séchoirs solaires les conservent six mois."
    assert "4/4" in say(telegram, chat_id, problem, lang="fr")[0].text
    assert "ne ressemble pas" in say(telegram, chat_id, "demain peut-être", lang="fr")[0].text
    (done,) = say(telegram, chat_id, "sechoirs@example.org", lang="fr")
    assert "Séchoirs solaires pour la mangue" in done.text and "modération" in done.text

    filed = [
        s
        for s in corpus_services.submissions.list()
        if s.title == "Séchoirs solaires pour la mangue" and s.created >= started
    ]
    assert len(filed) == 1
    sub = filed[0]
    assert (sub.source, sub.countries, sub.summary, sub.contact) == (
        "telegram",
        ["SEN", "MLI"],
        problem,
        "sechoirs@example.org",
    )
    assert sub.id in done.text
    assert asked == []  # no step of the conversation was taken for a question

    (after,) = say(telegram, chat_id, "solar irrigation in Niger")  # the conversation is over
    assert button(after, "src:") and len(asked) == 1


def test_cancel_leaves_share_and_other_commands_end_it(bot, telegram, chat_id, corpus_services):
    assert "nothing to cancel" in say(telegram, chat_id, "/cancel")[0].text
    say(telegram, chat_id, "/share")
    say(telegram, chat_id, "A title long enough")
    assert "Nothing was shared" in say(telegram, chat_id, "/cancel")[0].text
    assert not [s for s in corpus_services.submissions.list() if s.title == "A title long enough"]

    say(telegram, chat_id, "/share")
    assert say(telegram, chat_id, "/help")[0].text.startswith("How to use me")  # the command still runs
    (answer,) = say(telegram, chat_id, "rainwater cisterns in semi-arid Brazil")
    assert button(answer, "src:")  # and the next text is a question again, not a title


def test_reset_forgets_the_conversation(bot, telegram, chat_id, corpus_services):
    say(telegram, chat_id, "mangrove restoration in Mozambique")
    assert corpus_services.conversations.history(f"tg-{chat_id}")
    (done,) = say(telegram, chat_id, "/reset", lang="pt")
    assert "esqueci a nossa conversa" in done.text
    assert corpus_services.conversations.history(f"tg-{chat_id}") == []


def test_lang_choice_is_remembered_over_telegrams_language(bot, telegram, chat_id):
    (menu,) = say(telegram, chat_id, "/lang", lang="fr")
    assert menu.callback_data() == ["lang:en", "lang:fr", "lang:es", "lang:pt", "lang:ar", "lang:sw"]
    mark = telegram.mark()
    press(telegram, chat_id, "lang:es", lang="fr", message_id=menu.response["message_id"])
    (edit,) = telegram.wait_for("editMessageText", chat_id, after=mark)
    assert edit.text == "De acuerdo: ahora hablo español." and edit.params["message_id"] == menu.response["message_id"]
    assert say(telegram, chat_id, "/help", lang="fr")[0].text.startswith("Cómo usarme")

    from bots.state import ChatPreferences

    stored = ChatPreferences(bot.application.bot_data["galaxy"].services.kb.database)
    assert stored.language(chat_id) == "es"  # on disk: survives a restart
    stored.close()


def long_answer(question, session_id, **_):
    paragraphs = [
        f"Paragraph {i}: solar pumps <replace> diesel & cut costs by 70 % for group {i}. " * 4 for i in range(40)
    ]
    return Answer(
        answer_id="a" * 32,
        text="\n\n".join(paragraphs),
        language="en",
        grounded=True,
        session_id=session_id,
        query=question,
        citations=[
            Citation(
                1, "doc-1", "Solar pumps & drips", "solution", ["NER"], "https://galaxy.example.org/doc-1", "Snippet."
            )
        ],
    )


def test_long_answer_is_compact_and_more_sends_the_rest_in_valid_pieces(
    bot, telegram, chat_id, corpus_services, monkeypatch
):
    monkeypatch.setattr(corpus_services.engine, "ask", long_answer)
    (first,) = say(telegram, chat_id, "tell me everything about solar pumps")
    plain = html_ok(first)
    assert len(plain) < 1600 and plain.startswith("Paragraph 0:")
    more = button(first, "more:")

    _, mark = press(telegram, chat_id, more)
    full = long_answer("q", "s").text
    pieces = wait_for_text(telegram, chat_id, mark, "group 39.")
    assert len(pieces) >= 3
    texts = [html_ok(p) for p in pieces]
    assert all(len(p.text) <= 4096 for p in pieces)
    paragraphs = {p.strip() for p in full.split("\n\n")}
    for piece in texts:  # cut at paragraph boundaries only
        assert all(block.strip() in paragraphs for block in piece.split("\n\n")), piece[:80]
    shown = plain.split(" …")[0] + "".join(texts)
    assert re.sub(r"\s+", "", shown) == re.sub(r"\s+", "", full)


def test_long_partner_list_is_split_under_the_limit(bot, telegram, chat_id, corpus_services, monkeypatch):
    def many_partners(need, *args, **kwargs):
        partners = [
            Partner(
                f"Partner {i} <co-op> & sons",
                "organisation",
                ["KEN", "SEN"],
                1.0 - i / 100,
                f"{i} matching solution(s): " + "water kiosks; " * 20,
                [PartnerCitation(f"d{i}", f"Doc {i}", f"https://galaxy.example.org/d{i}")],
            )
            for i in range(1, 41)
        ]
        return PartnerResult(partners, [{"title": "Water fund", "url": "https://galaxy.example.org/fund"}])

    monkeypatch.setattr(corpus_services.partners, "suggest", many_partners)
    mark = telegram.mark()
    telegram.queue_message(chat_id, "/partners water kiosks", language_code="en")
    pieces = wait_for_text(telegram, chat_id, mark, "Water fund")
    assert len(pieces) >= 3
    texts = [html_ok(p) for p in pieces]
    assert all(len(p.text) <= 4096 for p in pieces)
    joined = "\n".join(texts)
    positions = [joined.index(f"{i}. Partner {i} <co-op> & sons") for i in range(1, 41)]
    assert positions == sorted(positions)
    assert joined.rstrip().endswith("• Water fund")


def test_partners_command_uses_the_real_finder(bot, telegram, chat_id):
    (usage,) = say(telegram, chat_id, "/partners", lang="es")
    assert "/partners riego solar" in usage.text
    (reply,) = say(telegram, chat_id, "/partners solar irrigation funding in Niger")
    plain = html_ok(reply)
    assert "1. Réseau Sahel Irrigation Solaire" in plain
    assert "Funding opportunities" in plain and "Fonds Sahel" in plain


def test_markup_characters_in_a_question_cause_no_formatting_error(bot, telegram, chat_id):
    mark = telegram.mark()
    question = "<b>solar</b> irrigation <<Niger>> & *market* _gardens_ </i> &amp; <script>x</script>"
    (answer,) = say(telegram, chat_id, question)
    html_ok(answer)
    assert not [c for c in telegram.calls[mark:] if not c.ok]

    echo_mark = telegram.mark()
    (partners,) = say(telegram, chat_id, "/partners <water> & *kiosks* _Kenya_")
    html_ok(partners)
    assert not [c for c in telegram.calls[echo_mark:] if not c.ok]


def test_html_refused_by_telegram_is_resent_as_plain_text(bot, telegram, chat_id):
    telegram.fail_html_once = True
    mark = telegram.mark()
    telegram.queue_message(chat_id, "solar irrigation for market gardens in Niger")
    tries = telegram.wait_for("sendMessage", chat_id, after=mark, count=2, ok_only=False, timeout=90)
    refused, plain = tries
    assert refused.status == 400 and refused.params["parse_mode"] == "HTML"
    assert plain.ok and "parse_mode" not in plain.params
    assert "<" not in plain.text and "&amp;" not in plain.text
    assert "Irrigation solaire goutte-à-goutte" in plain.text
    assert "(https://galaxy.example.org/solutions/sol-ner-solar-irrigation-market-gardens)" in plain.text
    assert plain.callback_data() == refused.callback_data()  # the buttons survive


def test_failing_backend_apologises_in_french_and_logs_the_traceback(
    bot, telegram, chat_id, corpus_services, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("vector store exploded")

    monkeypatch.setattr(corpus_services.engine, "ask", broken)
    with caplog.at_level(logging.ERROR):
        (reply,) = say(telegram, chat_id, "Comment irriguer mes champs ?", lang="fr")
    assert reply.text == "Désolé, un problème est survenu de mon côté. Merci de réessayer dans un instant."
    assert "vector store exploded" not in reply.text
    failures = [r for r in caplog.records if r.exc_info and "vector store exploded" in str(r.exc_info[1])]
    assert failures and "Traceback" in caplog.text

    def unavailable(*args, **kwargs):
        raise StoreUnavailable("chroma down")

    monkeypatch.setattr(corpus_services.engine, "ask", unavailable)
    (reply,) = say(telegram, chat_id, "¿Cómo regar mis campos?", lang="es")
    assert reply.text.startswith("Lo siento")


def test_failing_button_backend_still_answers_the_query(bot, telegram, chat_id, corpus_services, monkeypatch):
    (answer,) = say(telegram, chat_id, "community seed banks in Madagascar")

    def broken(*args, **kwargs):
        raise RuntimeError("feedback store is read-only")

    monkeypatch.setattr(corpus_services.feedback, "add", broken)
    reply, mark = press(telegram, chat_id, button(answer, "up:"))
    assert reply.ok
    (apology,) = telegram.wait_for("sendMessage", chat_id, after=mark)
    assert apology.text.startswith("Sorry")


def test_huge_message_gets_a_polite_reply_and_no_search(bot, telegram, chat_id, corpus_services, monkeypatch):
    called = []
    monkeypatch.setattr(corpus_services.engine, "ask", lambda *a, **k: called.append(a))
    (reply,) = say(telegram, chat_id, "eau " * 1020, lang="fr")  # 4,080 characters
    assert "plus courte" in reply.text and "4079" in reply.text
    assert called == []


def test_non_text_message_is_answered_politely(bot, telegram, chat_id):
    mark = telegram.mark()
    telegram.queue_message(
        chat_id, None, language_code="pt", photo=[{"file_id": "f1", "file_unique_id": "u1", "width": 90, "height": 90}]
    )
    (reply,) = telegram.wait_for("sendMessage", chat_id, after=mark)
    assert reply.text.startswith("Só leio mensagens de texto")


def test_retry_after_is_waited_out_and_the_message_delivered(bot, telegram, chat_id):
    telegram.retry_after_once = 1
    mark = telegram.mark()
    telegram.queue_message(chat_id, "/help")
    calls = telegram.wait_for("sendMessage", chat_id, after=mark, count=2, ok_only=False, timeout=30)
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0
    assert calls[1].text.startswith("How to use me")


def test_ask_command_answers_and_explains_itself_when_empty(bot, telegram, chat_id):
    (usage,) = say(telegram, chat_id, "/ask", lang="fr")
    assert usage.text.startswith("Écrivez votre question après /ask")
    (answer,) = say(telegram, chat_id, "/ask fog catchers for drinking water in Peru")
    assert "Atrapanieblas" in html_ok(answer) and button(answer, "src:")


@pytest.mark.parametrize("lang", ["en", "fr", "es", "pt", "ar", "sw"])
def test_every_start_example_is_answered_from_the_corpus(corpus_services, lang):
    from bots.texts import examples

    for question in examples(lang):
        answer = corpus_services.engine.ask(question, f"examples-{lang}")
        corpus_services.conversations.reset(f"examples-{lang}")
        assert answer.grounded and answer.citations, question
