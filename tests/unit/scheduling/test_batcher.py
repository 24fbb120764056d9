"""The dynamic batcher, with a recording backend and no model."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence

import pytest

from mostlylucid_nmt.backends.base import GenerationOptions, ModelSpec
from mostlylucid_nmt.errors import BackendFailure
from mostlylucid_nmt.scheduling.batcher import BatchKey, DynamicBatcher, RequestTicket
from mostlylucid_nmt.settings import ModelFamily

OPTIONS = GenerationOptions(beam_size=1, max_new_tokens=64)


class RecordingTranslator:
    """Upper-cases texts; records every batch; can be slowed down or made to fail on a marker."""

    def __init__(self, delay_s: float = 0.0, fail_on: str | None = None) -> None:
        self.delay_s = delay_s
        self.fail_on = fail_on
        self.batches: list[list[str]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()

    @property
    def spec(self) -> ModelSpec:
        return ModelSpec(ModelFamily.OPUS_MT, "Helsinki-NLP/opus-mt-en-de")

    @property
    def max_input_tokens(self) -> int:
        return 512

    def count_tokens(self, texts: Sequence[str], source_lang: str, target_lang: str) -> list[int]:
        return [len(text) for text in texts]

    def translate(
        self, texts: Sequence[str], source_lang: str, target_lang: str, options: GenerationOptions
    ) -> list[str]:
        with self.lock:
            self.batches.append(list(texts))
        self.release.wait(5)
        time.sleep(self.delay_s)
        if self.fail_on is not None and self.fail_on in texts:
            raise RuntimeError("model exploded")
        return [text.upper() for text in texts]

    def close(self) -> None:
        pass


KEY = BatchKey("Helsinki-NLP/opus-mt-en-de", "en", "de", OPTIONS)


def no_hold() -> Callable[[], None]:
    return lambda: None


def batcher(**overrides: float) -> DynamicBatcher:
    settings: dict[str, float] = {
        "max_batch_sentences": 8,
        "max_batch_tokens": 10_000,
        "max_wait_ms": 0,
        "max_concurrent_batches": 1,
        "threads": 2,
    }
    settings.update(overrides)
    return DynamicBatcher(
        max_batch_sentences=int(settings["max_batch_sentences"]),
        max_batch_tokens=int(settings["max_batch_tokens"]),
        max_wait_ms=settings["max_wait_ms"],
        max_concurrent_batches=int(settings["max_concurrent_batches"]),
        threads=int(settings["threads"]),
    )


async def submit(b: DynamicBatcher, model: RecordingTranslator, texts: list[str]) -> list[str]:
    return await b.translate(RequestTicket(), model, KEY, texts, [len(t) for t in texts], no_hold)


async def test_concurrent_requests_coalesce_into_one_batch() -> None:
    b = batcher()
    model = RecordingTranslator()
    model.release.clear()  # hold the first batch so the others queue up behind it
    first = asyncio.create_task(submit(b, model, ["a"]))
    await asyncio.sleep(0.05)
    others = [asyncio.create_task(submit(b, model, [f"req{index}"])) for index in range(6)]
    await asyncio.sleep(0.05)
    model.release.set()
    results = await asyncio.gather(first, *others)
    assert results == [["A"]] + [[f"REQ{index}"] for index in range(6)]
    assert len(model.batches) == 2
    assert sorted(model.batches[1]) == sorted(f"req{index}" for index in range(6))
    assert list(b.stats.recent_batch_sizes) == [1, 6]
    await b.close()


async def test_order_is_restored_across_batches() -> None:
    b = batcher(max_batch_sentences=3)
    model = RecordingTranslator()
    texts = ["ccc", "a", "bbbbb", "dd", "e", "ffffffff", "gg"]
    assert await submit(b, model, texts) == [text.upper() for text in texts]
    # Sorted by length, at most three per call.
    assert [len(batch) for batch in model.batches] == [3, 3, 1]
    assert model.batches[0] == ["a", "e", "dd"]
    await b.close()


async def test_token_budget_is_respected() -> None:
    b = batcher(max_batch_tokens=20, max_batch_sentences=100)
    model = RecordingTranslator()
    texts = ["x" * 5] * 6 + ["y" * 12]
    await submit(b, model, texts)
    for batch in model.batches:
        assert max(len(text) for text in batch) * len(batch) <= 20 or len(batch) == 1
    assert sum(len(batch) for batch in model.batches) == 7


async def test_an_oversized_sentence_still_runs_alone() -> None:
    b = batcher(max_batch_tokens=4)
    model = RecordingTranslator()
    assert await submit(b, model, ["much longer than four"]) == ["MUCH LONGER THAN FOUR"]
    await b.close()


async def test_a_raising_backend_fails_exactly_that_batchs_requests() -> None:
    b = batcher()
    model = RecordingTranslator(fail_on="boom")
    model.release.clear()
    blocker = asyncio.create_task(submit(b, model, ["first"]))
    await asyncio.sleep(0.05)
    doomed = [asyncio.create_task(submit(b, model, [text])) for text in ["boom", "same batch"]]
    await asyncio.sleep(0.05)
    model.release.set()
    assert await blocker == ["FIRST"]
    for task in doomed:
        with pytest.raises(BackendFailure, match="see the server log"):
            await task
    # The next request is served: nothing hangs, nothing stays poisoned.
    assert await asyncio.wait_for(submit(b, model, ["after"]), 2) == ["AFTER"]
    assert b.stats.failed_batches == 1
    await b.close()


async def test_cancelled_requests_never_reach_the_backend() -> None:
    b = batcher()
    model = RecordingTranslator()
    model.release.clear()
    running = asyncio.create_task(submit(b, model, ["running"]))
    await asyncio.sleep(0.05)
    abandoned = asyncio.create_task(submit(b, model, ["never", "computed"]))
    kept = asyncio.create_task(submit(b, model, ["kept"]))
    await asyncio.sleep(0.05)
    abandoned.cancel()
    await asyncio.sleep(0.01)
    model.release.set()
    assert await running == ["RUNNING"]
    assert await kept == ["KEPT"]
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    assert all("never" not in batch and "computed" not in batch for batch in model.batches)
    assert b.stats.dropped_sentences == 2
    await b.close()


async def test_a_lone_request_does_not_wait_for_the_window() -> None:
    b = batcher(max_wait_ms=2000)
    model = RecordingTranslator()
    started = time.perf_counter()
    assert await submit(b, model, ["alone"]) == ["ALONE"]
    assert time.perf_counter() - started < 0.5
    await b.close()


async def test_waiting_for_returning_clients_lasts_at_most_the_window() -> None:
    b = batcher(max_wait_ms=300)
    model = RecordingTranslator()
    await asyncio.gather(submit(b, model, ["one"]), submit(b, model, ["two"]))
    # Only one of the two clients comes back: its request waits for the other, but no longer than the window.
    started = time.perf_counter()
    assert await submit(b, model, ["back"]) == ["BACK"]
    waited = time.perf_counter() - started
    assert 0.2 <= waited < 0.3 + 0.5
    await b.close()


async def test_the_ticket_marks_when_work_starts() -> None:
    b = batcher()
    model = RecordingTranslator()
    started: list[bool] = []
    ticket = RequestTicket(on_start=lambda: started.append(True))
    await b.translate(ticket, model, KEY, ["x"], [1], no_hold)
    assert ticket.started
    assert started == [True]
    await b.close()


async def test_models_are_held_for_the_duration_of_a_batch() -> None:
    b = batcher()
    model = RecordingTranslator(delay_s=0.2)
    events: list[str] = []

    def hold() -> Callable[[], None]:
        events.append("hold")
        return lambda: events.append("release")

    await b.translate(RequestTicket(), model, KEY, ["x", "y"], [1, 1], hold)
    assert events == ["hold", "release"]
    await b.close()


async def test_just_after_a_batch_the_next_one_waits_for_returning_clients() -> None:
    b = batcher(max_wait_ms=200)
    model = RecordingTranslator(delay_s=0.05)
    assert await asyncio.gather(submit(b, model, ["one"]), submit(b, model, ["two"])) == [["ONE"], ["TWO"]]
    # The two clients of the finished batch come back a few milliseconds apart: they share the next batch.
    second = asyncio.create_task(submit(b, model, ["second"]))
    await asyncio.sleep(0.03)
    third = asyncio.create_task(submit(b, model, ["third"]))
    assert await asyncio.gather(second, third) == [["SECOND"], ["THIRD"]]
    assert model.batches == [["one", "two"], ["second", "third"]]
    await b.close()


async def test_a_lone_client_coming_back_does_not_wait() -> None:
    b = batcher(max_wait_ms=500)
    model = RecordingTranslator()
    await submit(b, model, ["first"])
    started = time.perf_counter()
    assert await submit(b, model, ["again"]) == ["AGAIN"]
    assert time.perf_counter() - started < 0.25
    await b.close()


async def test_after_an_idle_spell_a_lone_request_goes_at_once() -> None:
    b = batcher(max_wait_ms=300)
    model = RecordingTranslator()
    await submit(b, model, ["warm"])
    await asyncio.sleep(0.4)  # longer than the window: the backend is idle, nobody is coming back
    started = time.perf_counter()
    assert await submit(b, model, ["alone"]) == ["ALONE"]
    assert time.perf_counter() - started < 0.2
    await b.close()
