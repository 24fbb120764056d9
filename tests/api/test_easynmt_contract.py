"""EasyNMT's REST contract, checked shape by shape against the real server with the fake backend."""

from __future__ import annotations

import httpx
import pytest

TRANSLATE_KEYS = ["target_lang", "source_lang", "translated", "translation_time"]
TRANSLATE_KEYS_DETECTED = ["target_lang", "source_lang", "detected_langs", "translated", "translation_time"]


def test_get_translate_with_repeated_text(client: httpx.Client) -> None:
    response = client.get(
        "/translate",
        params=[
            ("text", "Hello world. How are you?"),
            ("text", "Second one."),
            ("target_lang", "de"),
            ("source_lang", "en"),
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == TRANSLATE_KEYS
    assert body["target_lang"] == "de"
    assert body["source_lang"] == "en"
    assert body["translated"] == ["[de] Hello world. [de] How are you?", "[de] Second one."]
    assert isinstance(body["translation_time"], float)


def test_get_translate_without_text_gives_empty_list(client: httpx.Client) -> None:
    body = client.get("/translate", params={"target_lang": "de", "source_lang": "en"}).json()
    assert body["translated"] == []
    assert list(body) == TRANSLATE_KEYS


def test_get_translate_autodetects_per_text(client: httpx.Client) -> None:
    response = client.get(
        "/translate",
        params=[
            ("text", "Hello, how are you doing today?"),
            ("text", "Wie geht es dir heute, mein Freund?"),
            ("target_lang", "de"),
        ],
    )
    body = response.json()
    assert list(body) == TRANSLATE_KEYS_DETECTED
    assert body["source_lang"] is None
    assert body["detected_langs"] == ["en", "de"]
    # German text asked to become German comes back unchanged.
    assert body["translated"] == [
        "[de] Hello, how are you doing today?",
        "Wie geht es dir heute, mein Freund?",
    ]


def test_post_string_gives_string(client: httpx.Client) -> None:
    body = client.post(
        "/translate", json={"text": "Good morning.", "target_lang": "fr", "source_lang": "en"}
    ).json()
    assert list(body) == TRANSLATE_KEYS
    assert body["translated"] == "[fr] Good morning."
    assert body["source_lang"] == "en"


def test_post_string_autodetect_gives_string_detected_lang(client: httpx.Client) -> None:
    body = client.post(
        "/translate", json={"text": "Good morning, my dear friend.", "target_lang": "fr"}
    ).json()
    assert list(body) == TRANSLATE_KEYS_DETECTED
    assert body["source_lang"] is None
    assert body["detected_langs"] == "en"
    assert body["translated"] == "[fr] Good morning, my dear friend."


def test_post_list_gives_list_in_order(client: httpx.Client) -> None:
    texts = ["One.", "Two.", "Three."]
    body = client.post("/translate", json={"text": texts, "target_lang": "de", "source_lang": "en"}).json()
    assert body["translated"] == ["[de] One.", "[de] Two.", "[de] Three."]


@pytest.mark.parametrize("source_lang", ["en", ""])
def test_post_empty_list_gives_empty_list(client: httpx.Client, source_lang: str) -> None:
    body = client.post(
        "/translate", json={"text": [], "target_lang": "de", "source_lang": source_lang}
    ).json()
    assert body["translated"] == []
    if source_lang == "":
        assert body["detected_langs"] == []
        assert body["source_lang"] is None


def test_post_null_source_lang_detects(client: httpx.Client) -> None:
    body = client.post(
        "/translate",
        json={
            "text": ["Bonjour tout le monde, comment allez-vous?"],
            "target_lang": "en",
            "source_lang": None,
        },
    ).json()
    assert body["source_lang"] is None
    assert body["detected_langs"] == ["fr"]


def test_detected_codes_are_normalised_and_source_codes_accepted_in_any_case(client: httpx.Client) -> None:
    body = client.post(
        "/translate",
        json={"text": ["这是一个测试句子，我们看看结果。"], "target_lang": "EN", "source_lang": "zh-CN"},
    ).json()
    assert body["translated"] == ["[en] 这是一个测试句子，我们看看结果。"]
    detected = client.post(
        "/translate", json={"text": ["这是一个测试句子，我们看看结果。"], "target_lang": "en"}
    ).json()
    assert detected["detected_langs"] == ["zh"]


def test_document_structure_is_kept(client: httpx.Client) -> None:
    text = "Title here\n\n  - First item. Still first.\n  - Second item!\n\n1. Numbered point.\r\nEnd."
    body = client.post("/translate", json={"text": text, "target_lang": "de", "source_lang": "en"}).json()
    assert body["translated"] == (
        "[de] Title here\n\n  - [de] First item. [de] Still first.\n  - [de] Second item!\n\n"
        "1. [de] Numbered point.\r\n[de] End."
    )


def test_long_text_comes_back_complete(client: httpx.Client) -> None:
    sentences = [f"Sentence number {index} talks about item {index * 7} today." for index in range(500)]
    text = " ".join(sentences)
    assert len(text) > 20_000
    body = client.post("/translate", json={"text": text, "target_lang": "de", "source_lang": "en"}).json()
    assert body["translated"] == " ".join(f"[de] {sentence}" for sentence in sentences)


def test_overlong_sentence_is_split_not_truncated(client: httpx.Client) -> None:
    # One "sentence" far over the fake model's 128-token input limit.
    words = [f"word{index}" for index in range(2000)]
    text = " ".join(words)
    body = client.post("/translate", json={"text": text, "target_lang": "de", "source_lang": "en"}).json()
    translated = body["translated"]
    assert translated.replace("[de] ", "") == text
    assert translated.count("[de] ") > 1


def test_language_detection_get_is_a_bare_string(client: httpx.Client) -> None:
    response = client.get("/language_detection", params={"text": "Bonjour mes amis, comment allez-vous?"})
    assert response.status_code == 200
    assert response.json() == "fr"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hallo, wie geht es dir?", "de"),
        (["Hello, how are you?", "Hola, ¿cómo estás?"], ["en", "es"]),
        (
            {"greeting": "Ciao, come stai oggi?", "farewell": "Goodbye and see you soon"},
            {"greeting": "it", "farewell": "en"},
        ),
        ([], []),
    ],
)
def test_language_detection_post_mirrors_input_shape(
    client: httpx.Client, text: object, expected: object
) -> None:
    response = client.post("/language_detection", json={"text": text})
    assert response.status_code == 200
    assert response.json() == expected


