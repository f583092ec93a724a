"""The answer engine: condense the follow-up with the conversation, retrieve, answer with citations.

Without an LLM the answer is extractive (composed from the best passages). With one, the generated text is
checked sentence by sentence against the passages it cites; unsupported sentences are dropped and an answer
left without support falls back to the extractive one. Any backend failure also falls back, with a note.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from assistant.answers.conversation import ConversationStore, Turn
from assistant.answers.llm import ChatLLM, LLMUnavailable, complete
from assistant.answers.prompts import (
    CONDENSE_PROMPT,
    LANGUAGE_NAMES,
    PASSAGE_TEMPLATE,
    SYSTEM_PROMPT,
    USER_PROMPT,
    phrase,
)
from assistant.knowledge.embeddings import DEFAULT_PROFILE, PROFILES, RelevanceThresholds
from assistant.retrieval.retriever import Filters, Hit, QueryAnalysis, Retriever, SearchResult
from assistant.settings import LLMSettings
from assistant.text.geo import country_name
from assistant.text.textproc import content_words, sentences, strip_instructions

log = logging.getLogger(__name__)

#: Novelty: when most of a question's words occur nowhere in the knowledge base, it is about something else.
#: Only trusted where the knowledge base holds enough documents in the question's language for its vocabulary
#: to be representative.
MAX_UNKNOWN_RATIO = 0.5
MIN_DOCS_FOR_VOCABULARY = 100
#: A hit joins the extractive answer only if it is close to the best one.
RELATIVE_FLOOR = 0.75
MAX_CITED = 3
SUPPORT_THRESHOLD = 0.5

_MARKER = re.compile(r"\[(\d+)\]")
_ANAPHORA = {
    "it",
    "its",
    "they",
    "them",
    "this",
    "that",
    "those",
    "these",
    "there",
    "he",
    "she",
    "one",
    "ones",
    "ça",
    "cela",
    "ceci",
    "ils",
    "elles",
    "celui",
    "celle",
    "ceux",
    "là",
    "y",
    "en",
    "eso",
    "esto",
    "ello",
    "ellos",
    "ellas",
    "allí",
    "ahí",
    "isso",
    "isto",
    "eles",
    "elas",
    "lá",
    "ali",
}


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

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("passage")
        data.pop("language")
        return data


@dataclass
class Answer:
    answer_id: str
    text: str
    citations: list[Citation]
    language: str
    grounded: bool
    session_id: str
    query: str = ""
    related: list[dict] = field(default_factory=list)
    partners: list[dict] = field(default_factory=list)
    note: str | None = None
    mode: str = "extractive"

    def to_dict(self) -> dict:
        return {
            "answer_id": self.answer_id,
            "answer": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "language": self.language,
            "grounded": self.grounded,
            "session_id": self.session_id,
            "related": self.related,
            "partners": self.partners,
            "note": self.note,
            "mode": self.mode,
        }


def is_relevant(
    result: SearchResult, limits: RelevanceThresholds = PROFILES[DEFAULT_PROFILE].relevance, docs_in_language: int = 0
) -> bool:
    if not result.hits:
        return False
    if docs_in_language >= MIN_DOCS_FOR_VOCABULARY and result.unknown_ratio >= MAX_UNKNOWN_RATIO:
        return False
    if result.top_dense >= limits.dense:
        return True
    return result.top_dense >= limits.dense_with_words and result.top_coverage >= limits.coverage


def support(sentence: str, passage: str) -> float:
    """Share of the sentence's content words found in the passage (accent- and case-insensitive)."""
    words = set(content_words(_MARKER.sub("", sentence)))
    if not words:
        return 1.0
    return len(words & set(content_words(passage))) / len(words)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
#: Cosine (multilingual-e5, query: prefix on both sides) above which a sentence and a passage sentence in
#: different languages say the same thing; used only across languages, where word overlap cannot work.
CROSS_LINGUAL_SUPPORT = 0.85


def _numbers(text: str) -> set[str]:
    return {n.replace(",", ".") for n in _NUMBER.findall(text)}


