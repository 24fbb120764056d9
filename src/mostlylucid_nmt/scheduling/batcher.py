"""Dynamic batching across requests: sentences for the same model and decoding options share model calls.

Each sentence waits in its model's queue with its own future. When a batch slot is free (at most
MAX_INFLIGHT_TRANSLATIONS model calls run at once), the queue whose oldest sentence has waited longest gives a
batch: oldest first, bounded by a sentence count (EASYNMT_BATCH_SIZE) and a padded-token budget
(BATCH_MAX_TOKENS = longest sentence x sentences). A request's sentences arrive sorted by length, so neighbours
in a queue have similar lengths and padding stays small. Right after a batch finished, the next batch may wait
up to BATCH_MAX_WAIT_MS for that batch's clients to come back with their next requests, so that a steady crowd
of clients keeps sharing batches instead of splitting into small ones; otherwise a batch goes at once, so a
lone request never pays for the window.

Failure is contained: a batch that raises fails exactly the sentences in it; sentences whose request was
abandoned (timeout, disconnect) are dropped before they reach the model; the scheduling loop survives its own
errors, so no future is ever left waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from mostlylucid_nmt.backends.base import GenerationOptions, Translator
from mostlylucid_nmt.backends.memory import is_out_of_memory
from mostlylucid_nmt.errors import BackendFailure, OutOfMemory, ServiceError, ShuttingDown
from mostlylucid_nmt.logs import request_id_var
from mostlylucid_nmt.telemetry import NO_TELEMETRY, Telemetry

log = logging.getLogger(__name__)

# How many recent batch sizes /cache shows.
_RECENT_BATCHES = 64
# Weight of the newest batch in the moving average of throughput (sentences per second).
_EWMA_WEIGHT = 0.2


@dataclass(frozen=True, slots=True)
class BatchKey:
    """Sentences with equal keys can share a model call."""

    model: str
    source_lang: str
    target_lang: str
    options: GenerationOptions


class RequestTicket:
    """A request's handle in the scheduler: whether its work has started, and whether it was abandoned."""

    def __init__(self, on_start: Callable[[], None] | None = None) -> None:
        self._on_start = on_start
        self.started = False
        self.started_at: float | None = None
        self.abandoned = False

    def mark_started(self) -> None:
        if not self.started:
            self.started = True
            self.started_at = time.perf_counter()
            if self._on_start is not None:
                self._on_start()


@dataclass(eq=False, slots=True)
class _Pending:
    text: str
    tokens: int
    future: asyncio.Future[str]
    ticket: RequestTicket
    enqueued_at: float
    # The log of a failed batch names the requests in it, so each failure can be traced to its request.
    request_id: str = "-"


@dataclass(eq=False)
class _ModelQueue:
    key: BatchKey
    translator: Translator
    hold: Callable[[], Callable[[], None]]
    items: deque[_Pending] = field(default_factory=deque)

    def prune(self) -> None:
        """Drop abandoned sentences at the head, so they never reach the model."""
        while self.items and self.items[0].future.done():
            self.items.popleft()


@dataclass
class BatcherStats:
    batches: int = 0
    sentences: int = 0
    failed_batches: int = 0
    dropped_sentences: int = 0
    recent_batch_sizes: deque[int] = field(default_factory=lambda: deque(maxlen=_RECENT_BATCHES))
    sentences_per_s: float | None = None


