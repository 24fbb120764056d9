"""A cached translation is the very one the model gives: real-format fixture models, both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mostlylucid_nmt.main import create_app
from mostlylucid_nmt.settings import load_settings

pytestmark = pytest.mark.integration

REQUESTS: list[dict[str, Any]] = [
    {
        "text": [
            "Where is the train station? My sister works in a small bakery.",
            "Where is the train station?",
            "My sister works in a small bakery.",
        ],
        "target_lang": "de",
        "source_lang": "en",
    },
    {"text": "Where is the train station?", "target_lang": "de", "source_lang": "en", "beam_size": 1},
    {"text": "Where is the train station?", "target_lang": "fr", "source_lang": "en"},
    # No direct model: a pivot or a multilingual fallback, each hop cached on its own.
    {"text": "Wo ist der Bahnhof? Meine Schwester arbeitet.", "target_lang": "fr", "source_lang": "de"},
]


def translate_all(client: TestClient) -> list[Any]:
    results = []
    for body in REQUESTS:
        response = client.post("/translate", json=body)
        assert response.status_code == 200, response.text
        results.append(response.json()["translated"])
    return results


@pytest.mark.parametrize("backend", ["transformers", "ctranslate2"])
def test_cached_translations_equal_fresh_ones(backend: str, test_models_dir: Path, tmp_path: Path) -> None:
    def app(cache_enabled: str) -> TestClient:
        environ = {
            "TRANSLATION_BACKEND": backend,
            "MODEL_DIR": str(test_models_dir),
            "MODEL_CACHE_DIR": str(tmp_path),
            "HF_HUB_OFFLINE": "1",
            "CHUNK_CACHE_ENABLED": cache_enabled,
        }
        return TestClient(create_app(load_settings(environ)))

    with app("0") as uncached:
        fresh = translate_all(uncached)
    with app("1") as cached:
        first = translate_all(cached)
        before = cached.get("/cache").json()["translation_cache"]
        again = translate_all(cached)
        after = cached.get("/cache").json()["translation_cache"]
    assert first == fresh
    assert again == fresh
    assert after["misses_total"] == before["misses_total"]  # the second round came wholly from the cache
    assert after["hits_total"] - before["hits_total"] == before["hits_total"] + before["misses_total"]
    assert before["misses_total"] > 0
