"""Admission control: slots, a bounded queue, and Retry-After from measured service time."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future

import pytest

from mostlylucid_nmt.errors import Busy, Overloaded
from mostlylucid_nmt.scheduling.admission import AdmissionController


async def test_queue_then_429_beyond_it() -> None:
    admission = AdmissionController(1, enable_queue=True, max_queue_size=1)
    release = asyncio.Event()

    async def hold() -> None:
        async with admission.slot():
            await release.wait()

    first = asyncio.create_task(hold())
    await asyncio.sleep(0)
    second = asyncio.create_task(hold())
    await asyncio.sleep(0)
    assert (admission.inflight, admission.waiting) == (1, 1)
    with pytest.raises(Overloaded) as caught:
        async with admission.slot():
            pass
    assert caught.value.retry_after_s is not None
    assert caught.value.retry_after_s >= 1
    release.set()
    await asyncio.gather(first, second)
    assert (admission.inflight, admission.waiting) == (0, 0)


async def test_no_queue_means_503_when_busy() -> None:
    admission = AdmissionController(1, enable_queue=False, max_queue_size=100)
    async with admission.slot():
        with pytest.raises(Busy):
            async with admission.slot():
                pass
    async with admission.slot():
        pass


async def test_retry_after_uses_service_time_not_queue_wait() -> None:
    now = [0.0]
    admission = AdmissionController(2, enable_queue=True, max_queue_size=10, clock=lambda: now[0])
    for _ in range(30):
        async with admission.slot():
            now[0] += 10.0  # every request takes 10 s of service
    assert admission.service_time_s == pytest.approx(10.0, rel=0.01)
    # Nothing running or queued: one service time spread over two slots.
    assert admission.retry_after_s() == 5


async def test_slot_stays_taken_until_an_abandoned_model_call_returns() -> None:
    admission = AdmissionController(1, enable_queue=True, max_queue_size=5)
    running: Future[None] = Future()
    running.set_running_or_notify_cancel()

    async def abandoned() -> None:
        async with admission.slot() as lease:
            lease.track(running)
            await asyncio.sleep(10)

    task = asyncio.create_task(abandoned())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert admission.inflight == 1  # the model call is still running in its thread
    running.set_result(None)
    await asyncio.sleep(0.01)
    assert admission.inflight == 0
