"""The answer engine: condense the follow-up with the conversation, retrieve, answer with citations.

Without an LLM the answer is extractive (composed from the best passages). With one, the generated text is
checked sentence by sentence against the passages it cites (`citations`); unsupported sentences are dropped and
an answer left without support falls back to the extractive one. Any backend failure also falls back, with a note.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from assistant.answers import compose
from assistant.answers.citations import Citation, SentenceGate, as_data
from assistant.answers.conversation import ConversationStore, Turn
from assistant.answers.events import AnswerEvent, Final, Reset, Token
from assistant.answers.llm import ChatLLM, LLMUnavailable, complete
from assistant.answers.prompts import (
    CONDENSE_PROMPT,
    LANGUAGE_NAMES,
    PASSAGE_TEMPLATE,
    SYSTEM_PROMPT,
    TRUST_LABELS,
    USER_PROMPT,
    phrase,
)
from assistant.matchmaking.funding import deadline_status
from assistant.retrieval.retriever import Filters, Hit, Retriever, SearchResult
from assistant.settings import LLMSettings
from assistant.text.geo import country_name, find_places
from assistant.text.injection import neutralise
from assistant.text.language import detect_language
from assistant.text.textproc import content_words

log = logging.getLogger(__name__)

#: A hit joins the extractive answer only if it is close to the best one.
RELATIVE_FLOOR = 0.75
MAX_CITED = 3
#: Hits a refusal names as the closest the knowledge base has, and related hits an extractive answer lists.
REFUSAL_RELATED = 3
RELATED_UP_TO = 5
#: A follow-up this short, or one that refers back ("who could help with it?"), is read with the last question.
SHORT_FOLLOW_UP = 4
MAX_CONDENSED_CHARS = 400
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
class Answer:
    answer_id: str
    text: str
    citations: list[Citation]
    language: str
    grounded: bool
    session_id: str
    query: str = ""
    related: list[Hit] = field(default_factory=list)
    partners: list[dict] = field(default_factory=list)
    note: str | None = None
    mode: str = "extractive"
    #: "answered" | "nothing_exact" | "out_of_scope" | "greeting"
    outcome: str = compose.ANSWERED

    def to_dict(self) -> dict:
        return {
            "answer_id": self.answer_id,
            "answer": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "language": self.language,
            "grounded": self.grounded,
            "session_id": self.session_id,
            "related": [h.to_dict() for h in self.related],
            "partners": self.partners,
            "note": self.note,
            "mode": self.mode,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class _Draft:
    """What every answer to one question shares, whichever way it is written."""

    answer_id: str
    session_id: str
    query: str
    language: str

    def answer(
        self,
        text: str,
        citations: list[Citation],
        *,
        mode: str,
        grounded: bool = True,
        related: list[Hit] | None = None,
        note: str | None = None,
        outcome: str = compose.ANSWERED,
    ) -> Answer:
        return Answer(
            self.answer_id,
            text,
            citations,
            self.language,
            grounded,
            self.session_id,
            query=self.query,
            related=related or [],
            note=note,
            mode=mode,
            outcome=outcome,
        )


def _places(countries: list[str]) -> str:
    return ", ".join(country_name(c) for c in countries[:3])


def _passage(hit: Hit) -> str:
    """The passage a citation rests on: the chunk that matched, led by the snippet when the snippet (chosen from
    the whole record by what was asked: its results, who runs it) comes from another part of the record."""
    snippet = hit.snippet.rstrip("…")
    if not snippet or snippet in hit.chunk.text:
        return hit.chunk.text
    return f"{hit.snippet}\n\n{hit.chunk.text}"


def _citations(hits: list[Hit]) -> list[Citation]:
    return [
        Citation(
            n=i + 1,
            doc_id=h.doc.id,
            title=h.doc.title,
            kind=h.doc.kind,
            countries=h.doc.countries,
            url=h.doc.url,
            snippet=neutralise(h.snippet),
            passage=_passage(h),
            language=h.doc.language,
            trust=h.doc.trust,
        )
        for i, h in enumerate(hits)
    ]


def _described(citation: Citation, hit: Hit, language: str) -> str:
    """One record of the extractive answer; a community submission's is labelled as not verified."""
    text = compose.describe(citation.n, hit, citation.snippet, language)
    return text if citation.verified else f"{text} {phrase(language, 'unverified')}"


def _is_closed(hit: Hit) -> bool:
    return hit.doc.kind == "funding" and deadline_status(hit.doc.deadline) == "closed"


def _selected(result: SearchResult) -> list[Hit]:
    # A closed funding call is not offered: dropped, unless it is all there is (then it is labelled closed).
    hits = [h for h in result.hits if not _is_closed(h)] or result.hits
    # A record with no complete sentence to show is left out rather than shown as filler, unless it is all there is.
    hits = [h for h in hits if h.snippet] or hits
    if result.place_has_topic is not None:
        # Ordered by place (`retrieval.places`): the on-topic records, nearest first, each already judged on
        # the topic; a record kept only to fill the list never stands in for an answer.
        return [h for h in hits if h.on_topic][:MAX_CITED] or hits[:1]
    top = hits[0].score
    return [h for h in hits[:MAX_CITED] if h.score >= RELATIVE_FLOOR * top]


