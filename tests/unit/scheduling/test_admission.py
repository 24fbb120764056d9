"""Admission control: a bounded number of waiting requests, 429/503 with Retry-After from measured rates."""

from __future__ import annotations

import pytest

from mostlylucid_nmt.errors import Busy, Overloaded
from mostlylucid_nmt.scheduling.admission import AdmissionController


def controller(
    *, saturated: bool, enable_queue: bool = True, limit: int = 1, drain: float | None = None
) -> AdmissionController:
    return AdmissionController(
        enable_queue=enable_queue,
        max_queue_size=limit,
        backend_saturated=lambda: saturated,
        estimated_drain_s=lambda: drain,
    )


def test_free_backend_admits_straight_in_even_with_no_queue() -> None:
    admission = controller(saturated=False, limit=0)
    with admission.admit() as ticket:
        assert admission.waiting == 1
        ticket.mark_started()
        assert (admission.waiting, admission.active) == (0, 1)
    assert (admission.waiting, admission.active) == (0, 0)


def test_queue_limit_then_429_with_retry_after() -> None:
    admission = controller(saturated=True, limit=2, drain=7.2)
    with admission.admit(), admission.admit():
        assert admission.waiting == 2
        with pytest.raises(Overloaded) as caught, admission.admit():
            pass
        assert caught.value.retry_after_s == 8
        assert "MAX_QUEUE_SIZE" in caught.value.detail
    assert admission.waiting == 0
    assert admission.rejected == 1


def test_no_queue_gives_503_when_the_backend_is_saturated() -> None:
    admission = controller(saturated=True, enable_queue=False, limit=100)
    with pytest.raises(Busy) as caught, admission.admit():
        pass
    assert caught.value.retry_after_s == 1  # nothing measured yet: the minimum
    assert "ENABLE_QUEUE=0" in caught.value.detail


@pytest.mark.parametrize(("drain", "expected"), [(None, 1), (0.01, 1), (2.5, 3), (10_000.0, 300)])
def test_retry_after_is_a_bounded_whole_number_of_seconds(drain: float | None, expected: int) -> None:
    assert controller(saturated=True, drain=drain).retry_after_s() == expected
