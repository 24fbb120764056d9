"""api-tests.http matches the real API: every request is replayed against the real server and gets the status
(and error kind, body type, keys) written beside it. Requests marked with a server profile run against a
server started with that profile's settings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from starlette.routing import compile_path

from mostlylucid_nmt.settings import load_settings
from tests.support.http_file import HttpFile, HttpFileError, HttpRequest, parse_http_file
from tests.support.server import REPO_ROOT, RunningServer, running_server

HTTP_FILE = REPO_ROOT / "api-tests.http"

# Routes the OpenAPI schema leaves out: FastAPI's documentation pages and the demo page with its files.
UNLISTED_ROUTES = {
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/redoc"),
    ("GET", "/"),
    ("GET", "/demo"),
    ("GET", "/demo/{asset}"),
}
# Path parameter values that each need a request of their own: every discovery family.
PATH_VALUES = {("GET", f"/discover/{family}") for family in ("opus-mt", "mbart50", "m2m100", "all")}
# Every kind of the README's error table a request can provoke; shutting_down and the 500s cannot be.
ERROR_KINDS = {
    "invalid_request",
    "unsupported_language",
    "not_found",
    "method_not_allowed",
    "payload_too_large",
    "validation",
    "overloaded",
    "busy",
    "model_unavailable",
    "timeout",
}


def _path(request: HttpRequest) -> str:
    return httpx.URL(request.url).path


def _app_routes() -> set[tuple[str, str]]:
    """(method, path template) of every route the app serves: the OpenAPI schema's, so that a new endpoint
    without a request here fails the coverage test, and the unlisted ones."""
    from mostlylucid_nmt.main import create_app

    schema = create_app(load_settings({"TRANSLATION_BACKEND": "fake"})).openapi()
    listed = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
    return listed | UNLISTED_ROUTES


def _serves(template: str, path: str) -> bool:
    return compile_path(template)[0].match(path) is not None


def _check(request: HttpRequest, response: httpx.Response) -> str | None:
    """What is wrong with the response, or None."""
    if response.status_code != request.expect_status:
        return f"status {response.status_code}, expected {request.expect_status}: {response.text[:200]}"
    missing = [name for name in request.expect_headers if name not in response.headers]
    if missing:
        return f"expected the headers {missing}, got {sorted(response.headers)}"
    media_types = {"html": "text/html", "text": "text/plain"}
    if request.expect_type in media_types:
        if media_types[request.expect_type] not in response.headers.get("content-type", ""):
            return f"expected {request.expect_type}, got {response.headers.get('content-type')}"
        return None
    body = response.json() if request.expect_error or request.expect_type or request.expect_keys else None
    if request.expect_error is not None and (
        not isinstance(body, dict)
        or body.get("error") != request.expect_error
        or not isinstance(body.get("detail"), str)
        or not body["detail"]
    ):
        return f"expected error {request.expect_error!r} with a detail, got {body}"
    types = {"string": str, "array": list, "object": dict}
    if request.expect_type is not None and not isinstance(body, types[request.expect_type]):
        return f"expected a JSON {request.expect_type}, got {body!r:.200}"
    if request.expect_keys is not None and (not isinstance(body, dict) or tuple(body) != request.expect_keys):
        return f"expected keys {request.expect_keys}, got {body!r:.200}"
    return None


def _send(client: httpx.Client, request: HttpRequest) -> httpx.Response:
    return client.request(
        request.method, request.url, headers=request.headers, content=request.body.encode() or None
    )


def _wait_until_running(client: httpx.Client, base_url: str) -> None:
    """A background request holds the batch slot once its sentence has started (as /cache shows)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if client.get(f"{base_url}/cache").json()["inflight"] >= 1:
            return
        time.sleep(0.05)
    raise AssertionError("the background request never started")


def _replay(server: RunningServer, profile: str) -> list[str]:
    parsed = parse_http_file(HTTP_FILE, overrides={"baseUrl": server.base_url})
    problems = []
    background: list[tuple[HttpRequest, Future[httpx.Response]]] = []
    # Redirects are followed, as the REST Client does by default.
    with (
        ThreadPoolExecutor(max_workers=4) as pool,
        httpx.Client(timeout=60, follow_redirects=True) as client,
    ):
        for request in parsed.requests:
            if request.server != profile:
                continue
            if request.background:
                background.append((request, pool.submit(_send, client, request)))
                _wait_until_running(client, server.base_url)
                continue
            if (problem := _check(request, _send(client, request))) is not None:
                problems.append(f"{request.describe()}: {problem}")
        for request, future in background:
            if (problem := _check(request, future.result())) is not None:
                problems.append(f"{request.describe()}: {problem}")
    return problems