def conversation_language(question: str, history: list[Turn]) -> str | None:
    """The language a follow-up is answered in: the conversation's, unless the message is clearly in another
    (long enough to tell, and detected as another); None without a conversation."""
    previous = next((t.meta.get("language") for t in reversed(history) if t.role == "assistant"), None)
    if not previous:
        return None
    text = question
    for start, end in sorted(find_places(question).spans, reverse=True):
        text = text[:start] + " " + text[end:]
    if len(text.split()) <= SHORT_FOLLOW_UP:
        return previous
    return detect_language(question, default=previous, hint=previous, quick=True)


def prompt_messages(question: str, citations: list[Citation], language: str) -> list[dict]:
    """The system prompt and the question with its numbered passages, document text entering as data."""
    passages = "\n".join(
        PASSAGE_TEMPLATE.format(
            n=c.n,
            title=as_data(c.title).replace('"', "'"),
            countries=_places(c.countries),
            trust=TRUST_LABELS.get(c.trust, TRUST_LABELS["untrusted"]),
            text=as_data(c.passage[:1200]),
        )
        for c in citations
    )
    language_name = LANGUAGE_NAMES.get(language, "English")
    return [
        {"role": "system", "content": SYSTEM_PROMPT.format(language_name=language_name, max_sentences=5)},
        {"role": "user", "content": USER_PROMPT.format(passages=passages, question=question)},
    ]


