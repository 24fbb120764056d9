"""The service's Prometheus metrics, and the observer that feeds them from the core.

HTTP metrics (`http_requests_total`, `http_request_duration_seconds`, the names the seed guide's dashboards
query) are recorded by the API middleware with route templates as `path`, so label values are bounded. The
rest come from the core through `Telemetry` calls at the moment things happen.

With PROMETHEUS_MULTIPROC_DIR set (always under gunicorn, see `multiprocess`) each process writes its values
to files there and `render` reads every process's files: counters and histograms add up over workers (dead
ones included), gauges over live workers. Without it (uvicorn alone, in-process tests) values live in this
process. Each `ServiceMetrics` has its own registry, so several apps in one process never collide.
"""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from mostlylucid_nmt.errors import Busy, Overloaded, ShuttingDown
from mostlylucid_nmt.telemetry import Telemetry

# From a cached answer (milliseconds) to a long document on a busy CPU (minutes: TRANSLATE_TIMEOUT_SEC is 180).
_HTTP_SECONDS_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 180.0)
# EASYNMT_BATCH_SIZE is 32 on CPU and 64 on GPU by default; powers of two up to well past both.
_BATCH_SENTENCE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
# BATCH_MAX_TOKENS is 8192 on CPU and 32768 on GPU by default.
_BATCH_TOKEN_BUCKETS = (16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768, 65536)
# Reasons a request is turned away, created up front so that they read 0 rather than missing.
_REJECTION_REASONS = (Overloaded.kind, Busy.kind, ShuttingDown.kind)


class ServiceMetrics(Telemetry):
    def __init__(self, multiprocess_dir: Path | None = None) -> None:
        self._multiprocess_dir = multiprocess_dir
        self.registry = registry = CollectorRegistry()
        self.http_requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "path", "status"],
            registry=registry,
        )
        self.http_request_duration = Histogram(
            "http_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by method and route template.",
            ["method", "path"],
            buckets=_HTTP_SECONDS_BUCKETS,
            registry=registry,
        )
        self.rejected_requests = Counter(
            "nmt_rejected_requests",
            "Requests turned away before any work (429 overloaded, 503 busy or shutting_down), by reason.",
            ["reason"],
            registry=registry,
        )
        for reason in _REJECTION_REASONS:
            self.rejected_requests.labels(reason)
        self.waiting_requests = Gauge(
            "nmt_queue_waiting_requests",
            "Admitted requests none of whose sentences has reached the model yet (the MAX_QUEUE_SIZE queue).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.queued_sentences = Gauge(
            "nmt_queue_sentences",
            "Sentences waiting in the batcher's per-model queues.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.inflight_requests = Gauge(
            "nmt_inflight_requests",
            "Requests being translated (their first sentences are in a batch).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.running_batches = Gauge(
            "nmt_running_batches",
            "Model calls executing now (at most MAX_INFLIGHT_TRANSLATIONS per worker).",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.batch_sentences = Histogram(
            "nmt_batch_sentences",
            "Sentences per model call.",
            buckets=_BATCH_SENTENCE_BUCKETS,
            registry=registry,
        )
        self.batch_tokens = Histogram(
            "nmt_batch_tokens",
            "Padded input tokens per model call (longest sentence x sentences, what BATCH_MAX_TOKENS bounds).",
            buckets=_BATCH_TOKEN_BUCKETS,
            registry=registry,
        )
        self.model_loads = Counter("nmt_model_loads", "Models loaded.", registry=registry)
        self.model_load_failures = Counter(
            "nmt_model_load_failures", "Model loads that failed.", registry=registry
        )
        self.model_evictions = Counter(
            "nmt_model_evictions",
            "Loaded models dropped to make room (MAX_CACHED_MODELS).",
            registry=registry,
        )
        self.models_loaded = Gauge(
            "nmt_models_loaded",
            "Models loaded now, over all workers.",
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.cache_hits = Counter(
            "nmt_translation_cache_hits", "Segments answered from the translation cache.", registry=registry
        )
        self.cache_misses = Counter(
            "nmt_translation_cache_misses",
            "Segments looked up in the translation cache and not found (translated by the model).",
            registry=registry,
        )
        self.cached_segments = Gauge(
            "nmt_translation_cache_entries",
            "Segments held by the translation caches of all workers.",
            registry=registry,
            multiprocess_mode="livesum",
        )

    # --- HTTP (called by the API middleware) ---------------------------------------------------------------------
    def observe_request(self, method: str, path: str, status: int, seconds: float) -> None:
        self.http_request_duration.labels(method, path).observe(seconds)
        # Counted last, so whoever sees the count also sees the duration.
        self.http_requests.labels(method, path, str(status)).inc()

    # --- exposition ----------------------------------------------------------------------------------------------
    def render(self, accept: str = "") -> tuple[bytes, str]:
        """Every process's metrics (or this process's, outside multiprocess mode) and their content type.

        The format follows the scraper's Accept header (Prometheus text or OpenMetrics), as
        prometheus_client's own exporters do.
        """
        encode, content_type = choose_encoder(accept)
        if self._multiprocess_dir is None:
            return encode(self.registry), content_type
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=str(self._multiprocess_dir))  # type: ignore[no-untyped-call]
        return encode(merged), content_type

    # --- Telemetry -----------------------------------------------------------------------------------------------
    def model_loaded(self, seconds: float) -> None:
        self.model_loads.inc()

    def model_load_failed(self) -> None:
        self.model_load_failures.inc()

    def model_evicted(self) -> None:
        self.model_evictions.inc()

    def models_resident(self, count: int) -> None:
        self.models_loaded.set(count)

    def batch_started(self, sentences: int, padded_tokens: int) -> None:
        self.batch_sentences.observe(sentences)
        self.batch_tokens.observe(padded_tokens)

    def batcher_state(self, queued_sentences: int, running_batches: int) -> None:
        self.queued_sentences.set(queued_sentences)
        self.running_batches.set(running_batches)

    def admission_state(self, waiting_requests: int, active_requests: int) -> None:
        self.waiting_requests.set(waiting_requests)
        self.inflight_requests.set(active_requests)

    def request_rejected(self, reason: str) -> None:
        self.rejected_requests.labels(reason).inc()

    def cache_lookups(self, hits: int, misses: int) -> None:
        if hits:
            self.cache_hits.inc(hits)
        if misses:
            self.cache_misses.inc(misses)

    def cache_entries(self, count: int) -> None:
        self.cached_segments.set(count)
