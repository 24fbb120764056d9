"""Wire shapes. The EasyNMT ones are exact: field names, order and types are what existing clients parse."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mostlylucid_nmt.translation.markup import TextFormat


class TranslateBody(BaseModel):
    """POST /translate. `text` may be one string or a list; the answer mirrors that choice."""

    model_config = ConfigDict(extra="ignore")

    text: str | list[str] = Field(default_factory=list, description="One text, or a list of texts.")
    target_lang: str = Field(description="Language to translate into, e.g. 'de'.")
    source_lang: str | None = Field(
        default="", description="Language of the texts; empty or null detects it per text."
    )
    beam_size: int = Field(default=5, description="Beam search width (1 = greedy).")
    perform_sentence_splitting: bool = Field(
        default=True, description="Split each text into sentences before translating."
    )
    format: TextFormat = Field(
        default=TextFormat.TEXT,
        description="text, or html / markdown: translate only the words and keep the markup byte for byte.",
    )


class TranslateResponse(BaseModel):
    """EasyNMT's answer. `detected_langs` is present only when the source language was detected."""

    target_lang: str
    source_lang: str | None
    detected_langs: str | list[str] | None = Field(
        default=None, description="Only when source_lang was empty: one code per text, in order."
    )
    translated: str | list[str]
    translation_time: float


class LanguageDetectionBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str | list[str] | dict[str, str] = Field(
        description="A text, a list of texts, or an object of texts; the answer has the same shape."
    )


class ErrorBody(BaseModel):
    detail: str = Field(description="What went wrong and what to change.")
    error: str = Field(description="Error kind (see the README's error table).")


class HealthBody(BaseModel):
    status: str


class ReadyBody(BaseModel):
    status: str
    preloads_pending: int
    preload_errors: list[str]


class LoadedModel(BaseModel):
    model: str
    family: str
    in_use: int
    uses: int
    load_seconds: float


class TranslationCacheBody(BaseModel):
    """The translation cache of this worker process (CHUNK_CACHE_*); each worker has its own."""

    enabled: bool = Field(description="CHUNK_CACHE_ENABLED.")
    entries: int = Field(description="Segments held now.")
    capacity: int = Field(description="CHUNK_CACHE_CAPACITY.")
    max_age_s: float = Field(description="CHUNK_CACHE_MAX_AGE (0: entries stay until evicted).")
    max_key_chars: int = Field(description="CHUNK_CACHE_MAX_KEY_LENGTH: longer segments are not cached.")
    hits_total: int = Field(description="Segments answered from the cache since the process started.")
    misses_total: int = Field(description="Segments looked up and translated by the model.")
    hit_ratio: float | None = Field(description="hits / (hits + misses); null before any lookup.")


class ClearedCacheBody(BaseModel):
    cleared_entries: int = Field(description="Segments removed from this worker's translation cache.")
    translation_cache: TranslationCacheBody


class CacheBody(BaseModel):
    """Loaded models, admission and batching state of this worker process."""

    backend: str
    device: str
    model_family: str
    capacity: int = Field(description="MAX_CACHED_MODELS.")
    loaded: list[LoadedModel] = Field(description="Loaded models, least recently used first.")
    loading: list[str]
    loads_total: int
    load_failures_total: int
    evictions_total: int
    inflight: int = Field(description="Requests being translated (at least one sentence started).")
    waiting: int = Field(description="Admitted requests none of whose sentences has started yet.")
    queue_limit: int = Field(description="Requests allowed to wait (MAX_QUEUE_SIZE; 0 with the queue off).")
    queue_enabled: bool
    rejected_total: int = Field(description="Requests answered 429/503 by admission control.")
    max_inflight: int = Field(description="Batches that may run at once (MAX_INFLIGHT_TRANSLATIONS).")
    running_batches: int
    queued_sentences: int
    queue_depths: dict[str, int] = Field(description="Queued sentences per model and direction.")
    recent_batch_sizes: list[int] = Field(description="Sentences in each of the most recent batches.")
    batches_total: int
    sentences_total: int
    failed_batches_total: int
    dropped_sentences_total: int = Field(description="Sentences dropped because their request was abandoned.")
    sentences_per_s: float | None = Field(description="Measured translation rate (moving average).")
    translation_cache: TranslationCacheBody


class DiscoveryBody(BaseModel):
    family: str
    source: str = Field(description="'hub' when listed live from the hub, 'bundled' from built-in data.")
    hub_error: str | None = Field(default=None, description="Why the hub listing failed, when it did.")
    models: list[str]
    available_models: list[str] = Field(description="Models that can be loaded here now (MODEL_DIR, cache).")
    languages: list[str]
    pairs: list[str]