def heuristic_follow_up(question: str, last_question: str) -> str:
    """Without an LLM: a short follow-up, or one that refers back, is searched together with the last question."""
    refers_back = any(w in _ANAPHORA for w in question.casefold().replace("?", " ").split())
    if len(content_words(question)) <= SHORT_FOLLOW_UP or refers_back:
        return f"{question} {last_question}"
    return question


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
        """The question as it stands alone: rewritten with the conversation by the LLM, or by a heuristic."""
        last_user = next((t.content for t in reversed(history) if t.role == "user"), None)
        if not last_user:
            return question
        if self.llm is not None:
            rewritten = self._rewrite(self.llm, question, history)
            if rewritten:
                return rewritten
        return heuristic_follow_up(question, last_user)

    def _rewrite(self, llm: ChatLLM, question: str, history: list[Turn]) -> str | None:
        transcript = "\n".join(f"{t.role}: {t.content[:300]}" for t in history[-6:])
        prompt = CONDENSE_PROMPT.format(history=transcript, question=question)
        try:
            rewritten = complete(llm, [{"role": "user", "content": prompt}], max_tokens=64)
        except LLMUnavailable as exc:
            log.warning("condense fell back to the heuristic: %s", exc.detail if hasattr(exc, "detail") else exc)
            return None
        if rewritten and len(rewritten) < MAX_CONDENSED_CHARS:
            return rewritten.splitlines()[0].strip()
        return None

    # -- main entry points ----------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        session_id: str | None = None,
        filters: Filters | None = None,
        language: str | None = None,
        channel: str = "",
    ) -> Answer:
        final = None
        for event in self.stream(question, session_id, filters, language, channel=channel):
            if isinstance(event, Final):
                final = event.answer
        assert final is not None, "the answer stream ends with its Final event"
        return final

    def stream(
        self,
        question: str,
        session_id: str | None = None,
        filters: Filters | None = None,
        language: str | None = None,
        channel: str = "",
    ) -> Iterator[AnswerEvent]:
        """Yields Token pieces of the answer (a Reset replaces all the text before it), then one Final answer.
        `channel` (api, widget, telegram...) is recorded with the exchange for the curator's console."""
        started = time.perf_counter()
        question = " ".join((question or "").split())
        session_id = session_id or uuid.uuid4().hex
        history = self.conversations.history(session_id)
        greeting = compose.greeting_language(question)
        if greeting is not None:
            answer = self._introduction(question, session_id, language or greeting)
            yield Token(answer.text)
            self._remember(question, answer, started, channel)
            yield Final(answer)
            return
        query = self.condense(question, history)
        analysis = self.retriever.understand(question, query, language or conversation_language(question, history))
        result = self.retriever.search(query, k=8, filters=filters, analysis=analysis)
        draft = _Draft(uuid.uuid4().hex, session_id, query, analysis.language)
        grounded = self.retriever.is_relevant(result)
        if compose.is_out_of_scope(question, result.hits) or (
            not grounded and self.retriever.resembles_out_of_scope(result)
        ):
            answer = draft.answer(
                compose.scope_message(draft.language), [], mode="refusal", grounded=False, outcome=compose.OUT_OF_SCOPE
            )
            yield Token(answer.text)
            self._remember(question, answer, started, channel)
            yield Final(answer)
            return
        answer = yield from self._write(question, result, grounded, draft)
        if grounded:
            answer.partners = self._partners(query, result)
        self._remember(question, answer, started, channel)
        yield Final(answer)

    def _write(
        self, question: str, result: SearchResult, grounded: bool, draft: _Draft
    ) -> Generator[AnswerEvent, None, Answer]:
        if not grounded:
            answer = self._refusal(result, draft)
        elif self.llm is None:
            answer = self._extractive(result, draft)
        else:
            return (yield from self._generate(self.llm, question, result, draft))
        yield Token(answer.text)
        return answer

    def _partners(self, query: str, result: SearchResult) -> list[dict]:
        if self.partner_finder is None:
            return []
        try:
            return self.partner_finder(query, result)
        except Exception:  # partners are a bonus: never lose the answer over them
            log.exception("partner suggestions failed")
            return []

    def _remember(self, question: str, answer: Answer, started: float, channel: str) -> None:
        self.conversations.add(answer.session_id, "user", question)
        # outcome, related, channel and latency feed the console's knowledge gaps and overview.
        meta = {
            "answer_id": answer.answer_id,
            "citations": [c.doc_id for c in answer.citations],
            "language": answer.language,
            "outcome": answer.outcome,
            "related": [h.doc.id for h in answer.related],
            "channel": channel,
            "latency_ms": round((time.perf_counter() - started) * 1000),
        }
        self.conversations.add(answer.session_id, "assistant", answer.text, meta)

    # -- answer builders ------------------------------------------------------------------------------------
    def _introduction(self, question: str, session_id: str, language: str) -> Answer:
        draft = _Draft(uuid.uuid4().hex, session_id, question, language)
        text = compose.self_introduction(language)
        return draft.answer(text, [], mode="introduction", grounded=False, outcome=compose.GREETING)

    def _extractive(self, result: SearchResult, draft: _Draft, note: str | None = None) -> Answer:
        hits = _selected(result)
        citations = _citations(hits)
        language = draft.language
        asked = result.analysis.countries
        outcome = compose.ANSWERED
        if result.place_has_topic is False and asked:
            lines = [compose.nothing_here(asked, language)]
            outcome = compose.NOTHING_EXACT
        else:
            countries = list(dict.fromkeys(c for h in hits for c in h.doc.countries))
            narrowly = self.retriever.passed_narrowly(result)
            lines = [compose.lead(len(hits), countries, language, closest=narrowly)]
            if narrowly:
                outcome = compose.NOTHING_EXACT
        lines += [_described(c, h, language) for c, h in zip(citations, hits, strict=True)]
        if outcome == compose.NOTHING_EXACT:
            lines.append(compose.next_step(language))
        text = "\n".join(lines)
        if note:
            text += "\n" + note
        related = result.hits[len(hits) : RELATED_UP_TO]
        return draft.answer(text, citations, note=note, mode="extractive", related=related, outcome=outcome)

    def _refusal(self, result: SearchResult, draft: _Draft) -> Answer:
        text = phrase(draft.language, "none")
        related = [h for h in result.hits[:REFUSAL_RELATED] if h.score > 0]
        if related:
            titles = "; ".join(compose.quoted(h.doc.title, h.doc.language, draft.language) for h in related)
            text += " " + phrase(draft.language, "closest", titles=titles)
        text += " " + compose.next_step(draft.language)
        return draft.answer(text, [], grounded=False, related=related, mode="refusal", outcome=compose.NOTHING_EXACT)

    def _generate(
        self, llm: ChatLLM, question: str, result: SearchResult, draft: _Draft
    ) -> Generator[AnswerEvent, None, Answer]:
        """Streams the model's answer a sentence at a time, each only once it stands against its citations: no
        unchecked text reaches the client. Returns the checked answer, or the extractive fallback (announced by a
        Reset, which can only replace checked text) when the model fails, repeats the system prompt, or writes
        nothing that stands."""
        citations = _citations(_selected(result))
        gate = SentenceGate(citations, self.retriever.embed_query, draft.language)
        separator = ""
        try:
            for sentence in self._gated(llm, prompt_messages(question, citations, draft.language), gate):
                yield Token(separator + sentence)
                separator = " "
        except LLMUnavailable as exc:
            log.warning("LLM unavailable, answering extractively: %s", exc)
            fallback = self._extractive(result, draft, note=phrase(draft.language, "fallback_note"))
            yield Reset(fallback.text)
            return fallback
        if gate.leaked or not gate.kept:
            fallback = self._extractive(result, draft)
            yield Reset(fallback.text)
            return fallback
        kept = [c for c in citations if c.n in gate.used]
        return draft.answer(" ".join(gate.kept), kept, mode=f"llm:{llm.name}")

    def _gated(self, llm: ChatLLM, messages: list[dict], gate: SentenceGate) -> Iterator[str]:
        """The sentences of the model's stream that pass `gate`; reading stops once the prompt leaks."""
        settings = self.llm_settings
        pieces = llm.stream(messages, max_tokens=settings.max_tokens, temperature=settings.temperature)
        try:
            for piece in pieces:
                yield from gate.feed(piece)
                if gate.leaked:
                    return
            yield from gate.close()
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # an abandoned HTTP stream is closed now, not whenever it is collected
