"""Request ids, one log line per request, draining, and the last-resort 500.

Pure ASGI (not BaseHTTPMiddleware) so the app still sees the client's disconnect message, which is how an
abandoned translation gets cancelled.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mostlylucid_nmt.api.errors import error_response
from mostlylucid_nmt.logs import request_id_var
from mostlylucid_nmt.state import Readiness
from mostlylucid_nmt.telemetry import NO_TELEMETRY, Telemetry

log = logging.getLogger("mostlylucid_nmt.access")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Probes must keep answering while the process drains, so orchestrators see the state.
_ALWAYS_OPEN = frozenset({"/healthz", "/readyz"})


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        readiness: Readiness,
        *,
        request_log: bool,
        telemetry: Telemetry = NO_TELEMETRY,
    ) -> None:
        self._app = app
        self._readiness = readiness
        self._request_log = request_log
        self._telemetry = telemetry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 0
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            if self._readiness.draining and scope["path"] not in _ALWAYS_OPEN:
                self._telemetry.request_rejected("shutting_down")
                response = error_response(503, "shutting_down", "server is shutting down; retry on another")
                response.headers["Retry-After"] = "1"
                response.headers["Connection"] = "close"
                await response(scope, receive, send_with_id)
            else:
                await self._app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error")
            if not response_started:
                response = error_response(500, "internal", f"internal error; request id {request_id}")
                await response(scope, receive, send_with_id)
        finally:
            if self._request_log:
                log.info(
                    "%s %s %s %.1fms",
                    scope["method"],
                    scope.get("route_path") or scope["path"],
                    status or 499,
                    (time.perf_counter() - started) * 1000,
                    extra={"status": status or 499, "path": scope["path"], "method": scope["method"]},
                )
            request_id_var.reset(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1").strip()
            return candidate if _VALID_REQUEST_ID.match(candidate) else None
    return None
