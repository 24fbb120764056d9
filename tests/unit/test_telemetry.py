"""What the core reports to its observer: the registry, admission control and the batcher, driven for real."""

from __future__ import annotations

from typing import Any

import pytest

from mostlylucid_nmt.backends.base import GenerationOptions, ModelSpec
from mostlylucid_nmt.backends.fake import FakeLoader
from mostlylucid_nmt.backends.registry import ModelRegistry
from mostlylucid_nmt.errors import Busy, ModelUnavailable, Overloaded
from mostlylucid_nmt.scheduling.admission import AdmissionController
from mostlylucid_nmt.scheduling.batcher import BatchKey, DynamicBatcher
from mostlylucid_nmt.settings import ModelFamily
from mostlylucid_nmt.telemetry import Telemetry


class Recorder(Telemetry):
    """Keeps every call as (method name, arguments)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("_") or name in ("calls", "named"):
            return object.__getattribute__(self, name)
        return lambda *args: self.calls.append((name, args))

    def named(self, name: str) -> list[tuple[Any, ...]]:
        return [args for called, args in self.calls if called == name]


def spec(name: str) -> ModelSpec:
    return ModelSpec(ModelFamily.OPUS_MT, f"Helsinki-NLP/opus-mt-{name}")


class FailingLoader(FakeLoader):
    def load(self, spec: ModelSpec) -> Any:
        raise ModelUnavailable("no such model")


async def test_the_registry_reports_loads_evictions_and_failures() -> None:
    recorder = Recorder()
    registry = ModelRegistry(FakeLoader(), capacity=1, telemetry=recorder)
    for name in ("en-de", "de-en"):
        async with registry.use(spec(name)):
            pass
    assert len(recorder.named("model_loaded")) == 2
    assert recorder.named("model_evicted") == [()]
    assert recorder.named("models_resident") == [(1,), (0,), (1,)]
    await registry.close()
    assert recorder.named("models_resident")[-1] == (0,)

    failing = ModelRegistry(FailingLoader(), capacity=1, telemetry=recorder)
    with pytest.raises(ModelUnavailable):
        await failing.preload(spec("xx-yy"))
    assert recorder.named("model_load_failed") == [()]


def test_admission_reports_its_counts_and_every_rejection() -> None:
    recorder = Recorder()
    saturated = False
    admission = AdmissionController(
        enable_queue=True,
        max_queue_size=1,
        backend_saturated=lambda: saturated,
        estimated_drain_s=lambda: None,
        telemetry=recorder,
    )
    with admission.admit() as ticket:
        ticket.mark_started()
        saturated = True
        with admission.admit(), pytest.raises(Overloaded), admission.admit():
            pass
    assert recorder.named("admission_state") == [(1, 0), (0, 1), (1, 1), (0, 1), (0, 0)]
    assert recorder.named("request_rejected") == [("overloaded",)]

    no_queue = AdmissionController(
        enable_queue=False,
        max_queue_size=0,
        backend_saturated=lambda: True,
        estimated_drain_s=lambda: None,
        telemetry=recorder,
    )
    with pytest.raises(Busy), no_queue.admit():
        pass
    assert recorder.named("request_rejected")[-1] == ("busy",)


async def test_the_batcher_reports_each_batch_and_its_queue() -> None:
    recorder = Recorder()
    batcher = DynamicBatcher(
        max_batch_sentences=2,
        max_batch_tokens=1000,
        max_wait_ms=0,
        max_concurrent_batches=1,
        threads=1,
        telemetry=recorder,
    )
    registry = ModelRegistry(FakeLoader(), capacity=1)
    admission = AdmissionController(
        enable_queue=True, max_queue_size=10, backend_saturated=lambda: False, estimated_drain_s=lambda: None
    )
    key = BatchKey("Helsinki-NLP/opus-mt-en-de", "en", "de", GenerationOptions(beam_size=1, max_new_tokens=8))
    texts = ["a.", "bbbb.", "cc."]
    async with registry.use(spec("en-de")) as translator:
        with admission.admit() as ticket:
            result = await batcher.translate(
                ticket, translator, key, texts, [3, 9, 5], lambda: registry.pin(spec("en-de"))
            )
    assert result == ["[de] a.", "[de] bbbb.", "[de] cc."]
    # Shortest first: (a., cc.) padded to 2 x 5 tokens, then (bbbb.) alone.
    assert recorder.named("batch_started") == [(2, 10), (1, 9)]
    states = recorder.named("batcher_state")
    assert states[0] == (3, 0)  # all three queued, nothing running
    assert states[-1] == (0, 0)
    assert max(running for _, running in states) == 1
    await batcher.close()
    await registry.close()
