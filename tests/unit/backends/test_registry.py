"""The model registry: one load per model, LRU eviction that spares models in use, failures not cached."""

from __future__ import annotations

import asyncio

import pytest

from mostlylucid_nmt.backends.base import ModelSpec, Translator
from mostlylucid_nmt.backends.fake import FakeLoader, FakeTranslator
from mostlylucid_nmt.backends.registry import ModelRegistry
from mostlylucid_nmt.errors import ModelUnavailable
from mostlylucid_nmt.settings import ModelFamily


def spec(name: str) -> ModelSpec:
    return ModelSpec(ModelFamily.OPUS_MT, f"Helsinki-NLP/opus-mt-{name}")


async def test_concurrent_first_requests_share_one_load() -> None:
    loader = FakeLoader(load_delay_ms=200)
    registry = ModelRegistry(loader, capacity=2)

    async def use() -> Translator:
        async with registry.use(spec("en-de")) as translator:
            await asyncio.sleep(0.01)
            return translator

    translators = await asyncio.gather(*(use() for _ in range(20)))
    assert loader.activity.loads == ["Helsinki-NLP/opus-mt-en-de"]
    assert len({id(translator) for translator in translators}) == 1
    assert registry.stats.loads == 1
    await registry.close()


async def test_capacity_one_keeps_one_model_and_evicts_lru() -> None:
    loader = FakeLoader()
    registry = ModelRegistry(loader, capacity=1)
    for name in ["en-de", "de-en", "en-fr", "en-de"]:
        async with registry.use(spec(name)):
            pass
        assert len(registry.loaded()) == 1
    assert [item["model"] for item in registry.loaded()] == ["Helsinki-NLP/opus-mt-en-de"]
    assert loader.activity.loads == [spec(n).repo_id for n in ["en-de", "de-en", "en-fr", "en-de"]]
    assert loader.activity.closes == [spec(n).repo_id for n in ["en-de", "de-en", "en-fr"]]
    assert registry.stats.evictions == 3
    await registry.close()


async def test_a_model_in_use_is_never_evicted() -> None:
    loader = FakeLoader()
    registry = ModelRegistry(loader, capacity=1)
    holding = asyncio.Event()
    release = asyncio.Event()

    async def hold_en_de() -> FakeTranslator:
        async with registry.use(spec("en-de")) as translator:
            holding.set()
            await release.wait()
            assert isinstance(translator, FakeTranslator)
            assert not translator.closed  # still alive while used
            return translator

    holder = asyncio.create_task(hold_en_de())
    await holding.wait()
    waiter = asyncio.create_task(registry.preload(spec("de-en")))
    await asyncio.sleep(0.05)
    assert not waiter.done()  # waits for a free slot instead of evicting a model in use
    assert loader.activity.loads == [spec("en-de").repo_id]
    release.set()
    translator = await holder
    await waiter
    assert translator.closed
    assert [item["model"] for item in registry.loaded()] == [spec("de-en").repo_id]
    await registry.close()


async def test_three_pairs_in_turn_with_one_slot_under_concurrency() -> None:
    loader = FakeLoader(load_delay_ms=5, batch_delay_ms=1)
    registry = ModelRegistry(loader, capacity=1)
    names = ["en-de", "de-en", "en-fr"] * 5

    async def use(name: str) -> str:
        async with registry.use(spec(name)) as translator:
            await asyncio.sleep(0.001)
            return translator.spec.repo_id

    served = await asyncio.wait_for(asyncio.gather(*(use(name) for name in names)), timeout=10)
    assert served == [spec(name).repo_id for name in names]
    assert len(registry.loaded()) <= 1
    await registry.close()


class FailingLoader(FakeLoader):
    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def load(self, spec: ModelSpec) -> Translator:
        if self.failures:
            self.failures -= 1
            raise ModelUnavailable(f"model {spec.repo_id} could not be downloaded; try again later")
        return super().load(spec)


async def test_a_failed_load_is_reported_to_all_waiters_and_retried_later() -> None:
    loader = FailingLoader(failures=1)
    registry = ModelRegistry(loader, capacity=2)

    async def attempt() -> None:
        async with registry.use(spec("en-de")):
            pass

    results = await asyncio.gather(attempt(), attempt(), return_exceptions=True)
    assert all(isinstance(result, ModelUnavailable) for result in results)
    assert registry.loaded() == []
    await attempt()  # not poisoned: the next request loads it
    assert [item["model"] for item in registry.loaded()] == [spec("en-de").repo_id]
    assert registry.stats.load_failures == 1
    await registry.close()


async def test_unexpected_loader_errors_become_model_unavailable() -> None:
    class BrokenLoader(FakeLoader):
        def load(self, spec: ModelSpec) -> Translator:
            raise RuntimeError("disk on fire")

    registry = ModelRegistry(BrokenLoader(), capacity=1)
    with pytest.raises(ModelUnavailable, match="try again later"):
        await registry.preload(spec("en-de"))
    await registry.close()


async def test_a_cancelled_waiter_does_not_cancel_the_load_or_leak_a_claim() -> None:
    loader = FakeLoader(load_delay_ms=200)
    registry = ModelRegistry(loader, capacity=1)
    impatient = asyncio.create_task(registry.preload(spec("en-de")))
    await asyncio.sleep(0.05)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    await asyncio.sleep(0.3)
    assert [item["in_use"] for item in registry.loaded()] == [0]
    # The loaded model can be evicted for another: nobody holds it.
    await asyncio.wait_for(registry.preload(spec("de-en")), timeout=2)
    await registry.close()
