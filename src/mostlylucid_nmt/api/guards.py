"""The guards in front of the routes, in the order a request meets them: CORS, size limits, API key.

Installed before the request-context middleware, which stays outermost, so every refusal (401, 413, 414)
still carries a request id and is logged.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from mostlylucid_nmt.api.limits import RequestLimitsMiddleware
from mostlylucid_nmt.api.security import ApiKeyMiddleware, ApiKeys, cors_options
from mostlylucid_nmt.settings import Settings


def install_guards(app: FastAPI, settings: Settings) -> ApiKeys:
    """Add the guard middleware (innermost first) and return the key set, for front ends that check keys."""
    keys = ApiKeys(settings.api_keys)
    if keys.enabled:
        app.add_middleware(ApiKeyMiddleware, keys=keys)
    app.add_middleware(
        RequestLimitsMiddleware,
        max_body_bytes=settings.max_request_bytes,
        max_query_bytes=settings.max_query_string_bytes,
    )
    cors = cors_options(settings)
    if cors is not None:
        app.add_middleware(CORSMiddleware, **cors)  # type: ignore[arg-type]
    return keys
