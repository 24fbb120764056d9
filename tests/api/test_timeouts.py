"""TRANSLATE_TIMEOUT_SEC: a 504, and the request's remaining batches never run."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from mostlylucid_nmt.backends.fake import FakeLoader
from mostlylucid_nmt.main import create_app
from mostlylucid_nmt.settings import load_settings


def test_timeout_gives_504_and_drops_later_batches() -> None:
    settings = load_settings(
        {
            "TRANSLATION_BACKEND": "fake",
            "FAKE_BATCH_DELAY_MS": "300",
            "EASYNMT_BATCH_SIZE": "1",
            "TRANSLATE_TIMEOUT_SEC": "0.45",
            "MAX_INFLIGHT_TRANSLATIONS": "1",
        }
    )
    app = create_app(settings)
    loader = app.state.services.registry._loader
    assert isinstance(loader, FakeLoader)
    text = "One. Two. Three. Four. Five. Six."
    with TestClient(app) as client:
        response = client.post("/translate", json={"text": text, "target_lang": "de", "source_lang": "en"})
        assert response.status_code == 504
        assert response.json()["error"] == "timeout"
        assert "TRANSLATE_TIMEOUT_SEC" in response.json()["detail"]
        time.sleep(1.5)  # long enough for all six batches, had they not been dropped
        batches = [texts for _, texts in loader.activity.batches]
        assert len(batches) == 2, batches  # the one running at the deadline finished; none started after
        # The slot came back once the running batch finished: the next request is served.
        ok = client.post("/translate", json={"text": "Seven.", "target_lang": "de", "source_lang": "en"})
        assert ok.status_code == 200
        assert client.get("/cache").json()["inflight"] == 0
