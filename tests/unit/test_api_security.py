"""The API key set and the open paths, on their own (the middleware is tested through the server)."""

from __future__ import annotations

import pytest

from mostlylucid_nmt.api.security import ApiKeys, is_open_path, presented_key


def test_no_keys_allows_everything() -> None:
    keys = ApiKeys([])
    assert not keys.enabled
    assert keys.allows(None)
    assert keys.allows("anything")


def test_keys_allow_only_themselves() -> None:
    keys = ApiKeys(["alpha", "beta", ""])
    assert keys.enabled
    assert keys.allows("alpha")
    assert keys.allows("beta")
    assert not keys.allows("alph")
    assert not keys.allows("")
    assert not keys.allows(None)


@pytest.mark.parametrize(
    ("path", "open_"),
    [
        ("/healthz", True),
        ("/readyz", True),
        ("/openapi.json", True),
        ("/", True),
        ("/metrics", True),
        ("/demo/index.html", True),
        ("/libretranslate/translate", True),
        ("/libretranslatex", False),
        ("/translate", False),
        ("/cache", False),
        ("/healthz/x", False),
    ],
)
def test_open_paths(path: str, open_: bool) -> None:
    assert is_open_path(path) is open_


def _scope(headers: list[tuple[bytes, bytes]], query: bytes = b"") -> dict[str, object]:
    return {"type": "http", "headers": headers, "query_string": query}


def test_presented_key_prefers_the_header_then_bearer_then_query() -> None:
    assert presented_key(_scope([(b"x-api-key", b" k1 ")], b"api_key=k3")) == "k1"
    assert presented_key(_scope([(b"authorization", b"Bearer k2")], b"api_key=k3")) == "k2"
    assert presented_key(_scope([(b"authorization", b"Basic abc")], b"a=1&api_key=k%203")) == "k 3"
    assert presented_key(_scope([])) is None
