"""API keys and CORS: both off unless configured.

`ApiKeys` is the key set on its own (constant-time comparison), so other front ends (e.g. a LibreTranslate
API that reads `api_key` from its body) can check the same keys. `ApiKeyMiddleware` guards every path except
the open ones: probes, docs, and the pages and APIs that do their own checking.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from mostlylucid_nmt.api.errors import error_response
from mostlylucid_nmt.errors import Unauthorized
from mostlylucid_nmt.settings import Settings

OPEN_PATHS = frozenset(
    {"/", "/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
OPEN_PREFIXES = ("/metrics", "/demo", "/libretranslate")

API_KEY_HEADER = b"x-api-key"
API_KEY_QUERY = "api_key"


class ApiKeys:
    """The configured keys. Empty means no key is needed."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = tuple(key.encode() for key in keys if key)

    @property
    def enabled(self) -> bool:
        return bool(self._keys)

    def allows(self, key: str | None) -> bool:
        """Whether `key` opens the API; always true when no keys are configured."""
        if not self._keys:
            return True
        if not key:
            return False
        candidate = key.encode()
        # Compare against every key, so the time taken does not tell which one nearly matched.
        matches = [hmac.compare_digest(candidate, known) for known in self._keys]
        return any(matches)


def is_open_path(path: str) -> bool:
    return path in OPEN_PATHS or any(
        path == prefix or path.startswith(prefix + "/") for prefix in OPEN_PREFIXES
    )


def presented_key(scope: Scope) -> str | None:
    """The key a request carries: X-API-Key, then Authorization: Bearer, then the api_key query parameter."""
    bearer: str | None = None
    for name, value in scope.get("headers", []):
        if name == API_KEY_HEADER:
            return str(value.decode("latin-1")).strip()
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                bearer = token.strip()
    if bearer is not None:
        return bearer
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name == API_KEY_QUERY:
            return str(value)
    return None


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, keys: ApiKeys) -> None:
        self._app = app
        self._keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or is_open_path(scope["path"])
            or self._keys.allows(presented_key(scope))
        ):
            await self._app(scope, receive, send)
            return
        error = Unauthorized(
            "this server needs an API key: send it as header X-API-Key, as Authorization: Bearer <key>, "
            "or as query parameter api_key"
        )
        response = error_response(error.status_code, error.kind, error.detail)
        response.headers["WWW-Authenticate"] = 'Bearer realm="mostlylucid-nmt"'
        await response(scope, receive, send)


def cors_options(settings: Settings) -> dict[str, object] | None:
    """CORSMiddleware's arguments, or None when CORS_ORIGINS is empty (no CORS headers at all)."""
    if not settings.cors_origins:
        return None
    return {
        "allow_origins": settings.cors_origins,
        # Settings refuse credentials together with '*'.
        "allow_credentials": settings.cors_allow_credentials,
        "allow_methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": ["Content-Type", "Authorization", "X-API-Key", "X-Request-Id"],
        "expose_headers": [
            "X-Request-Id",
            "X-Model-Name",
            "X-Model-Family",
            "X-Pivot-Lang",
            "X-Queue-Time-Ms",
            "X-Inference-Time-Ms",
            "Retry-After",
        ],
        "max_age": 600,
    }
