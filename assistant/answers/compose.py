"""The extractive answer, written in the asker's language: a lead sentence, then per record its place, kind, SDGs,
facts and what it does. Words taken from a record in another language are marked as a quote with that language
(« Solar water kiosks » (EN)); the assistant's own words all come from assistant/locales/.

Also here: which of the four outcomes a message gets (answered, nothing exactly on this, outside the knowledge
base's scope, a greeting), detected from the phrase lists of assistant/data/intents.json.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from assistant.matchmaking.funding import deadline_status
from assistant.retrieval.retriever import Hit
from assistant.text.data import read_data
from assistant.text.geo import country_name, normalise
from assistant.text.language import detect_language
from assistant.text.locales import phrase, texts

ANSWERED = "answered"
NOTHING_EXACT = "nothing_exact"
OUT_OF_SCOPE = "out_of_scope"
GREETING = "greeting"

#: A greeting leaves at most this many words once its greeting and capability phrases are removed.
GREETING_LEFTOVER = 1
MAX_PLACES = 3
MAX_SDGS = 2
SELF_INTRO_EXAMPLES = 3


def _say(language: str, key: str, **values: object) -> str:
    return phrase(language, f"answer.{key}", **values)


@functools.cache
def _sdg_names() -> dict[int, dict[str, str]]:
    return {goal["number"]: goal["names"] for goal in read_data("sdgs.json")["goals"]}


@functools.cache
def _intents() -> dict[str, Any]:
    data = read_data("intents.json")
    phrases: dict[str, Any] = {
        group: {lang: [tuple(normalise(p).split()) for p in items] for lang, items in data[group].items()}
        for group in ("greetings", "capabilities", "out_of_scope")
    }
    phrases["fillers"] = {normalise(w) for w in data["fillers"]}
    return phrases


def _find(words: list[str], phrase_words: tuple[str, ...]) -> int:
    n = len(phrase_words)
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) == phrase_words:
            return i
    return -1


def _remove(words: list[str], groups: Iterable[dict[str, list[tuple[str, ...]]]]) -> tuple[list[str], list[str]]:
    """The words left once every phrase of the groups is taken out, and the languages of the phrases found."""
    found: list[str] = []
    candidates = [(p, lang) for group in groups for lang, items in group.items() for p in items]
    for phrase_words, lang in sorted(candidates, key=lambda c: -len(c[0])):
        while (i := _find(words, phrase_words)) >= 0:
            words = words[:i] + words[i + len(phrase_words) :]
            found.append(lang)
    return words, found


def greeting_language(message: str) -> str | None:
    """The language of a greeting or a question about the assistant ("Bonjour, que peux-tu faire ?"), else None."""
    intents = _intents()
    left, greeted = _remove(normalise(message).split(), (intents["greetings"],))
    left, asked = _remove(left, (intents["capabilities"],))
    if not greeted and not asked:
        return None
    left = [w for w in left if w not in intents["fillers"]]
    if len(left) > GREETING_LEFTOVER:
        return None
    # The most found language; on a tie, the greeting's own ("Olá, como funciona?": Portuguese, although
    # "como funciona" is Spanish too). Too short for language detection to do better.
    return Counter(greeted + asked).most_common(1)[0][0]


def out_of_scope_phrases(message: str) -> list[tuple[str, ...]]:
    """The out-of-scope phrases a message names (sports results, exchange rates, weather, recipes...)."""
    words = normalise(message).split()
    return [p for items in _intents()["out_of_scope"].values() for p in items if _find(words, p) >= 0]


def is_out_of_scope(message: str, hits: list[Hit]) -> bool:
    """Names an out-of-scope topic that the best passages retrieved for it never mention."""
    named = out_of_scope_phrases(message)
    if not named:
        return False
    passages = [normalise(f"{h.doc.title} {h.chunk.text}").split() for h in hits[:3]]
    return not any(_find(words, p) >= 0 for p in named for words in passages)


# -- pieces of an answer ---------------------------------------------------------------------------------------------


def quoted(text: str, text_language: str | None, language: str) -> str:
    """A record's own words: as they are in the asker's language, else marked as a quote with their language
    (the text's own, when it is long enough to tell: a record's French sentence under an English label)."""
    if not text or not text_language:
        return text
    if len(text.split()) >= DETECT_WORDS:
        text_language = _language_of(text, text_language)
    if text_language == language:
        return text
    return _say(language, "quote", text=_inner_quotes(text), code=text_language.upper())


#: Quotation marks inside a quote, one level down: a record's own « Mon milieu » inside the guillemets that mark
#: it as a quote would read «« Mon milieu » est ...» and end the quote early.
#: French spacing inside guillemets (« Mon milieu ») is dropped with them.
_INNER_QUOTES = str.maketrans({"“": "‘", "”": "’"})
_GUILLEMETS = (re.compile(r"«\s*"), re.compile(r"\s*»"))


def _inner_quotes(text: str) -> str:
    opening, closing = _GUILLEMETS
    return closing.sub("”", opening.sub("“", text.translate(_INNER_QUOTES)))


@functools.lru_cache(maxsize=4096)
def _language_of(text: str, default: str) -> str:
    return detect_language(text, default=default)


def record_language(doc: Any) -> str:
    """The language a record is written in, from its own text (a loader's tag can be wrong: French AccLabs
    records came tagged English); its short title is quoted in it."""
    sample = (doc.summary or doc.body or "")[:400]
    return _language_of(sample, doc.language) if len(sample.split()) >= DETECT_WORDS else doc.language


def places(countries: list[str], language: str) -> str:
    return phrase(language, "list_separator").join(country_name(c, language) for c in countries[:MAX_PLACES])


def _place_label(hit: Hit, language: str) -> str:
    """The record's countries, nearest first; how it matches the named place follows the nearest one, which it
    describes ("Brazil (neighbouring country), South Africa, Kenya"), not the whole list."""
    names = [country_name(c, language) for c in (hit.countries_nearest_first or hit.doc.countries)[:MAX_PLACES]]
    if names and hit.place_match in ("neighbour", "region"):
        names[0] += f" ({_say(language, hit.place_match)})"
    return phrase(language, "list_separator").join(names)


def _kind(kind: str, language: str) -> str:
    key = f"kind_{kind}"
    try:
        return _say(language, key)
    except KeyError:
        return kind


def _sdgs(numbers: list[int], language: str) -> list[str]:
    names = _sdg_names()
    out = []
    for n in numbers[:MAX_SDGS]:
        goal = names.get(n)
        if goal:
            out.append(_say(language, "sdg", n=n, name=goal.get(language, goal["en"])))
    return out


#: A unit cost longer than this is a sentence, not an amount: only the amount in it is shown.
SHORT_COST_CHARS = 32
#: Shortest text whose own language is detected for its quote mark (shorter: the record's language).
DETECT_WORDS = 4


@functools.cache
def _amount_pattern() -> re.Pattern[str]:
    currencies = sorted(read_data("facts.json")["currencies"], key=len, reverse=True)
    unit = "|".join(re.escape(c) for c in currencies)
    number = r"\d[\d.,\u202f\u00a0 ]*\d|\d"
    return re.compile(rf"(?:(?:{unit})\s?(?:{number}))|(?:(?:{number})\s?(?:{unit})(?![A-Za-z]))", re.I)


def short_cost(cost: str | None) -> str:
    """A unit cost to show: the text when short, else the first amount with a currency in it, else nothing."""
    cost = " ".join((cost or "").split())
    if len(cost) <= SHORT_COST_CHARS:
        return cost
    found = _amount_pattern().search(cost)
    return found.group(0).strip() if found else ""


def facts_line(doc: Any, language: str) -> str:
    """ "open source · product · TRL 7 · trains others · about USD 50 a unit" from the record's facts, if any."""
    facts = getattr(doc, "facts", None)
    if facts is None:
        return ""
    parts = []
    if facts.open_source is not None:
        parts.append(_say(language, "fact_open_source" if facts.open_source else "fact_ip_protected"))
    if facts.stage:
        parts.append(_say(language, f"fact_{facts.stage}"))
    if facts.trl is not None:
        parts.append(_say(language, "fact_trl", trl=facts.trl))
    if facts.trains_others:
        parts.append(_say(language, "fact_trains"))
    cost = short_cost(facts.unit_cost)
    if cost:
        parts.append(_say(language, "fact_unit_cost", cost=cost))
    return " · ".join(parts)


