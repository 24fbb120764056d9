"""What the core reports while it works, for whoever watches it.

The registry, the batcher, admission control and the translation cache call these methods at the moment
something happens (a model loaded, a batch started, a request turned away), so an observer never has to
poll or count twice. The base class ignores everything: the core runs unobserved in unit tests and tools,
and knows nothing of Prometheus; `mostlylucid_nmt.metrics.exporter` is the observer the server installs.

Methods are called on the event loop thread and must return quickly.
"""

from __future__ import annotations


class Telemetry:
    """An observer of the core; every method is a no-op here."""

    # --- models (backends/registry.py) -----------------------------------------------------------------------
    def model_loaded(self, seconds: float) -> None:
        """A model finished loading after `seconds`."""

    def model_load_failed(self) -> None:
        """A model load failed (the next request tries again)."""

    def model_evicted(self) -> None:
        """A loaded model was dropped to make room (or at shutdown)."""

    def models_resident(self, count: int) -> None:
        """How many models are loaded now."""

    # --- batching (scheduling/batcher.py) --------------------------------------------------------------------
    def batch_started(self, sentences: int, padded_tokens: int) -> None:
        """A model call began on `sentences` sentences, `padded_tokens` = longest x sentences."""

    def batcher_state(self, queued_sentences: int, running_batches: int) -> None:
        """Sentences waiting for a batch, and batches executing, after a change."""

    # --- admission (scheduling/admission.py) -----------------------------------------------------------------
    def admission_state(self, waiting_requests: int, active_requests: int) -> None:
        """Requests waiting for their first batch, and requests being translated, after a change."""

    def request_rejected(self, reason: str) -> None:
        """A request was turned away; `reason` is the error kind it got (`overloaded`, `busy`, ...)."""

    # --- translation cache (translation/cache.py) ------------------------------------------------------------
    def cache_lookups(self, hits: int, misses: int) -> None:
        """Segments answered from the translation cache, and segments that had to be translated."""

    def cache_entries(self, count: int) -> None:
        """How many segments the translation cache holds now."""


# The observer components use when none is given.
NO_TELEMETRY = Telemetry()
