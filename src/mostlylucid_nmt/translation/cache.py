"""The translation cache: segments translated before are answered without the model.

A segment is one sentence (or one whole text, without sentence splitting) on one hop of a route. Its
translation depends on nothing but the model, the language pair, the generation options and the text, so
those make the key, and a cached translation is the very string the model gave. The cache is bounded three
ways (CHUNK_CACHE_CAPACITY entries, least recently used out first; CHUNK_CACHE_MAX_AGE seconds since an
entry was stored; segments over CHUNK_CACHE_MAX_KEY_LENGTH characters are never stored) and lives in one
worker process: each gunicorn worker has its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from cachetools import TTLCache

from mostlylucid_nmt.backends.base import GenerationOptions
from mostlylucid_nmt.telemetry import NO_TELEMETRY, Telemetry


@dataclass(frozen=True, slots=True)
class SegmentKey:
    """Everything a segment's translation depends on."""

    model: str
    source_lang: str
    target_lang: str
    options: GenerationOptions
    text: str


@dataclass(frozen=True, slots=True)
class CacheStats:
    entries: int
    capacity: int
    max_age_s: float
    max_key_chars: int
    hits: int
    misses: int

    @property
    def hit_ratio(self) -> float | None:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else None


class TranslationCache:
    """A bounded, thread-safe map from `SegmentKey` to translation, with hit and miss counts."""

    def __init__(
        self,
        *,
        capacity: int,
        max_age_s: float,
        max_key_chars: int,
        clock: Callable[[], float] = time.monotonic,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._max_age_s = max_age_s
        self._max_key_chars = max_key_chars
        # A max age of 0 means entries never expire; the capacity still bounds the cache.
        ttl = max_age_s if max_age_s > 0 else math.inf
        self._entries: TTLCache[SegmentKey, str] = TTLCache(maxsize=capacity, ttl=ttl, timer=clock)
        # The service runs on one event loop, but the cache is also safe to share with threads (tools, tests).
        self._lock = threading.Lock()
        self._telemetry = telemetry
        self._hits = 0
        self._misses = 0

    def cacheable(self, text: str) -> bool:
        return len(text) <= self._max_key_chars

    def lookup(self, keys: Sequence[SegmentKey]) -> list[str | None]:
        """The cached translation of each key, or None; segments too long to cache count as misses."""
        with self._lock:
            found = [self._entries.get(key) if self.cacheable(key.text) else None for key in keys]
            hits = sum(1 for translation in found if translation is not None)
            self._hits += hits
            self._misses += len(keys) - hits
        self._telemetry.cache_lookups(hits, len(keys) - hits)
        return found

    def store(self, items: Iterable[tuple[SegmentKey, str]]) -> None:
        with self._lock:
            for key, translation in items:
                if self.cacheable(key.text):
                    self._entries[key] = translation
            count = self._live_entries()
        self._telemetry.cache_entries(count)

    def clear(self) -> int:
        """Forget every entry (the hit and miss counts stay); returns how many there were."""
        with self._lock:
            count = self._live_entries()
            self._entries.clear()
        self._telemetry.cache_entries(0)
        return count

    def stats(self) -> CacheStats:
        with self._lock:
            entries = self._live_entries()
            return CacheStats(
                entries=entries,
                capacity=self._capacity,
                max_age_s=self._max_age_s,
                max_key_chars=self._max_key_chars,
                hits=self._hits,
                misses=self._misses,
            )

    def _live_entries(self) -> int:
        self._entries.expire()  # expired entries otherwise linger until the next write
        return len(self._entries)
