"""Bad input gets a 4xx whose `detail` says what to change; never a 500."""

from __future__ import annotations

import httpx
import pytest


def _error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == kind
    assert isinstance(body["detail"], str)
    assert body["detail"]
    detail: str = body["detail"]
    return detail


def test_missing_target_lang_is_422_naming_the_field(client: httpx.Client) -> None:
    detail = _error(client.get("/translate", params={"text": "hi"}), 422, "validation")
    assert "target_lang" in detail


def test_beam_size_over_the_limit_is_400_not_a_clamp(client: httpx.Client) -> None:
    response = client.post(
        "/translate", json={"text": "hi", "target_lang": "de", "source_lang": "en", "beam_size": 99}
    )
    assert "EASYNMT_MAX_BEAM_SIZE" in _error(response, 400, "invalid_request")


@pytest.mark.parametrize("beam", [0, -3])
def test_beam_size_below_one_is_400(client: httpx.Client, beam: int) -> None:
    response = client.get("/translate", params={"text": "hi", "target_lang": "de", "beam_size": beam})
    _error(response, 400, "invalid_request")


def test_unknown_language_pair_is_400_pointing_at_lang_pairs(client: httpx.Client) -> None:
    response = client.post("/translate", json={"text": "hi", "target_lang": "xx", "source_lang": "en"})
    assert "/lang_pairs" in _error(response, 400, "unsupported_language")


@pytest.mark.parametrize("code", ["   ", "not a code!", "a" * 40])
def test_malformed_language_codes_are_400(client: httpx.Client, code: str) -> None:
    response = client.post("/translate", json={"text": "hi", "target_lang": code, "source_lang": "en"})
    _error(response, 400, "invalid_request")


def test_text_over_the_character_limit_is_413(client: httpx.Client) -> None:
    response = client.post(
        "/translate", json={"text": "a" * 50_001, "target_lang": "de", "source_lang": "en"}
    )
    assert "EASYNMT_MAX_TEXT_LEN" in _error(response, 413, "payload_too_large")


def test_too_many_texts_is_413(client: httpx.Client) -> None:
    response = client.post("/translate", json={"text": ["a"] * 513, "target_lang": "de", "source_lang": "en"})
    assert "MAX_TEXTS_PER_REQUEST" in _error(response, 413, "payload_too_large")


def test_request_over_the_total_character_limit_is_413(client: httpx.Client) -> None:
    response = client.post(
        "/translate", json={"text": ["b" * 40_000] * 6, "target_lang": "de", "source_lang": "en"}
    )
    assert "MAX_INPUT_TEXT_LENGTH" in _error(response, 413, "payload_too_large")


def test_malformed_json_is_422(client: httpx.Client) -> None:
    response = client.post("/translate", content=b"{bad json", headers={"content-type": "application/json"})
    assert "JSON" in _error(response, 422, "validation")


@pytest.mark.parametrize(
    "body",
    [
        {"text": 5, "target_lang": "de"},
        {"text": ["ok", 7], "target_lang": "de"},
        {"text": "ok", "target_lang": "de", "beam_size": "wide"},
        {"text": "ok"},
        [],
    ],
)
def test_wrong_types_are_422(client: httpx.Client, body: object) -> None:
    _error(client.post("/translate", json=body), 422, "validation")


def test_language_detection_without_text_is_422(client: httpx.Client) -> None:
    _error(client.get("/language_detection"), 422, "validation")
    _error(client.post("/language_detection", json={"text": 3}), 422, "validation")


def test_unknown_route_is_404_json(client: httpx.Client) -> None:
    _error(client.get("/nope"), 404, "not_found")


def test_undetectable_text_comes_back_unchanged(client: httpx.Client) -> None:
    body = client.post("/translate", json={"text": ["12345", "   "], "target_lang": "de"}).json()
    assert body["translated"] == ["12345", "   "]
    assert body["detected_langs"] == ["und", "und"]
