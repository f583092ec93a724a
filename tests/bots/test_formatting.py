"""Units of the bot's text handling: compact cuts, HTML splitting, escaping, texts, its chat preferences (the
answer store: test_answer_store)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from bots import formatting
from bots.formatting import answer_message, compact_cut, html_to_plain, split_html, tg_len
from bots.state import ChatPreferences
from bots.texts import EXAMPLES, LANGUAGES, TEXTS, normalise_language, text
from tests.conftest import sqlite_database
from tests.fakes.telegram_server import parse_html


def visible(pieces: list[str]) -> str:
    out = []
    for piece in pieces:
        plain, error = parse_html(piece)
        assert error is None, (error, piece[:200])
        out.append(plain)
    return "".join(out)


def squash(value: str) -> str:
    return re.sub(r"\s+", "", value)


def paragraphs_html(count: int) -> str:
    blocks = []
    for i in range(count):
        blocks.append(
            f"<b>Solution {i}</b> &amp; friends: "
            + "Water kiosks pump with solar panels. " * 6
            + f'<a href="https://galaxy.example.org/doc-{i}?a=1&amp;b=2">Source {i} &lt;pdf&gt;</a>'
        )
    return "\n\n".join(blocks)


def test_split_cuts_only_at_paragraph_boundaries_when_it_can():
    source = paragraphs_html(60)
    assert tg_len(source) > 3 * 4096
    pieces = split_html(source)
    assert len(pieces) >= 4
    assert all(tg_len(p) <= 4096 for p in pieces)
    paragraphs = source.split("\n\n")
    for piece in pieces:
        # every piece is whole paragraphs: it starts one and ends one
        assert any(piece.startswith(p[:40]) for p in paragraphs)
        assert any(piece.endswith(p[-40:]) for p in paragraphs)
    assert squash(visible(pieces)) == squash(visible([source]))


def test_split_inside_one_long_element_closes_and_reopens_it():
    source = "<b>" + "Rainwater cisterns &amp; tanks. " * 400 + "</b>"  # one element, ~12,800 characters
    pieces = split_html(source, limit=4096)
    assert len(pieces) >= 3
    for piece in pieces:
        assert tg_len(piece) <= 4096
        assert piece.startswith("<b>") and piece.endswith("</b>")
    assert squash(visible(pieces)) == squash(visible([source]))
    # it preferred sentence ends to arbitrary places
    assert all(parse_html(p)[0].rstrip().endswith(".") for p in pieces)


def test_split_never_cuts_an_entity_or_a_tag_even_without_spaces():
    source = "&amp;&lt;" * 3000 + '<a href="https://x.example/' + "q" * 50 + '">l</a>'
    pieces = split_html(source, limit=1000)
    assert all(tg_len(p) <= 1000 for p in pieces)
    assert visible(pieces) == "&<" * 3000 + "l"


def test_split_counts_utf16_units_like_telegram():
    source = "🌍" * 5000  # each is two UTF-16 units
    pieces = split_html(source)
    assert len(pieces) == 3
    assert all(tg_len(p) <= 4096 for p in pieces)
    assert "".join(pieces) == source


def test_short_text_is_one_piece_and_empty_is_none():
    assert split_html("hello <b>there</b>") == ["hello <b>there</b>"]
    assert split_html("  \n ") == []


def test_compact_cut_prefers_paragraphs_then_sentences():
    paragraph = "Community water kiosks sell treated water. " * 10  # 440 characters
    body = "\n\n".join([paragraph.strip()] * 6)
    head, rest = compact_cut(body, 1200)
    assert len(head) <= 1200 and head.endswith("water.")
    assert rest and body.startswith(head) and squash(head + rest) == squash(body)
    assert body[len(head) : len(head) + 2] == "\n\n"  # cut at a paragraph boundary

    one_paragraph = "Solar pumps replace diesel ones. " * 80
    head, rest = compact_cut(one_paragraph, 1200)
    assert len(head) <= 1200 and head.endswith(".")
    assert squash(head + rest) == squash(one_paragraph)

    assert compact_cut("short answer", 1200) == ("short answer", "")
    slightly_long = "x " * 650  # 1,300 characters: not worth a More button
    assert compact_cut(slightly_long, 1200)[1] == ""


def test_plain_fallback_drops_tags_but_keeps_links_and_characters():
    source = '<b>Title &amp; co</b>\n[1] <a href="https://e.org/a?x=1&amp;y=2">Doc &lt;1&gt;</a>'
    assert html_to_plain(source) == "Title & co\n[1] Doc <1> (https://e.org/a?x=1&y=2)"


def citation(n, title, url, snippet="A snippet.", countries=("NER",)):
    return SimpleNamespace(n=n, title=title, url=url, snippet=snippet, countries=list(countries))


def test_answer_message_escapes_everything_from_data():
    answer = SimpleNamespace(
        text="Use <script>alert(1)</script> & *stars* _underscores_ [1]",
        citations=[
            citation(1, "Pumps <b>&</b> pipes", 'https://e.org/x"onclick="y'),
            citation(2, "No link", "javascript:alert(1)"),
        ],
        partners=[{"name": "Réseau <Sahel>"}],
    )  # partners stay behind the Partners button
    message, rest = answer_message(answer, "fr")
    assert rest == ""
    plain, error = parse_html(message)
    assert error is None, error
    assert "Use <script>alert(1)</script> & *stars* _underscores_ [1]" in plain
    assert "Pumps <b>&</b> pipes" in plain and "Sahel" not in plain
    assert 'href="https://e.org/x&quot;onclick=&quot;y"' in message
    assert "javascript:" not in message.split("No link")[0][-30:]  # a non-web link is not made clickable
    assert "<b>Sources</b>" in message


def test_long_answer_is_cut_with_the_rest_kept():
    body = "\n".join(f"{i}. Solar irrigation line {i} for market gardens in the Sahel. [1]" for i in range(80))
    answer = SimpleNamespace(text=body, citations=[citation(1, "Doc", "https://e.org/1")], partners=[])
    message, rest = answer_message(answer, "en", compact_chars=1200)
    head = message.split("\n\n<b>Sources</b>")[0]
    assert len(head) <= 1200 + 2 and head.endswith(" …")
    assert rest.startswith(f"{head.count(chr(10)) + 1}. Solar")
    assert squash(head[:-2] + rest) == squash(body)


def test_every_language_has_every_text_and_examples():
    keys = set(TEXTS["en"])
    for lang in LANGUAGES:
        assert set(TEXTS[lang]) == keys, lang
        assert len(EXAMPLES[lang]) >= 2
        assert all(len(f"ex:{lang}:{i}".encode()) <= 64 for i in range(len(EXAMPLES[lang])))
        for key in keys:
            text(
                lang,
                key,
                n=1,
                max=2,
                example="e",
                value="v",
                reason="r",
                title="t",
                id="i",
                question="q",
                name="m",
                need="d",
                seconds=3,
            )
    assert normalise_language("fr-CA") == "fr" and normalise_language("de") is None
    assert text("xx", "apology") == TEXTS["en"]["apology"]


def test_chat_language_survives_reopening(tmp_path):
    database = sqlite_database(tmp_path / "galaxy.sqlite3")
    prefs = ChatPreferences(database)
    assert prefs.language(5) is None
    prefs.set_language(5, "pt")
    prefs.set_language(5, "es")
    prefs.close()
    database.close()
    database = sqlite_database(tmp_path / "galaxy.sqlite3")  # a restart
    again = ChatPreferences(database)
    assert again.language(5) == "es" and again.language(6) is None
    again.close()
    database.close()


@pytest.mark.parametrize(
    "base, expected",
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://127.0.0.1:8081/bot{token}", "http://127.0.0.1:8081/file/bot{token}"),
        ("http://127.0.0.1:8081/custom/", None),
    ],
)
def test_file_url_follows_the_base_url(base, expected):
    from bots.app import file_url_for

    assert file_url_for(base) == expected


def test_partners_message_lists_reasons_and_funding():
    partner = SimpleNamespace(
        name="Atelier <Soleil>",
        countries=["NER"],
        reason="2 matching solution(s): A & B.",
        citations=[SimpleNamespace(title="A", url="https://e.org/a")],
    )
    result = SimpleNamespace(
        partners=[partner],
        funding=[{"title": "Fonds Sahel", "url": "https://e.org/f", "reason": "Cofinance <50 %> & more."}],
    )
    message = formatting.partners_message(result, "fr")
    plain, error = parse_html(message)
    assert error is None
    assert "Partenaires possibles" in plain and "1. Atelier <Soleil> (Niger)" in plain
    assert "2 matching solution(s): A & B." in plain and "Financements possibles" in plain
    assert '<a href="https://e.org/f">Fonds Sahel</a>' in message and "Cofinance <50 %> & more." in plain
    empty = formatting.partners_message(SimpleNamespace(partners=[], funding=[]), "es")
    assert "No encontré" in empty
