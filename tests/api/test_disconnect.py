"""A client that goes away gets its remaining batches dropped, like a timeout."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.server import running_server


def test_disconnect_drops_the_rest_of_the_request() -> None:
    env = {
        "TRANSLATION_BACKEND": "fake",
        "FAKE_BATCH_DELAY_MS": "500",
        "EASYNMT_BATCH_SIZE": "1",
        "MAX_INFLIGHT_TRANSLATIONS": "1",
    }
    text = " ".join(
        f"Sentence {word}." for word in ["one", "two", "three", "four", "five", "six", "seven", "eight"]
    )
    with running_server(env) as server:
        with (
            httpx.Client(base_url=server.base_url, timeout=0.7) as impatient,
            pytest.raises(httpx.ReadTimeout),
        ):
            impatient.post("/translate", json={"text": text, "target_lang": "de", "source_lang": "en"})
        # Served to the end, the request would hold its slot for 4 s; dropped, only the batch running at the
        # disconnect finishes.
        time.sleep(0.9)
        with server.client() as client:
            assert client.get("/cache").json()["inflight"] == 0
        assert "POST /translate 499" in server.log()
