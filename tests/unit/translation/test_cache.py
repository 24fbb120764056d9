"""The translation cache: keys, the three bounds (entries, age, key length), clearing, counts, threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mostlylucid_nmt.backends.base import GenerationOptions
from mostlylucid_nmt.telemetry import Telemetry
from mostlylucid_nmt.translation.cache import SegmentKey, TranslationCache

OPTIONS = GenerationOptions(beam_size=5, max_new_tokens=512)


def key(
    text: str, *, model: str = "m", target: str = "de", options: GenerationOptions = OPTIONS
) -> SegmentKey:
    return SegmentKey(model, "en", target, options, text)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingTelemetry(Telemetry):
    def __init__(self) -> None:
        self.lookups: list[tuple[int, int]] = []
        self.sizes: list[int] = []

    def cache_lookups(self, hits: int, misses: int) -> None:
        self.lookups.append((hits, misses))

    def cache_entries(self, count: int) -> None:
        self.sizes.append(count)


def make(
    capacity: int = 100,
    max_age_s: float = 60,
    max_key_chars: int = 50,
    *,
    clock: FakeClock | None = None,
    telemetry: Telemetry | None = None,
) -> TranslationCache:
    return TranslationCache(
        capacity=capacity,
        max_age_s=max_age_s,
        max_key_chars=max_key_chars,
        clock=clock or FakeClock(),
        telemetry=telemetry or Telemetry(),
    )


def test_a_stored_translation_comes_back_and_is_counted() -> None:
    telemetry = RecordingTelemetry()
    cache = make(telemetry=telemetry)
    assert cache.lookup([key("Hello.")]) == [None]
    cache.store([(key("Hello."), "Hallo.")])
    assert cache.lookup([key("Hello."), key("Bye.")]) == ["Hallo.", None]
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.entries) == (1, 2, 1)
    assert stats.hit_ratio == pytest.approx(1 / 3)
    assert telemetry.lookups == [(0, 1), (1, 1)]
    assert telemetry.sizes == [1]


def test_every_part_of_the_key_matters() -> None:
    cache = make()
    cache.store([(key("Hello."), "Hallo.")])
    other_options = GenerationOptions(beam_size=1, max_new_tokens=512)
    variants = [
        key("Hello.", model="other"),
        key("Hello.", target="fr"),
        key("Hello.", options=other_options),
        key("hello."),
        SegmentKey("m", "nl", "de", OPTIONS, "Hello."),
    ]
    assert cache.lookup(variants) == [None] * len(variants)
    assert cache.lookup([key("Hello.")]) == ["Hallo."]


def test_capacity_bounds_the_entries_least_recently_used_first() -> None:
    cache = make(capacity=3)
    cache.store([(key(f"s{index}"), f"t{index}") for index in range(3)])
    cache.lookup([key("s0")])  # s0 is now the most recently used; s1 the least
    cache.store([(key("s3"), "t3")])
    assert cache.stats().entries == 3
    assert cache.lookup([key("s0"), key("s1"), key("s2"), key("s3")]) == ["t0", None, "t2", "t3"]


def test_segments_over_the_key_length_are_never_stored() -> None:
    cache = make(max_key_chars=10)
    long_text = "x" * 11
    cache.store([(key(long_text), "y"), (key("x" * 10), "z")])
    assert cache.stats().entries == 1
    assert cache.lookup([key(long_text), key("x" * 10)]) == [None, "z"]
    assert cache.stats().misses == 1  # a segment too long to cache is a miss: the model translates it


def test_entries_expire_at_the_max_age_since_they_were_stored() -> None:
    clock = FakeClock()
    cache = make(max_age_s=60, clock=clock)
    cache.store([(key("old"), "alt")])
    clock.now += 30
    cache.store([(key("new"), "neu")])
    clock.now += 29.5
    assert cache.lookup([key("old"), key("new")]) == ["alt", "neu"]  # a hit does not extend the age
    clock.now += 1
    assert cache.lookup([key("old"), key("new")]) == [None, "neu"]
    assert cache.stats().entries == 1
    clock.now += 30
    assert cache.stats().entries == 0


def test_max_age_zero_keeps_entries_until_evicted() -> None:
    clock = FakeClock()
    cache = make(max_age_s=0, clock=clock)
    cache.store([(key("a"), "b")])
    clock.now += 10**9
    assert cache.lookup([key("a")]) == ["b"]


def test_clear_empties_the_cache_but_keeps_the_counts() -> None:
    telemetry = RecordingTelemetry()
    cache = make(telemetry=telemetry)
    cache.store([(key("a"), "1"), (key("b"), "2")])
    cache.lookup([key("a")])
    assert cache.clear() == 2
    assert cache.lookup([key("a")]) == [None]
    stats = cache.stats()
    assert (stats.entries, stats.hits, stats.misses) == (0, 1, 1)
    assert telemetry.sizes[-1] == 0


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        make(capacity=0)


def test_threads_share_it_safely() -> None:
    cache = make(capacity=50, max_key_chars=100)

    def work(worker: int) -> None:
        for round_ in range(300):
            text = f"s{(worker * 7 + round_) % 80}"
            if cache.lookup([key(text)])[0] is None:
                cache.store([(key(text), text.upper())])

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    stats = cache.stats()
    assert stats.entries <= 50
    assert stats.hits + stats.misses == 8 * 300
    assert all(
        value in (None, f"S{index}")
        for index, value in enumerate(cache.lookup([key(f"s{i}") for i in range(80)]))
    )
