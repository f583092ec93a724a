"""Citations and their check: a generated sentence stands only if the passages it cites support it.

Also what keeps documents and askers from steering the model: document text enters a prompt as data
(`as_data`), and a generated text that repeats the system prompt is caught (`leaks_prompt`). A sentence that rests
only on untrusted passages (community submissions) stands, labelled as not verified.

`SentenceGate` runs the same check on a stream: a sentence is let through only once it is complete and stands,
so no unchecked generated text reaches a client."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from assistant.answers.prompts import SYSTEM_PROMPT, phrase
from assistant.text.textproc import content_words, is_instruction, sentences, strip_instructions

SUPPORT_THRESHOLD = 0.5
#: Cosine (multilingual-e5, query: prefix on both sides) above which a sentence and a passage sentence in
#: different languages say the same thing; used only across languages, where word overlap cannot work.
CROSS_LINGUAL_SUPPORT = 0.85
#: The passage sentences a claim is compared with across languages.
CROSS_LINGUAL_SENTENCES = 12

_MARKER = re.compile(r"\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_PASSAGE_TAG = re.compile(r"</?\s*passage[^>]*>", re.IGNORECASE)

Embed = Callable[[str], Sequence[float]]


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    kind: str
    countries: list[str]
    url: str | None
    snippet: str
    passage: str = field(repr=False, default="")
    language: str = field(repr=False, default="en")
    #: "curated" or "untrusted" (a community submission), as the cited document is.
    trust: str = "curated"

    @property
    def verified(self) -> bool:
        return self.trust == "curated"

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("passage")
        data.pop("language")
        return data


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's content words found in the passage (accent- and case-insensitive)."""
    words = set(content_words(_MARKER.sub("", sentence)))
    if not words:
        return 1.0
    return len(words & set(content_words(passage))) / len(words)


def check_citations(
    text: str, citations: list[Citation], embed: Embed | None = None, language: str | None = None
) -> tuple[str, list[int]]:
    """Keep the sentences whose cited passages support them; return the kept text and the cited numbers.

    A sentence is supported when most of its content words occur in the cited passages; across languages
    (answer in French, source in English) when its embedding is close to one of the passages' sentences.
    A figure that appears in no cited passage always fails: invented numbers are the worst hallucination.
    A sentence without a marker (small models often forget them) is attributed to the passage that supports it
    best, word for word, and gets that passage's marker; with no such passage, an uncited claim does not stand.
    A sentence resting only on untrusted passages is labelled (`answer.unverified`); a text that repeats the
    system prompt keeps nothing.
    """
    gate = SentenceGate(citations, embed, language)
    gate.feed(text)
    gate.close()
    if gate.leaked:
        return "", []
    return " ".join(gate.kept), gate.used


class SentenceGate:
    """The citation check on a generated text as it streams: `feed` the pieces, and each call returns the
    sentences completed since, checked (`check_citations`' rules); `close` checks the last one. Sentences come
    out whole or not at all, and none once the text repeats the system prompt (`leaked`)."""

    def __init__(self, citations: list[Citation], embed: Embed | None = None, language: str | None = None):
        self.citations = citations
        self.by_n = {c.n: c for c in citations}
        self.embed = embed
        self.language = language
        self.kept: list[str] = []
        self.used: list[int] = []
        self.leaked = False
        self._raw = ""
        self._done = 0  # sentences of `_raw` already judged

    def feed(self, piece: str) -> list[str]:
        self._raw += piece
        parts = sentences(self._raw)
        # The last part may still grow; the ones before it are complete (a split never moves back).
        return self._judge(parts[self._done : max(self._done, len(parts) - 1)])

    def close(self) -> list[str]:
        return self._judge(sentences(self._raw)[self._done :])

    def _judge(self, complete: list[str]) -> list[str]:
        if self.leaked or not complete:
            return []
        self._done += len(complete)
        if leaks_prompt(" ".join(sentences(self._raw)[: self._done])):
            self.leaked = True
            return []
        out: list[str] = []
        for sentence in complete:
            if is_instruction(sentence):  # a model that took orders from a passage or the asker
                continue
            checked = _checked_sentence(sentence, self.citations, self.by_n, self.embed, self.language)
            if checked is None:
                continue
            text, cited = checked
            if all(not self.by_n[m].verified for m in cited):
                text = _labelled(text, phrase(self.language or "en", "unverified"))
            out.append(text)
            self.used.extend(m for m in cited if m not in self.used)
        self.kept.extend(out)
        return out


def _checked_sentence(
    sentence: str, citations: list[Citation], by_n: dict[int, Citation], embed: Embed | None, language: str | None
) -> tuple[str, list[int]] | None:
    """The sentence (with a marker added if it had none) and the citations it rests on, or None if unsupported."""
    valid = [m for m in (int(m) for m in _MARKER.findall(sentence)) if m in by_n]
    if not valid:
        source = _attribute(sentence, citations)
        if source is None:
            return None
        sentence, valid = _with_marker(sentence, source), [source]
    cited = [by_n[m] for m in valid]
    passage = " ".join(f"{c.title} {as_data(c.passage)}" for c in cited)
    if not _numbers(_MARKER.sub("", sentence)) <= _numbers(passage):
        return None
    if support(sentence, passage) >= SUPPORT_THRESHOLD:
        return sentence, valid
    if embed is not None and any(c.language != language for c in cited) and _same_meaning(sentence, cited, embed):
        return sentence, valid
    return None


def _same_meaning(sentence: str, cited: list[Citation], embed: Embed) -> bool:
    """Whether the sentence says what one of the cited passages' sentences says (by embedding, across languages)."""
    claim = embed(_MARKER.sub("", sentence))
    return any(
        _cosine(claim, embed(candidate)) >= CROSS_LINGUAL_SUPPORT
        for c in cited
        for candidate in sentences(as_data(c.passage))[:CROSS_LINGUAL_SENTENCES]
    )


def _attribute(sentence: str, citations: list[Citation]) -> int | None:
    """The citation whose passage supports an unmarked sentence best (word overlap, every figure present)."""
    best, best_support = None, SUPPORT_THRESHOLD
    for c in citations:
        passage = f"{c.title} {as_data(c.passage)}"
        if not _numbers(sentence) <= _numbers(passage):
            continue
        score = support(sentence, passage)
        if score >= best_support:
            best, best_support = c.n, score
    return best


def _with_marker(sentence: str, n: int) -> str:
    return _labelled(sentence, f"[{n}]")


def _labelled(sentence: str, label: str) -> str:
    """The sentence with `label` added before its final punctuation ("... [1] (not verified).")."""
    body = sentence.rstrip()
    end = body[-1] if body and body[-1] in ".!?。" else ""
    return f"{body[:-1] if end else body} {label}{end}"


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    import numpy as np

    u, v = np.asarray(a), np.asarray(b)
    return float(u @ v / ((np.linalg.norm(u) * np.linalg.norm(v)) or 1.0))


def _shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    tokens = content_words(text)
    return {tuple(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1))}


_SYSTEM_SHINGLES = _shingles(SYSTEM_PROMPT)


def leaks_prompt(text: str) -> bool:
    """True when a generated text repeats a run of the system prompt (a prompt-extraction attempt worked)."""
    return bool(_shingles(text) & _SYSTEM_SHINGLES)


@lru_cache(maxsize=4096)
def as_data(text: str) -> str:
    """Document text as it enters a prompt: it cannot close or forge the <passage> block that frames it, and
    sentences that give the assistant orders are left out."""
    return strip_instructions(_PASSAGE_TAG.sub(" ", text))