class DynamicBatcher:
    def __init__(
        self,
        *,
        max_batch_sentences: int,
        max_batch_tokens: int,
        max_wait_ms: float,
        max_concurrent_batches: int,
        threads: int,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._max_sentences = max_batch_sentences
        self._max_tokens = max_batch_tokens
        self._max_wait_s = max_wait_ms / 1000
        self._slots = asyncio.Semaphore(max_concurrent_batches)
        self._max_concurrent = max_concurrent_batches
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="batch")
        self._queues: dict[BatchKey, _ModelQueue] = {}
        self._wakeup = asyncio.Event()
        self._running = 0
        self._last_finished_at = float("-inf")
        self._last_finished_requests = 0
        self._loop_task: asyncio.Task[None] | None = None
        self.stats = BatcherStats()
        self._telemetry = telemetry

    # --- what admission control and /cache read ------------------------------------------------------------
    @property
    def running_batches(self) -> int:
        return self._running

    @property
    def saturated(self) -> bool:
        """Every batch slot is busy: new work would have to wait."""
        return self._running >= self._max_concurrent

    def queued_sentences(self) -> int:
        return sum(len(queue.items) for queue in self._queues.values())

    def queue_depths(self) -> dict[str, int]:
        depths: dict[str, int] = {}
        for key, queue in self._queues.items():
            if queue.items:
                name = f"{key.model} {key.source_lang}->{key.target_lang}"
                depths[name] = depths.get(name, 0) + len(queue.items)
        return depths

    def estimated_drain_s(self, extra_sentences: int = 1) -> float | None:
        """Seconds to work through the queued sentences at the measured rate; None before any measurement."""
        rate = self.stats.sentences_per_s
        if not rate:
            return None
        return (self.queued_sentences() + extra_sentences) / rate

    # --- submitting work --------------------------------------------------------------------------------------
    async def translate(
        self,
        ticket: RequestTicket,
        translator: Translator,
        key: BatchKey,
        texts: Sequence[str],
        token_counts: Sequence[int],
        hold: Callable[[], Callable[[], None]],
    ) -> list[str]:
        """Queue the texts, wait for all their translations (in input order).

        `hold()` pins the model in the registry for the duration of one batch and returns the release: a
        batch keeps its model loaded even if the requests in it give up meanwhile.
        """
        if not texts:
            return []
        self._ensure_loop()
        loop = asyncio.get_running_loop()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = _ModelQueue(key, translator, hold)
        now = time.monotonic()
        request_id = request_id_var.get()
        order = sorted(range(len(texts)), key=lambda index: token_counts[index])
        futures: list[asyncio.Future[str]] = [loop.create_future() for _ in texts]
        for index in order:
            queue.items.append(
                _Pending(texts[index], token_counts[index], futures[index], ticket, now, request_id)
            )
        self._report()
        self._wakeup.set()
        try:
            return list(await asyncio.gather(*futures))
        except BaseException:
            # Timeout, disconnect or a failed batch: whatever of this request still waits is dropped.
            ticket.abandoned = True
            for future in futures:
                future.cancel()
            self.stats.dropped_sentences += sum(1 for future in futures if future.cancelled())
            raise

    def _report(self) -> None:
        self._telemetry.batcher_state(self.queued_sentences(), self._running)

    async def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
        for queue in self._queues.values():
            for item in queue.items:
                if not item.future.done():
                    item.future.set_exception(
                        ShuttingDown("server is shutting down; retry on another instance")
                    )
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- the scheduling loop ------------------------------------------------------------------------------------
    def _ensure_loop(self) -> None:
        if self._loop_task is None or self._loop_task.done():
            self._loop_task = asyncio.create_task(self._schedule(), name="batch scheduler")

    async def _schedule(self) -> None:
        while True:
            await self._slots.acquire()
            try:
                queue = await self._next_queue()
                await self._maybe_wait_for_more(queue)
                batch = self._take_batch(queue)
            except asyncio.CancelledError:
                self._slots.release()
                raise
            except Exception:  # a bug here must not leave requests hanging: log, fail nothing, go on
                log.exception("batch scheduling failed")
                self._slots.release()
                continue
            if not batch:
                self._slots.release()
                continue
            self._start(queue, batch)

    async def _next_queue(self) -> _ModelQueue:
        """The queue whose oldest sentence has waited longest (fair across models), once there is one."""
        while True:
            best: _ModelQueue | None = None
            for key, queue in list(self._queues.items()):
                queue.prune()
                if not queue.items:
                    # Forget idle queues: they pin a translator (and the model's memory) otherwise.
                    del self._queues[key]
                    continue
                if best is None or queue.items[0].enqueued_at < best.items[0].enqueued_at:
                    best = queue
            if best is not None:
                return best
            self._wakeup.clear()
            await self._wakeup.wait()

    async def _maybe_wait_for_more(self, queue: _ModelQueue) -> None:
        """Give a batch that is not full a short window to fill, when more sentences are about to come.

        They are about to come just after a batch finished: its clients are reading their answers and sending
        their next requests. So the next batch waits, at most BATCH_MAX_WAIT_MS after that batch finished,
        until as many requests as it held have come back (those already queued go along anyway). Without a
        recent batch, a request goes at once: a lone or first request never pays for the window.
        """
        if not self._max_wait_s or not self._last_finished_requests:
            return
        deadline = self._last_finished_at + self._max_wait_s
        while len(queue.items) < self._max_sentences and self._returned(queue) < self._last_finished_requests:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), remaining)
            except TimeoutError:
                return
            queue.prune()
            if not queue.items:
                return

    def _returned(self, queue: _ModelQueue) -> int:
        """Requests with sentences queued since the last batch finished."""
        since = self._last_finished_at
        return len({id(item.ticket) for item in queue.items if item.enqueued_at >= since})

    def _take_batch(self, queue: _ModelQueue) -> list[_Pending]:
        queue.prune()
        batch: list[_Pending] = []
        longest = 0
        while queue.items and len(batch) < self._max_sentences:
            item = queue.items[0]
            if item.future.done():
                queue.items.popleft()
                continue
            padded = max(longest, item.tokens) * (len(batch) + 1)
            if batch and padded > self._max_tokens:
                break
            batch.append(queue.items.popleft())
            longest = max(longest, item.tokens)
        return batch

    def _start(self, queue: _ModelQueue, batch: list[_Pending]) -> None:
        self._running += 1
        self._telemetry.batch_started(len(batch), max(item.tokens for item in batch) * len(batch))
        self._report()
        release_model = queue.hold()
        for item in batch:
            item.ticket.mark_started()
        key, translator = queue.key, queue.translator
        texts = [item.text for item in batch]
        started = time.perf_counter()
        work = self._executor.submit(
            translator.translate, texts, key.source_lang, key.target_lang, key.options
        )

        def finished(done: asyncio.Future[list[str]]) -> None:
            self._running -= 1
            self._last_finished_at = time.monotonic()
            self._last_finished_requests = len({id(item.ticket) for item in batch})
            release_model()
            self._slots.release()
            self._report()
            self._deliver(batch, done, time.perf_counter() - started)

        asyncio.wrap_future(work).add_done_callback(finished)

    def _deliver(self, batch: list[_Pending], done: asyncio.Future[list[str]], seconds: float) -> None:
        error: BaseException | None = None
        outputs: list[str] = []
        if done.cancelled():
            error = ShuttingDown("server is shutting down; retry on another instance")
        elif done.exception() is not None:
            exc = done.exception()
            requests = ",".join(sorted({item.request_id for item in batch}))
            if isinstance(exc, ServiceError):
                error = exc
            elif exc is not None and is_out_of_memory(exc):
                log.error(
                    "batch of %d sentences ran out of memory (requests %s): %s",
                    len(batch),
                    requests,
                    type(exc).__name__,
                )
                error = OutOfMemory(
                    "the model ran out of memory translating this batch and is being released; retry, "
                    "with fewer or shorter texts if it happens again"
                )
            else:
                log.error("batch of %d sentences failed (requests %s)", len(batch), requests, exc_info=exc)
                error = BackendFailure("translation failed inside the model; see the server log")
        else:
            outputs = done.result()
            if len(outputs) != len(batch):
                error = BackendFailure(f"model returned {len(outputs)} results for {len(batch)} sentences")
        if error is not None:
            self.stats.failed_batches += 1
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(error)
            return
        self._record(len(batch), seconds)
        for item, output in zip(batch, outputs, strict=True):
            if not item.future.done():
                item.future.set_result(output)

    def _record(self, size: int, seconds: float) -> None:
        stats = self.stats
        stats.batches += 1
        stats.sentences += size
        stats.recent_batch_sizes.append(size)
        # Throughput with this many batch slots busy in parallel: per-slot rate times slots.
        rate = size / max(seconds, 1e-6) * self._max_concurrent
        if stats.sentences_per_s is None:
            stats.sentences_per_s = rate
        else:
            stats.sentences_per_s += _EWMA_WEIGHT * (rate - stats.sentences_per_s)
