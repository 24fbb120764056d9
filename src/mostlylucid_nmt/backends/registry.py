"""The loaded-model cache: an LRU of at most MAX_CACHED_MODELS translators.

Rules it keeps:
- one load at a time per model: concurrent first requests wait for the same load;
- loads run in a thread, never on the event loop;
- a model in use by a batch is never evicted; a new model waits for a slot rather than exceed the limit
  (each request holds one model at a time, so a wait always ends);
- a failed load is reported to everyone waiting for it and forgotten, so the next request tries again;
- eviction releases memory (the translator's close: gc, CUDA cache);
- out of memory: a load that runs out reports `OutOfMemory` and evicts the idle models to make room for the
  next try; a model that runs out while translating is retired (new requests load a fresh copy) and closed
  as soon as its running batches end; until then it keeps its slot, so the limit holds.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from mostlylucid_nmt.backends.base import ModelSpec, Translator, TranslatorLoader
from mostlylucid_nmt.backends.memory import is_out_of_memory
from mostlylucid_nmt.errors import ModelUnavailable, OutOfMemory, ServiceError
from mostlylucid_nmt.telemetry import NO_TELEMETRY, Telemetry

log = logging.getLogger(__name__)


@dataclass
class _Entry:
    translator: Translator
    loaded_at: float
    load_seconds: float
    in_use: int = 0
    uses: int = 0


@dataclass
class RegistryStats:
    loads: int = 0
    load_failures: int = 0
    evictions: int = 0
    load_seconds: list[float] = field(default_factory=list)


class ModelRegistry:
    def __init__(
        self,
        loader: TranslatorLoader,
        capacity: int,
        *,
        load_threads: int = 2,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._loader = loader
        self._capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._loading: dict[str, asyncio.Task[_Entry]] = {}
        self._claims: dict[str, int] = {}
        self._retiring: list[_Entry] = []
        self._notifications: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        self._executor = ThreadPoolExecutor(max_workers=load_threads, thread_name_prefix="model-load")
        self.stats = RegistryStats()
        self._telemetry = telemetry

    @property
    def capacity(self) -> int:
        return self._capacity

    def is_available(self, spec: ModelSpec) -> bool:
        return self._loader.is_available(spec)

    @asynccontextmanager
    async def use(self, spec: ModelSpec) -> AsyncIterator[Translator]:
        """Hold a loaded translator for the duration of the block (loading it first if needed)."""
        entry = await self._acquire(spec)
        try:
            yield entry.translator
        finally:
            entry.in_use -= 1
            if self._retiring:
                await self._close_idle_retired()
            async with self._changed:
                self._changed.notify_all()

    def pin(self, spec: ModelSpec) -> Callable[[], None]:
        """Mark a loaded model as in use without waiting (a batch about to run); returns the release.

        Only valid while some request holds the model through `use`, which guarantees it is loaded.
        """
        entry = self._entries[spec.repo_id]
        entry.in_use += 1
        loop = asyncio.get_running_loop()

        def release() -> None:
            entry.in_use -= 1
            task = loop.create_task(self._notify())
            self._notifications.add(task)
            task.add_done_callback(self._notifications.discard)

        return release

    async def _notify(self) -> None:
        if self._retiring:
            await self._close_idle_retired()
        async with self._changed:
            self._changed.notify_all()

    async def preload(self, spec: ModelSpec) -> None:
        async with self.use(spec):
            pass

    def loaded(self) -> list[dict[str, object]]:
        """Loaded models, least recently used first."""
        return [
            {
                "model": key,
                "family": str(entry.translator.spec.family),
                "in_use": entry.in_use,
                "uses": entry.uses,
                "load_seconds": round(entry.load_seconds, 3),
            }
            for key, entry in self._entries.items()
        ]

    async def retire(self, spec: ModelSpec, translator: Translator) -> None:
        """Unload `translator` after it failed in a way that may have left it broken (out of memory).

        New requests get a fresh load; the retired copy is closed once no batch uses it. A no-op when that
        copy is already gone (another request of the same batch retired it first).
        """
        async with self._changed:
            entry = self._entries.get(spec.repo_id)
            if entry is None or entry.translator is not translator:
                return
            del self._entries[spec.repo_id]
            self._retiring.append(entry)
            self.stats.evictions += 1
            log.warning("retiring model %s after it ran out of memory", spec.repo_id)
        await self._close_idle_retired()

    async def _close_idle_retired(self) -> None:
        async with self._changed:
            idle = [entry for entry in self._retiring if entry.in_use <= 0]
            if not idle:
                return
            self._retiring = [entry for entry in self._retiring if entry.in_use > 0]
        for entry in idle:
            await asyncio.get_running_loop().run_in_executor(self._executor, entry.translator.close)
        async with self._changed:
            self._changed.notify_all()

    def loading(self) -> list[str]:
        return sorted(self._loading)

    async def close(self) -> None:
        for key in list(self._entries):
            await self._evict(key)
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ---------------------------------------------------------------------------------------------------------
    async def _acquire(self, spec: ModelSpec) -> _Entry:
        key = spec.repo_id
        async with self._changed:
            while True:
                entry = self._entries.get(key)
                if entry is not None:
                    entry.in_use += 1
                    entry.uses += 1
                    self._entries.move_to_end(key)
                    return entry
                task = self._loading.get(key)
                if task is not None:
                    break
                if len(self._entries) + len(self._loading) + len(self._retiring) < self._capacity:
                    task = asyncio.create_task(self._load(spec), name=f"load {key}")
                    # Waiters that gave up leave nobody to read a failure: mark it read to keep logs clean.
                    task.add_done_callback(lambda done: done.cancelled() or done.exception())
                    self._loading[key] = task
                    break
                victim = self._idle_victim()
                if victim is None:
                    # Every slot is busy or loading: wait for a release, then look again.
                    await self._changed.wait()
                    continue
                await self._evict(victim)
            # Claim a use of the model before it exists, so nobody can evict it between the load finishing
            # and this request running (with one slot and several pairs that would thrash for ever).
            self._claims[key] = self._claims.get(key, 0) + 1
        try:
            # Shielded: a caller that gives up (timeout, disconnect) must not cancel a load others wait for.
            entry = await asyncio.shield(task)
        except asyncio.CancelledError:
            await self._drop_claim(key, task)
            raise
        entry.uses += 1
        return entry

    async def _drop_claim(self, key: str, task: asyncio.Task[_Entry]) -> None:
        async with self._changed:
            if task.done() and not task.cancelled() and task.exception() is None:
                task.result().in_use -= 1
            elif key in self._claims:
                self._claims[key] -= 1
            self._changed.notify_all()

    def _idle_victim(self) -> str | None:
        for key, entry in self._entries.items():  # least recently used first
            if entry.in_use == 0:
                return key
        return None

    async def _evict(self, key: str) -> None:
        entry = self._entries.pop(key)
        self.stats.evictions += 1
        self._telemetry.model_evicted()
        self._telemetry.models_resident(len(self._entries))
        log.info("evicting model %s", key)
        # close() collects garbage and empties the CUDA cache: worth keeping off the event loop.
        await asyncio.get_running_loop().run_in_executor(self._executor, entry.translator.close)

    async def _load(self, spec: ModelSpec) -> _Entry:
        key = spec.repo_id
        started = time.monotonic()
        try:
            translator = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._loader.load, spec
            )
        except ServiceError:
            await self._forget_failed_load(key)
            raise
        except Exception as exc:  # sorted below: out of memory, or any other failure
            await self._forget_failed_load(key)
            if is_out_of_memory(exc):
                raise await self._out_of_memory_on_load(key, exc) from None
            log.error("loading model %s failed", key, exc_info=exc)
            raise ModelUnavailable(f"model {key} could not be loaded; try again later") from exc
        seconds = time.monotonic() - started
        entry = _Entry(translator=translator, loaded_at=time.time(), load_seconds=seconds)
        async with self._changed:
            self._loading.pop(key, None)
            entry.in_use = self._claims.pop(key, 0)
            self._entries[key] = entry
            self.stats.loads += 1
            self.stats.load_seconds.append(seconds)
            self._telemetry.model_loaded(seconds)
            self._telemetry.models_resident(len(self._entries))
            self._changed.notify_all()
        return entry

    async def _out_of_memory_on_load(self, key: str, exc: BaseException) -> OutOfMemory:
        """Make room for the next try: drop what the failed load left behind and evict the idle models."""
        log.error("loading model %s ran out of memory: %s", key, type(exc).__name__)
        async with self._changed:
            idle = [name for name, entry in self._entries.items() if entry.in_use == 0]
            for name in idle:
                await self._evict(name)
            self._changed.notify_all()
        await asyncio.get_running_loop().run_in_executor(self._executor, gc.collect)
        return OutOfMemory(
            f"model {key} ran out of memory while loading; idle models were unloaded and the next request "
            "tries again (lower MAX_CACHED_MODELS or use a smaller model if it keeps happening)"
        )

    async def _forget_failed_load(self, key: str) -> None:
        async with self._changed:
            self._loading.pop(key, None)
            self._claims.pop(key, None)
            self.stats.load_failures += 1
            self._telemetry.model_load_failed()
            self._changed.notify_all()
