"""Size limits before parsing, hostile input, API keys, CORS and request ids, through the real server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import RunningServer, running_server

pytestmark = pytest.mark.integration

KEY = "s3cret-key"
TRANSLATE = {"text": "Hello.", "target_lang": "de", "source_lang": "en"}


@pytest.fixture(scope="module")
def small_limits() -> Iterator[RunningServer]:
    env = {"TRANSLATION_BACKEND": "fake", "MAX_REQUEST_BYTES": "300000", "MAX_QUERY_STRING_BYTES": "300"}
    with running_server(env) as server:
        yield server


@pytest.fixture(scope="module")
def keyed() -> Iterator[RunningServer]:
    env = {"TRANSLATION_BACKEND": "fake", "API_KEYS": f"other-key,{KEY}"}
    with running_server(env) as server:
        yield server


def _error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers.get("x-request-id")
    body = response.json()
    assert body["error"] == kind
    detail: str = body["detail"]
    assert "Traceback" not in detail
    return detail


# --- limits ------------------------------------------------------------------------------------------------
def test_a_declared_body_over_the_limit_is_413_naming_it(small_limits: RunningServer) -> None:
    body = b'{"text": "' + b"a" * 310_000 + b'", "target_lang": "de"}'
    response = httpx.post(
        f"{small_limits.base_url}/translate", content=body, headers={"Content-Type": "application/json"}
    )
    detail = _error(response, 413, "payload_too_large")
    assert "MAX_REQUEST_BYTES" in detail
    assert "300000" in detail


def test_a_chunked_body_over_the_limit_is_413(small_limits: RunningServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(31):
            yield b"a" * 10_000
        yield b'", "target_lang": "de"}'

    response = httpx.post(
        f"{small_limits.base_url}/translate", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "MAX_REQUEST_BYTES" in _error(response, 413, "payload_too_large")


def test_a_chunked_body_under_the_limit_is_served(small_limits: RunningServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "Hello.", '
        yield b'"target_lang": "de", "source_lang": "en"}'

    response = httpx.post(
        f"{small_limits.base_url}/translate", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["translated"] == "[de] Hello."


def test_a_long_query_string_is_414_naming_the_limit(small_limits: RunningServer) -> None:
    response = httpx.get(
        f"{small_limits.base_url}/translate", params={"text": "a" * 400, "target_lang": "de"}
    )
    detail = _error(response, 414, "query_too_long")
    assert "MAX_QUERY_STRING_BYTES" in detail
    assert "POST" in detail


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        (b'{"text": "Hello.", "target_lang": "de"', 422, "validation"),
        (b'{"text": "caf\xe9", "target_lang": "de"}', 400, "invalid_request"),
        (b'{"text": 42, "target_lang": "de"}', 422, "validation"),
        (b'{"text": "a", "target_lang": ["de"]}', 422, "validation"),
        (b'{"text": "a", "target_lang": "de", "beam_size": 1e400}', 422, "validation"),
        (
            b'{"text": "a", "target_lang": "de", "source_lang": "en", "beam_size": 99999999999}',
            400,
            "invalid_request",
        ),
        (b'{"text": "a", "target_lang": ""}', 400, "invalid_request"),
        (b'{"text": "a", "target_lang": "de", "source_lang": "zz"}', 400, "unsupported_language"),
        (b'{"text": "a\\ud800b", "target_lang": "de", "source_lang": "en"}', 400, "invalid_request"),
        (b'{"text": ["ok", "\\udfff"], "target_lang": "de"}', 400, "invalid_request"),
        (b"[1, 2, 3]", 422, "validation"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "invalid_request"),
        (b'{"text": "a", "target_lang": "de", "beam_size": 1' + b"0" * 5000 + b"}", 400, "invalid_request"),
        (b"null", 422, "validation"),
    ],
)
def test_hostile_bodies_are_4xx(small_limits: RunningServer, body: bytes, status: int, kind: str) -> None:
    response = httpx.post(
        f"{small_limits.base_url}/translate", content=body, headers={"Content-Type": "application/json"}
    )
    _error(response, status, kind)


def test_lone_surrogates_in_detection_are_400(small_limits: RunningServer) -> None:
    response = httpx.post(
        f"{small_limits.base_url}/language_detection",
        content=b'{"text": "a\\ud800b"}',
        headers={"Content-Type": "application/json"},
    )
    assert "surrogate" in _error(response, 400, "invalid_request")


def test_invalid_utf8_in_the_query_is_not_a_server_error(small_limits: RunningServer) -> None:
    response = httpx.get(f"{small_limits.base_url}/translate?text=%FF%FE&target_lang=de&source_lang=en")
    assert response.status_code < 500, response.text


# --- API keys ----------------------------------------------------------------------------------------------
def test_no_key_is_401_with_a_request_id(keyed: RunningServer) -> None:
    response = httpx.post(f"{keyed.base_url}/translate", json=TRANSLATE)
    detail = _error(response, 401, "unauthorized")
    assert "X-API-Key" in detail
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_wrong_key_is_401(keyed: RunningServer) -> None:
    response = httpx.post(f"{keyed.base_url}/translate", json=TRANSLATE, headers={"X-API-Key": "guess"})
    _error(response, 401, "unauthorized")


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"X-API-Key": KEY}, {}),
        ({"Authorization": f"Bearer {KEY}"}, {}),
        ({}, {"api_key": KEY}),
    ],
)
def test_each_form_of_the_key_opens_the_api(
    keyed: RunningServer, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = httpx.post(f"{keyed.base_url}/translate", json=TRANSLATE, headers=headers, params=params)
    assert response.status_code == 200, response.text
    detect = httpx.get(
        f"{keyed.base_url}/language_detection", params={"text": "Hello there", **params}, headers=headers
    )
    assert detect.status_code == 200, detect.text


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json", "/docs", "/redoc"])
def test_probes_and_docs_stay_open(keyed: RunningServer, path: str) -> None:
    assert httpx.get(f"{keyed.base_url}{path}").status_code == 200


@pytest.mark.parametrize("path", ["/lang_pairs", "/cache", "/model_name", "/get_languages"])
def test_everything_else_needs_the_key(keyed: RunningServer, path: str) -> None:
    _error(httpx.get(f"{keyed.base_url}{path}"), 401, "unauthorized")
    assert httpx.get(f"{keyed.base_url}{path}", headers={"X-API-Key": KEY}).status_code == 200


def test_libretranslate_checks_the_api_key_field_and_answers_like_libretranslate(
    keyed: RunningServer,
) -> None:
    url = f"{keyed.base_url}/libretranslate/translate"
    request = {"q": "Hello.", "source": "en", "target": "de"}
    refused = httpx.post(url, json=request)
    assert refused.status_code == 403, refused.text
    assert set(refused.json()) == {"error"}
    assert "api_key" in refused.json()["error"]
    assert httpx.post(url, json={**request, "api_key": "wrong"}).status_code == 403
    assert httpx.post(url, json={**request, "api_key": KEY}).status_code == 200
    assert httpx.post(url, data={**request, "api_key": KEY}).status_code == 200
    assert httpx.post(url, json=request, headers={"X-API-Key": KEY}).status_code == 200
    detect = f"{keyed.base_url}/libretranslate/detect"
    assert httpx.post(detect, json={"q": "Hello."}).status_code == 403
    assert httpx.post(detect, json={"q": "Hello.", "api_key": KEY}).status_code == 200
    # As in LibreTranslate, the list of languages needs no key.
    assert httpx.get(f"{keyed.base_url}/libretranslate/languages").status_code == 200


# --- CORS ----------------------------------------------------------------------------------------------------
def test_no_cors_headers_by_default(small_limits: RunningServer) -> None:
    response = httpx.get(f"{small_limits.base_url}/model_name", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert not any(name.startswith("access-control-") for name in response.headers)
    preflight = httpx.options(
        f"{small_limits.base_url}/translate",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_origins_allow_only_the_listed_origins() -> None:
    env = {"TRANSLATION_BACKEND": "fake", "CORS_ORIGINS": "https://app.example", "API_KEYS": KEY}
    with running_server(env) as server:
        allowed = httpx.get(
            f"{server.base_url}/model_name", headers={"Origin": "https://app.example", "X-API-Key": KEY}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        assert "access-control-allow-credentials" not in allowed.headers
        other = httpx.get(
            f"{server.base_url}/model_name", headers={"Origin": "https://evil.example", "X-API-Key": KEY}
        )
        assert "access-control-allow-origin" not in other.headers
        # A browser's preflight carries no key; it must still be answered.
        preflight = httpx.options(
            f"{server.base_url}/translate",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key,content-type",
            },
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        # A refusal is readable by the allowed page too.
        refused = httpx.get(f"{server.base_url}/model_name", headers={"Origin": "https://app.example"})
        assert refused.status_code == 401
        assert refused.headers["access-control-allow-origin"] == "https://app.example"


# --- request ids on every answer -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/no/such/path", 404), ("DELETE", "/translate", 405), ("GET", "/translate", 422)],
)
def test_every_error_carries_a_request_id(
    small_limits: RunningServer, method: str, path: str, status: int
) -> None:
    response = httpx.request(method, f"{small_limits.base_url}{path}")
    assert response.status_code == status
    assert response.headers.get("x-request-id")


# --- the published schema -------------------------------------------------------------------------------------
def test_the_schema_describes_the_error_bodies_really_sent(small_limits: RunningServer) -> None:
    schema = httpx.get(f"{small_limits.base_url}/openapi.json").json()
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    error_ref = {"$ref": "#/components/schemas/ErrorBody"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert responses["default"]["content"]["application/json"]["schema"] == error_ref, (path, method)
            if "422" in responses:
                assert responses["422"]["content"]["application/json"]["schema"] == error_ref