@pytest.fixture(scope="module")
def http_file() -> HttpFile:
    return parse_http_file(HTTP_FILE)


def test_the_file_covers_every_endpoint_and_error_kind(http_file: HttpFile) -> None:
    requests = http_file.requests
    assert len(requests) >= 85
    called = {(request.method, _path(request)) for request in requests}
    uncalled = sorted(
        f"{method} {template}"
        for method, template in _app_routes()
        if not any(method == sent and _serves(template, path) for sent, path in called)
    )
    assert uncalled == [], "routes without a request in api-tests.http"
    assert called >= PATH_VALUES
    assert {request.expect_error for request in requests} - {None} == ERROR_KINDS
    assert {request.server for request in requests} == {"default", *http_file.profiles}


@pytest.mark.integration
def test_default_requests_match_the_test_model_server(test_model_server: RunningServer) -> None:
    problems = _replay(test_model_server, "default")
    assert problems == [], "\n".join(problems)


@pytest.fixture(params=["small-limits", "queue-full", "no-queue", "slow", "hub-unreachable"])
def profile_server(
    request: pytest.FixtureRequest, http_file: HttpFile, tmp_path: Path
) -> Iterator[tuple[str, RunningServer]]:
    profile: str = request.param
    env = {"MODEL_CACHE_DIR": str(tmp_path), **http_file.profiles[profile]}
    with running_server(env) as server:
        yield profile, server


@pytest.mark.integration
def test_profile_requests_match_a_server_with_those_settings(
    profile_server: tuple[str, RunningServer],
) -> None:
    profile, server = profile_server
    problems = _replay(server, profile)
    assert problems == [], "\n".join(problems)


SAMPLE = """\
@baseUrl = http://localhost:8000
@tgt = de
# @profile tiny EASYNMT_MAX_TEXT_LEN=5

### Translate
# a plain comment
# @expect 200
# @expect-keys target_lang,translated
# @expect-headers X-Model-Name, Server-Timing
POST {{baseUrl}}/translate
Content-Type: application/json
X-Request-ID: {{tgt}}-1

{
  "text": "Hi", "target_lang": "{{tgt}}"
}

### Too long
# @server tiny
# @expect 413
# @expect-error payload_too_large
GET {{baseUrl}}/translate?target_lang={{tgt}}&text=toolong
"""


def test_reader_understands_the_rest_client_format(tmp_path: Path) -> None:
    path = tmp_path / "sample.http"
    path.write_text(SAMPLE)
    parsed = parse_http_file(path, overrides={"baseUrl": "http://127.0.0.1:9"})
    assert parsed.profiles == {"tiny": {"EASYNMT_MAX_TEXT_LEN": "5"}}
    first, second = parsed.requests
    assert (first.method, first.url, first.title) == ("POST", "http://127.0.0.1:9/translate", "Translate")
    assert first.headers == {"Content-Type": "application/json", "X-Request-ID": "de-1"}
    assert first.body == '{\n  "text": "Hi", "target_lang": "de"\n}'
    assert first.expect_headers == ("X-Model-Name", "Server-Timing")
    assert second.expect_headers == ()
    assert (first.expect_status, first.expect_keys, first.server) == (
        200,
        ("target_lang", "translated"),
        "default",
    )
    assert second.url == "http://127.0.0.1:9/translate?target_lang=de&text=toolong"
    assert (second.expect_status, second.expect_error, second.server, second.body) == (
        413,
        "payload_too_large",
        "tiny",
        "",
    )


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ("### A\nGET {{baseUrl}}/healthz\n", "without '# @expect STATUS'"),
        ("### A\n# @expect 200\nGET {{nowhere}}/healthz\n", "undefined variable"),
        ("### A\n# @expect 200\n# @server nope\nGET {{baseUrl}}/healthz\n", "unknown server profile"),
        ("### A\n# @expect 200\n# @expect-typ string\nGET {{baseUrl}}/healthz\n", "unknown directive"),
        ("### A\n# @expect 200\nFETCH {{baseUrl}}/healthz\n", "expected a request line"),
        ("GET {{baseUrl}}/healthz\n", "before the first ###"),
        ("### A\n# @expect 200\n", "expectations without a request"),
    ],
    ids=[
        "no-expect",
        "undefined-variable",
        "unknown-profile",
        "unknown-directive",
        "bad-method",
        "no-separator",
        "no-request",
    ],
)
def test_reader_rejects_what_it_does_not_understand(tmp_path: Path, broken: str, message: str) -> None:
    path = tmp_path / "broken.http"
    path.write_text("@baseUrl = http://localhost:8000\n\n" + broken)
    with pytest.raises(HttpFileError, match=message):
        parse_http_file(path)