def describe(n: int, hit: Hit, snippet: str, language: str) -> str:
    """One record of the answer: title, place, kind and SDGs; its facts; what it does, cited as [n]."""
    doc = hit.doc
    labels = [x for x in (_place_label(hit, language), _kind(doc.kind, language), *_sdgs(doc.sdgs, language)) if x]
    if doc.kind == "funding" and deadline_status(getattr(doc, "deadline", None)) == "closed":
        labels.append(_say(language, "closed", deadline=doc.deadline))
    lines = [f"{n}. {quoted(doc.title, record_language(doc), language)} — {' · '.join(labels)}."]
    facts = facts_line(doc, language)
    if facts:
        lines.append(f"   {facts[0].upper()}{facts[1:]}.")
    if snippet:
        lines.append("   " + _say(language, "does", text=quoted(snippet, doc.language, language)) + f" [{n}]")
    else:  # a record with no complete sentence to show: its labels stand alone, cited
        lines[0] = lines[0][:-1] + f" [{n}]."
    return "\n".join(lines)


def lead(count: int, countries: list[str], language: str, closest: bool = False) -> str:
    """The answer's first line: how many records, from where; `closest` for records that are the closest to the
    question rather than on it."""
    amount = _say(language, "count_one") if count == 1 else _say(language, "count_many", n=count)
    where = f" ({places(countries, language)})" if countries else ""
    return _say(language, "closest_lead" if closest else "lead", count=amount, where=where)


def nothing_here(asked: list[str], language: str) -> str:
    return _say(language, "nothing_here", place=places(asked, language))


def self_introduction(language: str) -> str:
    examples = texts(language, "bot_examples")[:SELF_INTRO_EXAMPLES]
    return "\n".join([_say(language, "hello"), *(f"• {e}" for e in examples)])


def scope_message(language: str) -> str:
    return _say(language, "scope")


def next_step(language: str) -> str:
    return _say(language, "next_step")
