"""Admission control on the real server with a slow fake backend."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.server import RunningServer, running_server

SLOW = {"TRANSLATION_BACKEND": "fake", "FAKE_BATCH_DELAY_MS": "1500", "MAX_INFLIGHT_TRANSLATIONS": "1"}


def _fire(server: RunningServer, count: int, stagger_s: float = 0.15) -> list[httpx.Response]:
    def one(index: int) -> httpx.Response:
        time.sleep(index * stagger_s)  # arrive in order: the first takes the slot, the next ones queue
        with server.client() as client:
            return client.post(
                "/translate", json={"text": f"Request {index}.", "target_lang": "de", "source_lang": "en"}
            )

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def test_requests_beyond_the_queue_get_429_with_retry_after() -> None:
    with running_server({**SLOW, "MAX_QUEUE_SIZE": "1"}) as server:
        responses = _fire(server, 4)
        statuses = [response.status_code for response in responses]
        assert statuses == [200, 200, 429, 429], statuses
        for response in responses[2:]:
            assert response.headers["retry-after"].isdigit()
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["error"] == "overloaded"
            assert "MAX_QUEUE_SIZE" in response.json()["detail"]
        # Probes and metadata never wait behind translations.
        with server.client() as client:
            busy = ThreadPoolExecutor(max_workers=1).submit(
                client.post, "/translate", json={"text": "x.", "target_lang": "de", "source_lang": "en"}
            )
            time.sleep(0.2)
            started = time.perf_counter()
            assert client.get("/lang_pairs").status_code == 200
            assert client.get("/language_detection", params={"text": "Guten Morgen"}).json() == "de"
            assert client.get("/cache").json()["inflight"] == 1
            assert time.perf_counter() - started < 1.0
            assert busy.result().status_code == 200


def test_without_queue_busy_slots_give_503_with_retry_after() -> None:
    with running_server({**SLOW, "ENABLE_QUEUE": "0"}) as server:
        responses = _fire(server, 3)
        statuses = [response.status_code for response in responses]
        assert statuses == [200, 503, 503], statuses
        for response in responses[1:]:
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["error"] == "busy"


def test_retry_after_follows_measured_service_time() -> None:
    # The second round repeats the first's texts: without the translation cache they queue again.
    env = {**SLOW, "FAKE_BATCH_DELAY_MS": "3000", "MAX_QUEUE_SIZE": "0", "CHUNK_CACHE_ENABLED": "0"}
    with running_server(env) as server:
        first = _fire(server, 2)  # one served (3 s), one rejected while it runs
        assert [response.status_code for response in first] == [200, 429]
        # After one 3 s request the estimate has moved from its 1 s prior towards 3 s.
        second = _fire(server, 2)
        assert [response.status_code for response in second] == [200, 429]
        assert int(second[1].headers["retry-after"]) >= 2
