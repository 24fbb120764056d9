"""The model cache through the real server: a one-model cache serving three pairs, and one load for a crowd."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.server import running_server


def test_one_slot_three_pairs_in_turn() -> None:
    # The translation cache off: the repeated en->de text must reach (and so reload) its model.
    env = {"TRANSLATION_BACKEND": "fake", "MAX_CACHED_MODELS": "1", "CHUNK_CACHE_ENABLED": "0"}
    with (
        running_server(env) as server,
        server.client() as client,
    ):
        for source, target in [("en", "de"), ("de", "en"), ("en", "fr"), ("en", "de")]:
            response = client.post(
                "/translate", json={"text": "Hello.", "target_lang": target, "source_lang": source}
            )
            assert response.status_code == 200, response.text
            assert response.json()["translated"] == f"[{target}] Hello."
            cache = client.get("/cache").json()
            assert [item["model"] for item in cache["loaded"]] == [f"Helsinki-NLP/opus-mt-{source}-{target}"]
        assert cache["loads_total"] == 4
        assert cache["evictions_total"] == 3


def test_twenty_concurrent_first_requests_cause_one_load() -> None:
    env = {"TRANSLATION_BACKEND": "fake", "FAKE_LOAD_DELAY_MS": "1000", "MAX_INFLIGHT_TRANSLATIONS": "32"}
    with running_server(env) as server:

        def one(index: int) -> httpx.Response:
            with server.client() as client:
                return client.post(
                    "/translate", json={"text": f"Text {index}.", "target_lang": "es", "source_lang": "en"}
                )

        with ThreadPoolExecutor(max_workers=20) as pool:
            responses = list(pool.map(one, range(20)))
        assert [response.status_code for response in responses] == [200] * 20
        with server.client() as client:
            cache = client.get("/cache").json()
        assert cache["loads_total"] == 1
        assert [item["model"] for item in cache["loaded"]] == ["Helsinki-NLP/opus-mt-en-es"]
        assert cache["loaded"][0]["uses"] == 20
