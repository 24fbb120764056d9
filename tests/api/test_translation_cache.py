"""The translation cache through the API: hit ratio on a repeated workload, what the backend really saw,
clearing, switching it off, and cached answers while the queue is full."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from mostlylucid_nmt.backends.fake import FakeLoader
from mostlylucid_nmt.main import create_app
from mostlylucid_nmt.settings import load_settings
from tests.support.server import running_server

TEXTS = [f"Distinct sentence number {index}." for index in range(10)]


def post(client: httpx.Client | TestClient, text: str | list[str], target: str = "de") -> httpx.Response:
    return client.post("/translate", json={"text": text, "target_lang": target, "source_lang": "en"})


def metric(client: httpx.Client, name: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and not sample.labels:
                return sample.value
    raise AssertionError(f"{name} not in /metrics")


@pytest.fixture
def fake_app() -> Iterator[tuple[TestClient, FakeLoader]]:
    app = create_app(load_settings({"TRANSLATION_BACKEND": "fake", "CHUNK_CACHE_MAX_KEY_LENGTH": "40"}))
    loader = app.state.services.registry._loader
    assert isinstance(loader, FakeLoader)
    with TestClient(app) as client:
        yield client, loader


def backend_saw(loader: FakeLoader) -> list[str]:
    return [text for _, texts in loader.activity.batches for text in texts]


@pytest.mark.integration
def test_a_repeated_workload_is_served_from_the_cache() -> None:
    with running_server({"TRANSLATION_BACKEND": "fake"}) as server, server.client() as client:
        for index in range(100):
            text = TEXTS[index % len(TEXTS)]
            response = post(client, text)
            assert response.status_code == 200, response.text
            assert response.json()["translated"] == f"[de] {text}"
            assert response.headers["x-model-name"] == "Helsinki-NLP/opus-mt-en-de"
        body = client.get("/cache").json()
        cache = body["translation_cache"]
        assert cache["hits_total"] / (cache["hits_total"] + cache["misses_total"]) >= 0.9
        assert (cache["hits_total"], cache["misses_total"], cache["entries"]) == (90, 10, 10)
        assert cache["hit_ratio"] == 0.9
        # The backend translated each distinct text once.
        assert body["sentences_total"] == 10
        assert metric(client, "nmt_translation_cache_hits_total") == 90
        assert metric(client, "nmt_translation_cache_misses_total") == 10
        assert metric(client, "nmt_batch_sentences_sum") == 10
        assert client.get("/chunk_cache").json() == client.get("/cache").json()["translation_cache"]


def test_the_backend_sees_each_distinct_segment_once(fake_app: tuple[TestClient, FakeLoader]) -> None:
    client, loader = fake_app
    first = post(client, ["Hello there. How are you?", "Hello there.", "How are you?"]).json()
    assert first["translated"] == [
        "[de] Hello there. [de] How are you?",
        "[de] Hello there.",
        "[de] How are you?",
    ]
    assert sorted(backend_saw(loader)) == ["Hello there.", "How are you?"]
    second = post(client, ["How are you?", "Fine, thanks."]).json()
    assert second["translated"] == ["[de] How are you?", "[de] Fine, thanks."]
    assert sorted(backend_saw(loader)) == ["Fine, thanks.", "Hello there.", "How are you?"]
    # Another target language is another key.
    assert post(client, "How are you?", target="fr").json()["translated"] == "[fr] How are you?"
    assert backend_saw(loader)[-1] == "How are you?"


def test_a_request_answered_from_the_cache_has_no_inference_time(
    fake_app: tuple[TestClient, FakeLoader],
) -> None:
    client, _ = fake_app
    post(client, "Only once.")
    cached = post(client, "Only once.")
    assert cached.json()["translated"] == "[de] Only once."
    assert cached.headers["x-inference-time-ms"] == "0.0"
    assert cached.headers["x-queue-time-ms"] == "0.0"


def test_segments_over_the_key_length_always_reach_the_model(fake_app: tuple[TestClient, FakeLoader]) -> None:
    client, loader = fake_app
    long_text = "This sentence is longer than forty characters."
    for _ in range(2):
        assert post(client, long_text).json()["translated"] == f"[de] {long_text}"
    assert backend_saw(loader) == [long_text, long_text]
    assert client.get("/cache").json()["translation_cache"]["entries"] == 0


def test_delete_cache_clears_it(fake_app: tuple[TestClient, FakeLoader]) -> None:
    client, loader = fake_app
    post(client, TEXTS[:3])
    assert client.get("/cache").json()["translation_cache"]["entries"] == 3
    cleared = client.delete("/cache")
    assert cleared.status_code == 200
    body = cleared.json()
    assert body["cleared_entries"] == 3
    assert body["translation_cache"]["entries"] == 0
    assert client.get("/cache").json()["loaded"] != []  # models stay loaded
    post(client, TEXTS[0])
    assert backend_saw(loader) == [*TEXTS[:3], TEXTS[0]]
    assert client.delete("/cache").json()["cleared_entries"] == 1


def test_with_the_cache_off_every_repeat_reaches_the_model() -> None:
    app = create_app(load_settings({"TRANSLATION_BACKEND": "fake", "CHUNK_CACHE_ENABLED": "0"}))
    loader = app.state.services.registry._loader
    assert isinstance(loader, FakeLoader)
    with TestClient(app) as client:
        for _ in range(3):
            assert post(client, "Again.").json()["translated"] == "[de] Again."
        cache = client.get("/cache").json()["translation_cache"]
        assert client.delete("/cache").json()["cleared_entries"] == 0
    assert backend_saw(loader) == ["Again."] * 3
    assert cache["enabled"] is False
    assert (cache["entries"], cache["hits_total"], cache["hit_ratio"]) == (0, 0, None)


@pytest.mark.integration
def test_cached_answers_need_no_place_in_a_full_queue() -> None:
    env = {
        "TRANSLATION_BACKEND": "fake",
        "FAKE_BATCH_DELAY_MS": "1500",
        "MAX_INFLIGHT_TRANSLATIONS": "1",
        "MAX_QUEUE_SIZE": "0",
    }
    with running_server(env) as server, server.client() as client:
        assert post(client, "Cached.").status_code == 200

        def slow_request() -> httpx.Response:
            with server.client() as own_client:
                return post(own_client, "Slow.")

        with ThreadPoolExecutor(max_workers=1) as pool:
            slow = pool.submit(slow_request)
            deadline = time.monotonic() + 10
            while client.get("/cache").json()["inflight"] != 1:  # the slow one holds the only slot
                assert time.monotonic() < deadline, "the slow request never started"
                time.sleep(0.05)
            cached = post(client, "Cached.")
            rejected = post(client, "Not cached.")
            assert slow.result().status_code == 200
        assert cached.status_code == 200
        assert cached.json()["translated"] == "[de] Cached."
        assert rejected.status_code == 429
        families = {
            family.name: family for family in text_string_to_metric_families(client.get("/metrics").text)
        }
        rejections = {
            sample.labels["reason"]: sample.value
            for sample in families["nmt_rejected_requests"].samples
            if sample.name == "nmt_rejected_requests_total"
        }
        assert rejections == {"overloaded": 1, "busy": 0, "shutting_down": 0}
