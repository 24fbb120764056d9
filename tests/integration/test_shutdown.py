"""SIGTERM while a translation runs: it completes, readiness drops at once, new work is refused, exit is prompt."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.server import running_server

pytestmark = pytest.mark.integration


def _probe(url: str) -> int | str:
    try:
        return httpx.get(url, timeout=2).status_code
    except httpx.TransportError as exc:
        return type(exc).__name__


def test_sigterm_drains_in_flight_request() -> None:
    env = {"TRANSLATION_BACKEND": "fake", "FAKE_BATCH_DELAY_MS": "3000", "GRACEFUL_TIMEOUT": "10"}
    with running_server(env) as server:
        assert _probe(f"{server.base_url}/readyz") == 200
        with ThreadPoolExecutor(max_workers=1) as pool:
            in_flight = pool.submit(
                httpx.post,
                f"{server.base_url}/translate",
                json={"text": "Finish me.", "target_lang": "de", "source_lang": "en"},
                timeout=30,
            )
            time.sleep(0.7)  # the request is inside the model call now
            signalled = time.monotonic()
            os.kill(server.process.pid, signal.SIGTERM)
            time.sleep(0.5)
            readiness = _probe(f"{server.base_url}/readyz")
            assert readiness != 200, "readiness must stop answering 200 once SIGTERM arrives"
            late = _probe(f"{server.base_url}/translate?text=late&target_lang=de&source_lang=en")
            assert late in ("ConnectError", 503), late
            response = in_flight.result()
        assert response.status_code == 200, server.log()
        assert response.json()["translated"] == "[de] Finish me."
        server.process.wait(timeout=15)
        exited_after = time.monotonic() - signalled
        assert exited_after < 10 + 1, exited_after