def check_citations(
    text: str, citations: list[Citation], embed=None, language: str | None = None
) -> tuple[str, list[int]]:
    """Keep the sentences whose cited passages support them; return the kept text and the cited numbers.

    A sentence is supported when most of its content words occur in the cited passages; across languages
    (answer in French, source in English) when its embedding is close to one of the passages' sentences.
    A figure that appears in no cited passage always fails: invented numbers are the worst hallucination.
    A sentence without a marker (small models often forget them) is attributed to the passage that supports it
    best, word for word, and gets that passage's marker; with no such passage, an uncited claim does not stand.
    """
    by_n = {c.n: c for c in citations}
    kept: list[str] = []
    used: list[int] = []
    for sentence in sentences(text):
        marks = [int(m) for m in _MARKER.findall(sentence)]
        valid = [m for m in marks if m in by_n]
        if not valid:
            source = _attribute(sentence, citations)
            if source is None:
                continue
            sentence = _with_marker(sentence, source)
            valid = [source]
        passage = " ".join(f"{by_n[m].title} {as_data(by_n[m].passage)}" for m in valid)
        if not _numbers(_MARKER.sub("", sentence)) <= _numbers(passage):
            continue
        ok = support(sentence, passage) >= SUPPORT_THRESHOLD
        if not ok and embed is not None and any(by_n[m].language != language for m in valid):
            claim = embed(_MARKER.sub("", sentence))
            ok = any(
                _cosine(claim, embed(candidate)) >= CROSS_LINGUAL_SUPPORT
                for m in valid
                for candidate in sentences(as_data(by_n[m].passage))[:12]
            )
        if ok:
            kept.append(sentence)
            used.extend(m for m in valid if m not in used)
    return " ".join(kept), used


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
    body = sentence.rstrip()
    end = body[-1] if body and body[-1] in ".!?。" else ""
    return f"{body[:-1] if end else body} [{n}]{end}"


def _cosine(a, b) -> float:
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    return float(a @ b / ((np.linalg.norm(a) * np.linalg.norm(b)) or 1.0))


def _shingles(text: str, n: int = 6) -> set[tuple[str, ...]]:
    tokens = content_words(text)
    return {tuple(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1))}


_SYSTEM_SHINGLES = _shingles(SYSTEM_PROMPT)


def leaks_prompt(text: str) -> bool:
    """True when a generated text repeats a run of the system prompt (a prompt-extraction attempt worked)."""
    return bool(_shingles(text) & _SYSTEM_SHINGLES)


_PASSAGE_TAG = re.compile(r"</?\s*passage[^>]*>", re.IGNORECASE)


def as_data(text: str) -> str:
    """Document text as it enters a prompt: it cannot close or forge the <passage> block that frames it, and
    sentences that give the assistant orders are left out."""
    return strip_instructions(_PASSAGE_TAG.sub(" ", text))


def _places(countries: list[str]) -> str:
    return ", ".join(country_name(c) for c in countries[:3])


