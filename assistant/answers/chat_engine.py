"""The answer engine, the hybrid retriever and the conversation store in llama-index's own shapes.

`GalaxyChatEngine` is a llama-index `BaseChatEngine`: it condenses the follow-up with the session's history,
retrieves, and answers with citations (the `AnswerEngine` underneath), so llama-index code can drive it like any
chat engine. The pieces also work the other way round: `HybridRetriever` is a `BaseRetriever` and
`ConversationChatStore` a `BaseChatStore`, so a deployment with an LLM can plug them into llama-index's own
`CondensePlusContextChatEngine` and keep this project's retrieval and memory.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator, Generator, Iterator
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
from llama_index.core.chat_engine.types import AgentChatResponse, BaseChatEngine, StreamingAgentChatResponse
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.storage.chat_store.base import BaseChatStore
from pydantic import PrivateAttr

from assistant.answers.citations import Citation
from assistant.answers.conversation import ConversationStore
from assistant.answers.engine import Answer, AnswerEngine
from assistant.answers.events import AnswerEvent, Final, Token
from assistant.retrieval.retriever import Filters, Retriever

_ROLES = {"user": MessageRole.USER, "assistant": MessageRole.ASSISTANT, "system": MessageRole.SYSTEM}


class HybridRetriever(BaseRetriever):
    """The engine's retrieval (exact dense + BM25, grouped by document, query understanding) as a llama-index
    retriever: one node per document, its best passage, with the document's metadata."""

    def __init__(self, retriever: Retriever, k: int = 8, filters: Filters | None = None):
        super().__init__()
        self._galaxy = retriever
        self._k = k
        self._filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        result = self._galaxy.search(query_bundle.query_str, k=self._k, filters=self._filters)
        return [
            NodeWithScore(
                node=TextNode(
                    id_=hit.chunk.id,
                    text=hit.chunk.text,
                    metadata={
                        "doc_id": hit.doc.id,
                        "title": hit.doc.title,
                        "kind": hit.doc.kind,
                        "countries": ", ".join(hit.doc.countries),
                        "url": hit.doc.url or "",
                        "snippet": hit.snippet,
                    },
                ),
                score=hit.score,
            )
            for hit in result.hits
        ]


class ConversationChatStore(BaseChatStore):
    """llama-index chat store over the project's conversation store: keys are session ids, and what llama-index
    writes is what the HTTP API, the Telegram bot and the CLI read, and the other way round."""

    _store: ConversationStore = PrivateAttr()

    def __init__(self, store: ConversationStore, **kwargs: Any):
        super().__init__(**kwargs)
        self._store = store

    @classmethod
    def class_name(cls) -> str:
        return "GalaxyConversationChatStore"

    def get_messages(self, key: str) -> list[ChatMessage]:
        return [
            ChatMessage(role=_ROLES.get(turn.role, MessageRole.USER), content=turn.content, additional_kwargs=turn.meta)
            for turn in self._store.history(key, limit=10_000)
        ]

    def add_message(self, key: str, message: ChatMessage) -> None:
        self._store.add(key, message.role.value, message.content or "", dict(message.additional_kwargs or {}))

    def set_messages(self, key: str, messages: list[ChatMessage]) -> None:
        self._store.reset(key)
        for message in messages:
            self.add_message(key, message)

    def delete_messages(self, key: str) -> list[ChatMessage] | None:
        messages = self.get_messages(key)
        self._store.reset(key)
        return messages or None

    def delete_message(self, key: str, idx: int) -> ChatMessage | None:
        messages = self.get_messages(key)
        if not 0 <= idx < len(messages):
            return None
        removed = messages.pop(idx)
        self.set_messages(key, messages)
        return removed

    def delete_last_message(self, key: str) -> ChatMessage | None:
        messages = self.get_messages(key)
        return self.delete_message(key, len(messages) - 1) if messages else None

    def get_keys(self) -> list[str]:
        return self._store.sessions()


