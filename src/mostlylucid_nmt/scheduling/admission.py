"""Admission control: how many requests may wait, and what the rest are told.

Work runs in batches (see batcher.py; MAX_INFLIGHT_TRANSLATIONS bounds the batches executing at once). A
request *waits* from admission until its first sentence enters a batch. With the queue on, at most
MAX_QUEUE_SIZE requests wait and the next one that would have to wait gets `Overloaded` (429); with it off, a
request that would have to wait at all gets `Busy` (503). A request that finds a free batch slot and nobody
waiting goes straight in. Both carry Retry-After, derived from the measured translation rate (sentences
per second over recent batches) and the sentences queued ahead, never from how long requests happened to wait.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mostlylucid_nmt.errors import Busy, Overloaded
from mostlylucid_nmt.scheduling.batcher import RequestTicket
from mostlylucid_nmt.telemetry import NO_TELEMETRY, Telemetry

# Bounds on Retry-After: at least one second, and never so long that clients give up for good.
_MIN_RETRY_AFTER_S = 1
_MAX_RETRY_AFTER_S = 300


class AdmissionController:
    def __init__(
        self,
        *,
        enable_queue: bool,
        max_queue_size: int,
        backend_saturated: Callable[[], bool],
        estimated_drain_s: Callable[[], float | None],
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._enable_queue = enable_queue
        self._max_queue_size = max_queue_size
        self._backend_saturated = backend_saturated
        self._estimated_drain_s = estimated_drain_s
        self._waiting = 0
        self._active = 0
        self.rejected = 0
        self._telemetry = telemetry

    @property
    def waiting(self) -> int:
        """Admitted requests none of whose sentences has reached the model yet."""
        return self._waiting

    @property
    def active(self) -> int:
        """Admitted requests that are being translated."""
        return self._active

    @property
    def queue_limit(self) -> int:
        return self._max_queue_size if self._enable_queue else 0

    def retry_after_s(self) -> int:
        estimate = self._estimated_drain_s()
        if estimate is None:
            return _MIN_RETRY_AFTER_S
        return max(_MIN_RETRY_AFTER_S, min(_MAX_RETRY_AFTER_S, math.ceil(estimate)))

    @contextmanager
    def admit(self) -> Iterator[RequestTicket]:
        """Admit a request or raise Overloaded / Busy; the ticket follows it through the batcher."""
        must_wait = self._waiting > 0 or self._backend_saturated()
        if must_wait and not self._enable_queue:
            self._reject(Busy.kind)
            raise Busy(
                "every translation slot is busy and queueing is off (ENABLE_QUEUE=0); retry shortly",
                retry_after_s=self.retry_after_s(),
            )
        if must_wait and self._waiting >= self._max_queue_size:
            self._reject(Overloaded.kind)
            raise Overloaded(
                f"translation queue is full ({self._max_queue_size} requests waiting, MAX_QUEUE_SIZE); "
                "retry after the time in Retry-After",
                retry_after_s=self.retry_after_s(),
            )
        self._waiting += 1
        self._report()
        ticket = RequestTicket(on_start=self._started)
        try:
            yield ticket
        finally:
            if ticket.started:
                self._active -= 1
            else:
                self._waiting -= 1
            self._report()

    def _started(self) -> None:
        self._waiting -= 1
        self._active += 1
        self._report()

    def _reject(self, kind: str) -> None:
        self.rejected += 1
        self._telemetry.request_rejected(kind)

    def _report(self) -> None:
        self._telemetry.admission_state(self._waiting, self._active)
