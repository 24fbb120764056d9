"""Admission control: a bounded number of translations run at once, a bounded number wait, the rest are told
when to come back.

With the queue on, a request waits for one of MAX_INFLIGHT_TRANSLATIONS slots while fewer than MAX_QUEUE_SIZE
are waiting, and gets `Overloaded` (429) beyond that; with it off, `Busy` (503) as soon as all slots are taken.
Retry-After is derived from the measured service time of recent requests (not from how long they queued), so it
says how long the backlog ahead would take to clear.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import Any

from mostlylucid_nmt.errors import Busy, Overloaded

# Weight of the newest observation in the moving average of service time.
_EWMA_WEIGHT = 0.2
# Bounds on what Retry-After may say: at least one second, and never so long that clients give up for good.
_MIN_RETRY_AFTER_S = 1
_MAX_RETRY_AFTER_S = 300


class Lease:
    """A held translation slot.

    If the request is abandoned (timeout, disconnect) while a model call runs in a thread, that call cannot
    be interrupted; the slot stays taken until it returns, so the number of model calls really running never
    exceeds the limit.
    """

    def __init__(self) -> None:
        self._running: Future[Any] | None = None

    def track(self, running: Future[Any]) -> None:
        self._running = running

    @property
    def running(self) -> Future[Any] | None:
        running = self._running
        return running if running is not None and not running.done() else None


class AdmissionController:
    def __init__(
        self,
        max_inflight: int,
        *,
        enable_queue: bool,
        max_queue_size: int,
        initial_service_time_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_inflight = max_inflight
        self._enable_queue = enable_queue
        self._max_queue_size = max_queue_size
        self._slots = asyncio.Semaphore(max_inflight)
        self._inflight = 0
        self._waiting = 0
        self._service_time_s = initial_service_time_s
        self._clock = clock
        self.rejected = 0

    @property
    def inflight(self) -> int:
        return self._inflight

    @property
    def waiting(self) -> int:
        return self._waiting

    @property
    def max_inflight(self) -> int:
        return self._max_inflight

    @property
    def queue_limit(self) -> int:
        return self._max_queue_size if self._enable_queue else 0

    @property
    def service_time_s(self) -> float:
        return self._service_time_s

    def retry_after_s(self) -> int:
        """Seconds until the work ahead of a new request should have drained."""
        backlog = self._waiting + self._inflight + 1
        estimate = self._service_time_s * backlog / self._max_inflight
        return max(_MIN_RETRY_AFTER_S, min(_MAX_RETRY_AFTER_S, math.ceil(estimate)))

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Lease]:
        if self._slots.locked() or self._waiting:
            if not self._enable_queue:
                self.rejected += 1
                raise Busy(
                    f"all {self._max_inflight} translation slots are busy and queueing is off (ENABLE_QUEUE=0)",
                    retry_after_s=self.retry_after_s(),
                )
            if self._waiting >= self._max_queue_size:
                self.rejected += 1
                raise Overloaded(
                    f"translation queue is full ({self._max_queue_size} waiting, MAX_QUEUE_SIZE)",
                    retry_after_s=self.retry_after_s(),
                )
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        self._inflight += 1
        lease = Lease()
        started = self._clock()
        completed = False
        try:
            yield lease
            completed = True
        finally:
            if completed:
                self._observe(self._clock() - started)
            running = lease.running
            if running is None:
                self._release()
            else:
                loop = asyncio.get_running_loop()
                running.add_done_callback(lambda _: loop.call_soon_threadsafe(self._release))

    def _release(self) -> None:
        self._inflight -= 1
        self._slots.release()

    def _observe(self, seconds: float) -> None:
        self._service_time_s += _EWMA_WEIGHT * (seconds - self._service_time_s)