def citation_nodes(citations: list[Citation]) -> list[NodeWithScore]:
    return [
        NodeWithScore(
            node=TextNode(
                id_=f"{c.doc_id}#{c.n}",
                text=c.passage or c.snippet,
                metadata={
                    "n": c.n,
                    "doc_id": c.doc_id,
                    "title": c.title,
                    "kind": c.kind,
                    "countries": ", ".join(c.countries),
                    "url": c.url or "",
                    "snippet": c.snippet,
                },
            ),
            score=None,
        )
        for c in citations
    ]


def _next_piece(pieces: Iterator[ChatResponse]) -> ChatResponse | None:
    return next(pieces, None)


class GalaxyChatEngine(BaseChatEngine):
    """One conversation (a session id) with the knowledge base, as a llama-index chat engine.

    `last_answer` keeps the engine's full answer (language, grounded flag, partners) next to llama-index's
    response, whose `source_nodes` are the cited passages in citation order ([1] is the first).
    """

    def __init__(self, engine: AnswerEngine, session_id: str | None = None, filters: Filters | None = None):
        self.engine = engine
        self.session_id = session_id or uuid.uuid4().hex
        self.filters = filters
        self.last_answer: Answer | None = None

    @property
    def chat_history(self) -> list[ChatMessage]:
        return ConversationChatStore(self.engine.conversations).get_messages(self.session_id)

    def reset(self) -> None:
        self.engine.conversations.reset(self.session_id)

    def _response(self, answer: Answer) -> AgentChatResponse:
        self.last_answer = answer
        return AgentChatResponse(
            response=answer.text,
            source_nodes=citation_nodes(answer.citations),
            metadata={
                "language": answer.language,
                "grounded": answer.grounded,
                "answer_id": answer.answer_id,
                "note": answer.note,
            },
        )

    def _adopt(self, chat_history: list[ChatMessage] | None) -> None:
        if chat_history is not None:  # an explicit history replaces the session's, as llama-index engines do
            ConversationChatStore(self.engine.conversations).set_messages(self.session_id, chat_history)

    def chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        self._adopt(chat_history)
        return self._response(self.engine.ask(message, self.session_id, self.filters))

    def _events(self, message: str, chat_history: list[ChatMessage] | None) -> Iterator[AnswerEvent]:
        self._adopt(chat_history)
        return self.engine.stream(message, self.session_id, self.filters)

    def stream_chat(self, message: str, chat_history: list[ChatMessage] | None = None) -> StreamingAgentChatResponse:
        # The answer engine writes the exchange to the conversation store itself: llama-index must not write it
        # again (is_writing_to_memory=False), and its response_gen then reads the stream as it comes.
        response = StreamingAgentChatResponse(is_writing_to_memory=False)
        response.chat_stream = self._deltas(self._events(message, chat_history), response)
        return response

    def _deltas(
        self, events: Iterator[AnswerEvent], response: StreamingAgentChatResponse | None
    ) -> Generator[ChatResponse, None, None]:
        """The answer's text as llama-index chat responses; with the Final answer, `response` gets its sources."""
        text = ""
        for event in events:
            match event:
                case Token(piece):
                    text += piece
                    yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=piece)
                # A Reset (generated text replaced by the extractive answer) has no delta form: llama-index
                # deltas only append. The Final answer (`last_answer`, the source nodes) is the checked one.
                case Final(answer):
                    done = self._response(answer)
                    if response is not None:
                        response.source_nodes.extend(done.source_nodes)
                        response.is_done = True

    async def achat(self, message: str, chat_history: list[ChatMessage] | None = None) -> AgentChatResponse:
        return await asyncio.to_thread(self.chat, message, chat_history)

    async def astream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> StreamingAgentChatResponse:
        # The engine is synchronous (CPU-bound embedding and search): it runs in a thread, and its pieces are
        # handed over as they come.
        response = StreamingAgentChatResponse(is_writing_to_memory=False)
        pieces = self._deltas(self._events(message, chat_history), None)

        async def deltas() -> AsyncGenerator[ChatResponse, None]:
            while (piece := await asyncio.to_thread(_next_piece, pieces)) is not None:
                yield piece
            if self.last_answer is not None:
                response.source_nodes.extend(citation_nodes(self.last_answer.citations))
            response.is_done = True

        response.achat_stream = deltas()
        return response
