"""Out of memory: recognised from either engine, and handled by the registry without exceeding its limit."""

from __future__ import annotations

import asyncio

import pytest

from mostlylucid_nmt.backends.base import GenerationOptions, ModelSpec
from mostlylucid_nmt.backends.fake import FakeFaults, FakeLoader
from mostlylucid_nmt.backends.memory import is_out_of_memory
from mostlylucid_nmt.backends.registry import ModelRegistry
from mostlylucid_nmt.errors import OutOfMemory
from mostlylucid_nmt.settings import ModelFamily


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError, which is what the check looks for."""


def spec(name: str) -> ModelSpec:
    return ModelSpec(ModelFamily.OPUS_MT, f"Helsinki-NLP/opus-mt-{name}")


@pytest.mark.parametrize(
    "exc",
    [
        MemoryError(),
        OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB"),
        RuntimeError("CUDA failed with error out of memory"),
    ],
)
def test_out_of_memory_errors_are_recognised(exc: BaseException) -> None:
    assert is_out_of_memory(exc)


@pytest.mark.parametrize("exc", [RuntimeError("shape mismatch"), ValueError("out of memory"), OSError()])
def test_other_errors_are_not(exc: BaseException) -> None:
    assert not is_out_of_memory(exc)


def test_fake_faults_raise_on_their_markers() -> None:
    faults = FakeFaults(fail_pattern="#FAIL#", oom_pattern="#OOM#", load_oom_pattern="en-de")
    translator = FakeLoader(faults=faults).load(spec("de-en"))
    options = GenerationOptions(beam_size=1, max_new_tokens=8)
    assert translator.translate(["fine"], "de", "en", options) == ["[en] fine"]
    with pytest.raises(RuntimeError, match="injected backend failure"):
        translator.translate(["fine", "x #FAIL# y"], "de", "en", options)
    with pytest.raises(RuntimeError) as raised:
        translator.translate(["#OOM#"], "de", "en", options)
    assert is_out_of_memory(raised.value)
    with pytest.raises(MemoryError):
        FakeLoader(faults=faults).load(spec("en-de"))


async def test_a_load_out_of_memory_reports_and_evicts_idle_models_then_retries() -> None:
    loader = FakeLoader(faults=FakeFaults(load_oom_pattern="en-fr"))
    registry = ModelRegistry(loader, capacity=3)
    for name in ["en-de", "de-en"]:
        async with registry.use(spec(name)):
            pass
    with pytest.raises(OutOfMemory, match="opus-mt-en-fr"):
        async with registry.use(spec("en-fr")):
            pass
    assert registry.loaded() == []
    assert sorted(loader.activity.closes) == [spec("de-en").repo_id, spec("en-de").repo_id]
    assert registry.stats.load_failures == 1
    async with registry.use(spec("en-de")):
        pass
    assert [item["model"] for item in registry.loaded()] == [spec("en-de").repo_id]
    await registry.close()


async def test_a_retired_model_keeps_its_slot_until_its_batches_end() -> None:
    loader = FakeLoader()
    registry = ModelRegistry(loader, capacity=1)
    release_batch = asyncio.Event()

    async def long_batch() -> None:
        async with registry.use(spec("en-de")):
            await release_batch.wait()

    holder = asyncio.create_task(long_batch())
    await asyncio.sleep(0.05)
    async with registry.use(spec("en-de")) as translator:
        pass
    await registry.retire(spec("en-de"), translator)
    assert registry.loaded() == []
    assert loader.activity.closes == []  # still running a batch
    waiter = asyncio.create_task(registry.preload(spec("de-en")))
    await asyncio.sleep(0.05)
    assert not waiter.done(), "a new model must wait: the retired one still holds the only slot"
    release_batch.set()
    await holder
    await asyncio.wait_for(waiter, 5)
    assert loader.activity.closes == [spec("en-de").repo_id]
    assert [item["model"] for item in registry.loaded()] == [spec("de-en").repo_id]
    # Retiring a copy that is already gone changes nothing.
    await registry.retire(spec("en-de"), translator)
    assert [item["model"] for item in registry.loaded()] == [spec("de-en").repo_id]
    await registry.close()