class AnswerEngine:
    def __init__(
        self,
        retriever: Retriever,
        conversations: ConversationStore,
        llm: ChatLLM | None,
        llm_settings: LLMSettings,
        partner_finder=None,
    ):
        self.retriever = retriever
        self.conversations = conversations
        self.llm = llm
        self.llm_settings = llm_settings
        self.partner_finder = partner_finder

    # -- conversation --------------------------------------------------------------------------------------
    def condense(self, question: str, history: list[Turn]) -> str:
        last_user = next((t.content for t in reversed(history) if t.role == "user"), None)
        if not last_user:
            return question
        if self.llm is not None:
            transcript = "\n".join(f"{t.role}: {t.content[:300]}" for t in history[-6:])
            try:
                rewritten = complete(
                    self.llm,
                    [{"role": "user", "content": CONDENSE_PROMPT.format(history=transcript, question=question)}],
                    max_tokens=64,
                )
                if rewritten and len(rewritten) < 400:
                    return rewritten.splitlines()[0].strip()
            except LLMUnavailable as exc:
                log.warning("condense fell back to the heuristic: %s", exc.detail if hasattr(exc, "detail") else exc)
        words = content_words(question)
        refers_back = any(w in _ANAPHORA for w in question.casefold().replace("?", " ").split())
        if len(words) <= 4 or refers_back:
            return f"{question} {last_user}"
        return question

    # -- main entry points ----------------------------------------------------------------------------------
    def ask(
        self, question: str, session_id: str | None = None, filters: Filters | None = None, language: str | None = None
    ) -> Answer:
        final = None
        for kind, payload in self.stream(question, session_id, filters, language):
            if kind == "final":
                final = payload
        assert final is not None
        return final

    def stream(
        self, question: str, session_id: str | None = None, filters: Filters | None = None, language: str | None = None
    ) -> Iterator[tuple[str, object]]:
        """Yields ("token", str) pieces, then ("final", Answer)."""
        question = " ".join((question or "").split())
        session_id = session_id or uuid.uuid4().hex
        history = self.conversations.history(session_id)
        query = self.condense(question, history)
        analysis = self.retriever.analyse(question, language)
        if query != question:
            # The follow-up's own places and SDGs win ("and in Senegal?"); otherwise the exchange's carry over.
            combined = self.retriever.analyse(query, analysis.language)
            has_places = bool(analysis.countries or analysis.regions)
            analysis = QueryAnalysis(
                text=query,
                language=analysis.language,
                countries=analysis.countries if has_places else combined.countries,
                regions=analysis.regions if has_places else combined.regions,
                sdgs=analysis.sdgs or combined.sdgs,
            )
        result = self.retriever.search(query, k=8, filters=filters, analysis=analysis)
        lang = analysis.language
        answer_id = uuid.uuid4().hex
        grounded = is_relevant(result, self.retriever.profile.relevance, self.retriever.language_counts.get(lang, 0))

        if not grounded:
            answer = self._refusal(result, lang, answer_id, session_id, query)
            yield "token", answer.text
        elif self.llm is None:
            answer = self._extractive(result, lang, answer_id, session_id, query)
            yield "token", answer.text
        else:
            answer = None
            for kind, payload in self._generate(question, result, lang, answer_id, session_id, query):
                if kind == "final":
                    answer = payload
                else:
                    yield kind, payload
            assert answer is not None

        if self.partner_finder is not None and grounded:
            try:
                answer.partners = self.partner_finder(query, result)
            except Exception:  # partners are a bonus: never lose the answer over them
                log.exception("partner suggestions failed")
        self.conversations.add(session_id, "user", question)
        self.conversations.add(
            session_id,
            "assistant",
            answer.text,
            {"answer_id": answer_id, "citations": [c.doc_id for c in answer.citations]},
        )
        yield "final", answer

    # -- answer builders ------------------------------------------------------------------------------------
    def _citations(self, hits: list[Hit]) -> list[Citation]:
        return [
            Citation(
                n=i + 1,
                doc_id=h.doc.id,
                title=h.doc.title,
                kind=h.doc.kind,
                countries=h.doc.countries,
                url=h.doc.url,
                snippet=h.snippet,
                passage=h.chunk.text,
                language=h.doc.language,
            )
            for i, h in enumerate(hits)
        ]

    def _selected(self, result: SearchResult) -> list[Hit]:
        top = result.hits[0].score
        return [h for h in result.hits[:MAX_CITED] if h.score >= RELATIVE_FLOOR * top]

    def _extractive(
        self, result: SearchResult, lang: str, answer_id: str, session_id: str, query: str, note: str | None = None
    ) -> Answer:
        hits = self._selected(result)
        citations = self._citations(hits)
        lines = [phrase(lang, "intro")]
        for citation in citations:
            where = f" ({_places(citation.countries)})" if citation.countries else ""
            lines.append(f"{citation.n}. {citation.title}{where}: {citation.snippet} [{citation.n}]")
        text = "\n".join(lines)
        if note:
            text += "\n" + note
        return Answer(
            answer_id,
            text,
            citations,
            lang,
            True,
            session_id,
            query=query,
            note=note,
            mode="extractive",
            related=[h.to_dict() for h in result.hits[len(hits) : 5]],
        )

    def _refusal(self, result: SearchResult, lang: str, answer_id: str, session_id: str, query: str) -> Answer:
        text = phrase(lang, "none")
        related = [h.to_dict() for h in result.hits[:3] if h.score > 0]
        if related:
            text += " " + phrase(lang, "closest", titles="; ".join(r["title"] for r in related))
        return Answer(answer_id, text, [], lang, False, session_id, query=query, related=related, mode="refusal")

    def _generate(
        self, question: str, result: SearchResult, lang: str, answer_id: str, session_id: str, query: str
    ) -> Iterator[tuple[str, object]]:
        hits = self._selected(result)
        citations = self._citations(hits)
        passages = "\n".join(
            PASSAGE_TEMPLATE.format(
                n=c.n,
                title=as_data(c.title).replace('"', "'"),
                countries=_places(c.countries),
                text=as_data(c.passage[:1200]),
            )
            for c in citations
        )
        messages = [
            {
                "role": "system",
                "content": SYSTEM_PROMPT.format(language_name=LANGUAGE_NAMES.get(lang, "English"), max_sentences=5),
            },
            {"role": "user", "content": USER_PROMPT.format(passages=passages, question=question)},
        ]
        pieces: list[str] = []
        try:
            for piece in self.llm.stream(
                messages, max_tokens=self.llm_settings.max_tokens, temperature=self.llm_settings.temperature
            ):
                pieces.append(piece)
                yield "token", piece
        except LLMUnavailable as exc:
            log.warning("LLM unavailable, answering extractively: %s", exc)
            fallback = self._extractive(result, lang, answer_id, session_id, query, note=phrase(lang, "fallback_note"))
            yield "reset", fallback.text
            yield "final", fallback
            return
        generated = "".join(pieces)
        checked, used = (
            ("", [])
            if leaks_prompt(generated)
            else check_citations(generated, citations, self.retriever.embed_query, lang)
        )
        if not checked:
            fallback = self._extractive(result, lang, answer_id, session_id, query)
            yield "reset", fallback.text
            yield "final", fallback
            return
        kept = [c for c in citations if c.n in used]
        yield (
            "final",
            Answer(answer_id, checked, kept, lang, True, session_id, query=query, mode=f"llm:{self.llm.name}"),
        )
