"""The real server with real-format models (tiny fixtures in MODEL_DIR), through each real backend.

The fixture models have random weights, so their output is not a translation; what is checked is that each
family's real tokenizer/model classes load from MODEL_DIR, the right checkpoint serves each pair, the target
language is really forced (different targets give different outputs), and the EasyNMT shapes hold. Every test
runs against the transformers and the CTranslate2 backend (which converts the fixtures on first load into a
temporary MODEL_CACHE_DIR, at its default compute type: int8 on CPU).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import RunningServer, running_server, wait_ready

pytestmark = pytest.mark.integration

BACKENDS = ["transformers", "ctranslate2"]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def model_server(
    backend: str, test_models_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    env = {
        "TRANSLATION_BACKEND": backend,
        "MODEL_DIR": str(test_models_dir),
        "MODEL_CACHE_DIR": str(tmp_path_factory.mktemp(f"cache-{backend}")),
        "HF_HUB_OFFLINE": "1",
        "PRELOAD_MODELS": "en->de",
        "MAX_CACHED_MODELS": "3",
    }
    with running_server(env) as server:
        wait_ready(server, timeout_s=120)
        yield server


@pytest.fixture
def client(model_server: RunningServer) -> Iterator[httpx.Client]:
    with model_server.client() as client:
        yield client


def _translate(
    client: httpx.Client, text: str | list[str], target: str, source: str = "en"
) -> httpx.Response:
    response = client.post("/translate", json={"text": text, "target_lang": target, "source_lang": source})
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize(
    ("source", "target", "model"),
    [
        ("en", "de", "Helsinki-NLP/opus-mt-en-de"),
        ("de", "en", "Helsinki-NLP/opus-mt-de-en"),
        # No opus-mt-en-fr here: the multi-target en-roa model serves it with the >>fra<< token.
        ("en", "fr", "Helsinki-NLP/opus-mt-en-roa"),
        # Opus-MT has no en->th model in this list: mBART-50 is the next family.
        ("en", "th", "facebook/mbart-large-50-many-to-many-mmt"),
        # Zulu exists only in M2M-100.
        ("en", "zu", "facebook/m2m100_418M"),
    ],
)
def test_each_family_translates_over_http(client: httpx.Client, source: str, target: str, model: str) -> None:
    response = _translate(client, ["Hello world, how are you?", "The weather is nice today."], target, source)
    assert response.headers["x-model-name"] == model
    body = response.json()
    assert list(body) == ["target_lang", "source_lang", "translated", "translation_time"]
    assert len(body["translated"]) == 2
    assert all(isinstance(text, str) and text.strip() for text in body["translated"])
    # Deterministic: the same request gives the same output.
    assert (
        _translate(
            client, ["Hello world, how are you?", "The weather is nice today."], target, source
        ).json()["translated"]
        == body["translated"]
    )


@pytest.mark.parametrize(
    ("targets", "model"),
    [
        (("fr", "es"), "Helsinki-NLP/opus-mt-en-roa"),
        (("th", "ja"), "facebook/mbart-large-50-many-to-many-mmt"),
        (("zu", "ast"), "facebook/m2m100_418M"),
    ],
)
def test_the_target_language_is_really_forced(
    client: httpx.Client, targets: tuple[str, str], model: str
) -> None:
    text = "Good morning, dear friends and neighbours."
    first, second = (_translate(client, text, target) for target in targets)
    assert first.headers["x-model-name"] == second.headers["x-model-name"] == model
    assert first.json()["translated"] != second.json()["translated"]


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_pivot_through_english_when_no_family_has_the_pair(
    test_models_dir: Path, tmp_path: Path, backend_name: str
) -> None:
    env = {
        "TRANSLATION_BACKEND": backend_name,
        "MODEL_DIR": str(test_models_dir),
        "MODEL_CACHE_DIR": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
        "AUTO_MODEL_FALLBACK": "0",
    }
    with running_server(env) as server, server.client() as client:
        # de->fr: only Opus-MT, no de-fr model here, so de->en (opus-mt-de-en) then en->fr (opus-mt-en-roa).
        response = _translate(client, "Guten Morgen, liebe Freunde.", "fr", "de")
        assert response.headers["x-pivot-lang"] == "en"
        assert response.headers["x-model-name"] == "Helsinki-NLP/opus-mt-de-en,Helsinki-NLP/opus-mt-en-roa"
        assert response.json()["translated"].strip()
        pairs = set(client.get("/lang_pairs").json())
        assert "de-fr" in pairs
        assert "en-th" not in pairs  # no fallback family, no local model


def test_paragraphs_survive_real_tokenizers(client: httpx.Client) -> None:
    text = "First paragraph. It has two sentences.\n\n  - A list item.\n  - Another one!"
    translated = _translate(client, text, "de").json()["translated"]
    assert translated.count("\n\n") == 1
    lines = translated.split("\n")
    assert lines[1] == ""
    assert lines[2].startswith("  - ")
    assert lines[3].startswith("  - ")


def test_long_text_is_translated_whole(client: httpx.Client) -> None:
    sentences = [
        f"This is sentence number {index} of a long document about the weather." for index in range(40)
    ]
    response = _translate(client, " ".join(sentences), "de")
    translated = response.json()["translated"]
    # One translated piece per sentence, joined by the original single spaces: nothing dropped.
    assert translated.count(" ") >= 39


def test_auto_detection_routes_each_text(client: httpx.Client) -> None:
    body = client.post(
        "/translate",
        json={
            "text": ["Hello my friend, how are you today?", "Guten Morgen, wie geht es dir heute?"],
            "target_lang": "de",
        },
    ).json()
    assert body["detected_langs"] == ["en", "de"]
    assert body["translated"][1] == "Guten Morgen, wie geht es dir heute?"


def test_cache_reports_real_models(client: httpx.Client, backend: str) -> None:
    cache = client.get("/cache").json()
    assert cache["backend"] == backend
    assert 1 <= len(cache["loaded"]) <= 3
    assert cache["loads_total"] >= len(cache["loaded"])


def test_lang_pairs_list_only_local_models(client: httpx.Client) -> None:
    pairs = set(client.get("/lang_pairs").json())
    assert {"en-de", "de-en", "en-fr", "en-th", "en-zu"} <= pairs
    # No local Opus-MT model for en->ar and offline: only mBART-50/M2M-100 could serve it, and they do.
    assert "en-ar" in pairs
