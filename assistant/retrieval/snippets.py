"""Each hit's snippet: the complete sentence of its record that answers what the question asks.

A question about results gets the record's results and figures, one about who runs a solution the sentence that
names them, one about funding the amount and deadline; anything else gets what the solution does, from the
record's description rather than its problem statement or results. Headings, form prompts, questions, fragments
and links are never snippets; a record with no usable sentence gets none rather than filler.

The words that tell these apart (what a question asks, section headings, cue words) are data:
assistant/data/snippets.json.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from assistant.knowledge.documents import KnowledgeDocument
from assistant.text.data import read_data
from assistant.text.geo import normalise
from assistant.text.textproc import content_words, is_instruction, sentences

RESULTS, WHO, FUNDING, DOES = "results", "who", "funding", "does"
#: Shortest and longest sentence shown; past PREFERRED_CHARS a sentence must be much better to be chosen.
MIN_CHARS, MAX_SENTENCE_CHARS, PREFERRED_CHARS = 40, 420, 260
#: Words a line may have and still be a heading (a line of its own, without a full stop).
HEADING_WORDS = 8
#: A sentence without a closing mark is complete enough with this many words.
COMPLETE_WORDS = 10
#: How much of a long record is read for its snippet (besides the passage that matched).
READ_CHARS = 8000

_PREFIX = re.compile(r"^([^:.!?]{2,40}?)\s*[:：]\s+(\S.*)$", re.S)
_LIST_MARK = re.compile(r"^(\d+[.)]|[-*•])\s+")
_CLOSING = (".", "!", "…", ")", "»", '"', "”", "؟")


def _phrases(group: dict[str, list[str]]) -> dict[str, tuple[tuple[str, ...], ...]]:
    return {key: tuple(tuple(normalise(p).split()) for p in items) for key, items in group.items()}


@functools.cache
def _asks() -> dict[str, tuple[tuple[str, ...], ...]]:
    return _phrases(read_data("snippets.json")["asks"])


@functools.cache
def _sections() -> dict[str, str]:
    return {
        " ".join(words): kind
        for kind, items in _phrases(read_data("snippets.json")["sections"]).items()
        for words in items
    }


@functools.cache
def _cues() -> dict[str, tuple[tuple[str, ...], ...]]:
    return _phrases(read_data("snippets.json")["cues"])


def _has(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def _mentions(words: tuple[str, ...], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(_has(words, p) for p in phrases)


@functools.lru_cache(maxsize=16384)
def _cued(words: tuple[str, ...], kind: str) -> bool:
    return _mentions(words, _cues()[kind])


@functools.lru_cache(maxsize=2048)
def asked_for(question: str) -> str:
    """What a question asks for: results, who, funding, or (anything else) what a solution does."""
    words = tuple(normalise(question).split())
    for kind in (RESULTS, FUNDING, WHO):
        if _mentions(words, _asks()[kind]):
            return kind
    return DOES


@dataclass(frozen=True)
class Candidate:
    text: str
    words: frozenset[str]
    folded: tuple[str, ...]
    #: "results", "problem", "solution", or "" where the record has no heading before it
    section: str
    order: int


def _heading(line: str) -> str | None:
    """The section a heading line opens ("" for a heading of no known kind), or None for a line of text."""
    stripped = line.strip().rstrip(":：").strip()
    if not stripped or len(stripped.split()) > HEADING_WORDS or stripped.endswith((".", "!", "?", ";", ",")):
        return None
    if _LIST_MARK.match(stripped):
        return None
    return _sections().get(normalise(stripped), "")


def _complete(sentence: str) -> bool:
    if sentence.endswith((":", "?", "؟", ",", ";")):
        return False
    return sentence.endswith(_CLOSING) or len(sentence.split()) >= COMPLETE_WORDS


def _usable(sentence: str, title: str) -> bool:
    if not MIN_CHARS <= len(sentence) <= MAX_SENTENCE_CHARS or "http" in sentence or "www." in sentence:
        return False
    if not _complete(sentence) or is_instruction(sentence):
        return False
    folded, folded_title = normalise(sentence), normalise(title)
    return folded != folded_title and not (
        folded_title and folded.startswith(folded_title) and len(folded) < len(folded_title) + 20
    )


def _paragraph_sentences(block: str, section: str) -> tuple[str, list[str]]:
    """The section a paragraph ends in and its sentences, its own headings taken off."""
    lines = [line for line in block.splitlines() if line.strip()]
    while lines and (kind := _heading(lines[0])) is not None:
        section = kind or section
        lines.pop(0)
    text = "\n".join(lines)
    out = []
    for sentence in sentences(text):
        sentence = _LIST_MARK.sub("", sentence).strip()
        labelled = _PREFIX.match(sentence)
        if labelled and (kind := _sections().get(normalise(labelled.group(1)))):
            section, sentence = kind, labelled.group(2)
        out.append(sentence)
    return section, out


@functools.lru_cache(maxsize=4096)
def _candidates(text: str, title: str) -> tuple[Candidate, ...]:
    section, seen = "", set()
    out: list[Candidate] = []
    for block in re.split(r"\n\s*\n", text):
        section, found = _paragraph_sentences(block, section)
        for sentence in found:
            folded = normalise(sentence)
            if folded in seen or not _usable(sentence, title):
                continue
            seen.add(folded)
            out.append(
                Candidate(sentence, frozenset(content_words(sentence)), tuple(folded.split()), section, len(out))
            )
    return tuple(out)


def _intent_score(c: Candidate, asks: str, doc: KnowledgeDocument) -> float:
    has_figure = any(ch.isdigit() for ch in c.text)
    if asks == RESULTS:
        return 3.0 * (c.section == "results") + 1.5 * has_figure + 1.0 * ("%" in c.text)
    if asks == WHO:
        named = bool(doc.provider) and normalise(doc.provider or "") in " ".join(c.folded)
        return 2.0 * _cued(c.folded, "who") + 3.0 * named
    if asks == FUNDING:
        return 2.0 * _cued(c.folded, "funding") + 1.0 * has_figure
    bonus = {"solution": 2.0, "results": -1.5, "problem": -1.0}.get(c.section, 0.0)
    return bonus + (1.0 if c.section == "" and c.order < 2 else 0.0)


def _score(c: Candidate, query_words: set[str], asks: str, doc: KnowledgeDocument) -> float:
    score = len(query_words & c.words) + _intent_score(c, asks, doc) - 0.02 * c.order
    return score - (1.0 if len(c.text) > PREFERRED_CHARS else 0.0)


def _record_text(text: str, doc: KnowledgeDocument) -> str:
    own = "\n\n".join(part for part in (doc.summary, doc.body[:READ_CHARS]) if part)
    return f"{own}\n\n{text}" if text and text not in own else own or text


def best_snippet(text: str, query: str, doc: KnowledgeDocument, max_chars: int = 260) -> str:
    """The sentence of the record (its summary, body and the passage `text` that matched) that best answers
    `query`; "" when the record has no complete sentence to show."""
    candidates = _candidates(_record_text(text, doc), doc.title)
    if not candidates:
        return ""
    query_words, asks = set(content_words(query)), asked_for(query)
    best = max(candidates, key=lambda c: _score(c, query_words, asks, doc)).text
    if len(best) > max_chars:
        best = best[: max_chars - 1].rsplit(" ", 1)[0] + "…"
    return best