def test_lang_pairs_are_src_tgt_strings(client: httpx.Client) -> None:
    pairs = client.get("/lang_pairs").json()
    assert isinstance(pairs, list)
    assert all(isinstance(pair, str) and pair.count("-") == 1 for pair in pairs)
    assert {"en-de", "de-en", "en-fr"} <= set(pairs)
    # Group codes need a target token; they are never offered as languages.
    assert "en-mul" not in pairs
    assert "en-roa" not in pairs
    # M2M-100 (a fallback family) has Zulu but no Telugu model; mBART-50 has Telugu.
    assert "en-zu" in pairs
    assert "en-te" in pairs


def test_get_languages_filters_by_real_pairs(client: httpx.Client) -> None:
    pairs = set(client.get("/lang_pairs").json())
    everything = client.get("/get_languages").json()
    assert everything == sorted(everything)
    assert {"en", "de", "zh", "ja"} <= set(everything)
    targets_of_en = client.get("/get_languages", params={"source_lang": "en"}).json()
    assert targets_of_en == sorted({pair.split("-")[1] for pair in pairs if pair.startswith("en-")})
    assert "en" not in targets_of_en
    sources_of_de = client.get("/get_languages", params={"target_lang": "de"}).json()
    assert sources_of_de == sorted({pair.split("-")[0] for pair in pairs if pair.endswith("-de")})


def test_model_name_is_a_bare_string(client: httpx.Client) -> None:
    response = client.get("/model_name")
    assert response.json() == "opus-mt"


def test_docs_and_schema_are_served(client: httpx.Client) -> None:
    assert "swagger" in client.get("/docs").text.lower()
    assert client.get("/redoc").status_code == 200
    schema = client.get("/openapi.json").json()
    for path in [
        "/translate",
        "/language_detection",
        "/lang_pairs",
        "/get_languages",
        "/model_name",
        "/healthz",
        "/readyz",
        "/cache",
        "/discover/{family}",
    ]:
        assert path in schema["paths"], path


def test_request_id_is_echoed_or_generated(client: httpx.Client) -> None:
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz")
    assert len(generated.headers["x-request-id"]) >= 16
    hostile = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


def test_extensions_are_in_headers_not_in_the_body(client: httpx.Client) -> None:
    response = client.post("/translate", json={"text": "Hi there.", "target_lang": "de", "source_lang": "en"})
    assert response.headers["x-model-name"] == "Helsinki-NLP/opus-mt-en-de"
    assert response.headers["x-model-family"] == "opus-mt"
    assert float(response.headers["x-inference-time-ms"]) >= 0
    assert list(response.json()) == TRANSLATE_KEYS


def test_probes_and_cache(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    cache = client.get("/cache").json()
    for key in ["loaded", "capacity", "inflight", "waiting", "queue_limit", "max_inflight"]:
        assert key in cache
    assert cache["capacity"] == 5
    assert cache["queue_limit"] == 1000


def test_discovery_is_offline_safe_and_shows_why(client: httpx.Client) -> None:
    [opus] = client.get("/discover/opus-mt").json()
    assert opus["source"] == "bundled"
    assert "offline" in opus["hub_error"]
    assert "Helsinki-NLP/opus-mt-en-de" in opus["models"]
    assert len(opus["pairs"]) > 1000
    every = client.get("/discover/all").json()
    assert [item["family"] for item in every] == ["opus-mt", "mbart50", "m2m100"]
    assert len(every[1]["languages"]) == 52
    assert len(every[2]["languages"]) == 100
    assert client.get("/discover/nllb").status_code == 422
