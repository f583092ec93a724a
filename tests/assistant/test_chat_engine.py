"""The engine in llama-index's shapes: a chat engine with memory, a retriever and a chat store that llama-index's
own CondensePlusContextChatEngine can use."""

from __future__ import annotations

import asyncio
import uuid

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from assistant.answers.chat_engine import ConversationChatStore, GalaxyChatEngine, HybridRetriever


def test_chat_engine_answers_with_cited_source_nodes_and_remembers(corpus_services):
    chat = GalaxyChatEngine(corpus_services.engine, session_id=f"li-{uuid.uuid4().hex}")
    first = chat.chat("community health worker mobile app")
    answer = chat.last_answer
    assert first.response == answer.text and answer.grounded and answer.citations
    assert [n.node.metadata["doc_id"] for n in first.source_nodes] == [c.doc_id for c in answer.citations]
    assert [n.node.metadata["n"] for n in first.source_nodes] == list(range(1, len(answer.citations) + 1))
    assert first.metadata["language"] == "en" and first.metadata["grounded"] is True

    follow = chat.chat("and in India?")  # condensed with the session's history
    assert "IND" in follow.source_nodes[0].node.metadata["countries"]
    history = chat.chat_history
    assert [m.role for m in history] == [MessageRole.USER, MessageRole.ASSISTANT] * 2
    assert history[2].content == "and in India?" and history[3].content == follow.response

    chat.reset()
    assert chat.chat_history == []


def test_chat_engine_streams_in_order_and_in_the_askers_language(corpus_services):
    chat = GalaxyChatEngine(corpus_services.engine)
    streamed = chat.stream_chat("Quelles solutions pour l'eau potable au Kenya ?")
    text = "".join(streamed.response_gen)
    assert text.strip() == chat.last_answer.text.strip() and chat.last_answer.language == "fr"
    cited = [c.doc_id for c in chat.last_answer.citations]
    assert cited and [n.node.metadata["doc_id"] for n in streamed.source_nodes] == cited
    assert all("KEN" in n.node.metadata["countries"] for n in streamed.source_nodes)

    async def collect():
        response = await chat.astream_chat("fish smoking ovens")
        return "".join([piece async for piece in response.async_response_gen()]), response

    text, response = asyncio.run(collect())
    assert text.strip() == chat.last_answer.text.strip()
    assert [n.node.metadata["doc_id"] for n in response.source_nodes] == [c.doc_id for c in chat.last_answer.citations]


def test_chat_store_shares_the_conversation_store(corpus_services):
    store = ConversationChatStore(corpus_services.conversations)
    session = f"store-{uuid.uuid4().hex}"
    store.add_message(session, ChatMessage(role=MessageRole.USER, content="Bonjour"))
    store.add_message(session, ChatMessage(role=MessageRole.ASSISTANT, content="Salut", additional_kwargs={"n": 1}))
    assert [t.content for t in corpus_services.conversations.history(session)] == ["Bonjour", "Salut"]
    assert store.get_messages(session)[1].additional_kwargs == {"n": 1}
    assert session in store.get_keys()
    assert store.delete_last_message(session).content == "Salut"
    assert [m.content for m in store.get_messages(session)] == ["Bonjour"]
    assert store.delete_message(session, 5) is None
    assert [m.content for m in store.delete_messages(session)] == ["Bonjour"] and store.get_messages(session) == []


def test_llama_index_condense_plus_context_engine_runs_on_our_retriever_and_memory(corpus_services):
    """llama-index's own engine, with a deterministic LLM stand-in that echoes its prompt: our retriever supplies
    the context, and the exchange lands in our SQLite conversation store."""
    from llama_index.core.chat_engine import CondensePlusContextChatEngine
    from llama_index.core.llms import MockLLM
    from llama_index.core.memory import ChatMemoryBuffer

    session = f"cpc-{uuid.uuid4().hex}"
    memory = ChatMemoryBuffer.from_defaults(
        chat_store=ConversationChatStore(corpus_services.conversations), chat_store_key=session, token_limit=3000
    )
    engine = CondensePlusContextChatEngine.from_defaults(
        retriever=HybridRetriever(corpus_services.retriever, k=2), llm=MockLLM(), memory=memory
    )
    response = engine.chat("improved fish smoking ovens")
    assert response.source_nodes[0].node.metadata["doc_id"] == "sol-sen-improved-fish-smoking-ovens"
    passage = response.source_nodes[0].node.text
    assert passage[len(passage) // 2 :][:60] in response.response  # the retrieved passage reached the LLM's prompt
    turns = corpus_services.conversations.history(session)
    assert [t.role for t in turns] == ["user", "assistant"] and turns[0].content == "improved fish smoking ovens"
