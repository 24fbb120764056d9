"""How the service's errors map onto LibreTranslate's status codes (400, 403, 429, 500)."""

from __future__ import annotations

import json

import pytest

from mostlylucid_nmt.api.libretranslate import _error, _status_of
from mostlylucid_nmt.errors import (
    BackendFailure,
    Busy,
    InvalidRequest,
    ModelUnavailable,
    Overloaded,
    PayloadTooLarge,
    ServiceError,
    ShuttingDown,
    TranslationTimeout,
    UnsupportedLanguage,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidRequest("x"), 400),
        (UnsupportedLanguage("x"), 400),
        (PayloadTooLarge("x"), 400),
        (Overloaded("x"), 429),
        (Busy("x"), 429),
        (ModelUnavailable("x"), 500),
        (ShuttingDown("x"), 500),
        (TranslationTimeout("x"), 500),
        (BackendFailure("x"), 500),
    ],
)
def test_status_codes_are_libretranslates(error: ServiceError, status: int) -> None:
    assert _status_of(error) == status


def test_slow_down_answer_keeps_retry_after() -> None:
    response = _error(429, "the queue is full", retry_after_s=3)
    assert json.loads(response.body) == {"error": "Slowdown: the queue is full"}
    assert response.headers["retry-after"] == "3"
