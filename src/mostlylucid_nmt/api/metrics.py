"""GET /metrics, and the middleware that counts and times every request and adds its timing headers."""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mostlylucid_nmt.api.deps import Services
from mostlylucid_nmt.metrics.exporter import ServiceMetrics

router = APIRouter(tags=["Operations"])

# The `path` label of requests no route matched: raw paths would let any client create label values.
UNMATCHED_PATH = "<unmatched>"
# Methods outside this set (anyone can send "FOO") share one label value, for the same reason.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# nginx's code for "client closed the request": a request that ended with no response at all.
_CLIENT_CLOSED = 499
# Response headers the translate routes set, in milliseconds, repeated in Server-Timing with the total.
_TIMING_HEADERS = ((b"x-queue-time-ms", "queue"), (b"x-inference-time-ms", "inference"))


@router.get("/metrics", response_class=Response)
async def metrics(request: Request, services: Services) -> Response:
    """Prometheus metrics of all worker processes (text format, or OpenMetrics when asked for)."""
    body, content_type = await asyncio.to_thread(services.metrics.render, request.headers.get("accept", ""))
    return Response(content=body, headers={"Content-Type": content_type})


class HttpMetricsMiddleware:
    """Counts and times each request by method, route template and status; adds X-Total-Time-Ms and
    Server-Timing (queue, inference and total milliseconds) to every response.

    The outermost middleware, so that draining 503s and last-resort 500s are counted too. Pure ASGI, like the
    request-context middleware, so disconnects still reach the app.
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self._app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        status = 0

        async def send_with_timing(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.extend(_timing_headers(headers, (time.perf_counter() - started) * 1000))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self._app(scope, receive, send_with_timing)
        finally:
            method = scope["method"] if scope["method"] in _KNOWN_METHODS else "other"
            self._metrics.observe_request(
                method,
                route_template(scope, root_path),
                status or _CLIENT_CLOSED,
                time.perf_counter() - started,
            )


def route_template(scope: Scope, root_path: str = "") -> str:
    """The template of the route that handled the request (`/discover/{family}`), never the raw path.

    The router leaves the matched route in the scope; a mounted application's prefix is what it added to
    root_path on the way in.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str):
        return UNMATCHED_PATH
    mount_prefix = str(scope.get("root_path", ""))[len(root_path) :]
    return mount_prefix + template


def _timing_headers(headers: list[tuple[bytes, bytes]], total_ms: float) -> list[tuple[bytes, bytes]]:
    parts: list[str] = []
    for name, metric in _TIMING_HEADERS:
        value = next((value for key, value in headers if key.lower() == name), None)
        if value is not None:
            parts.append(f"{metric};dur={value.decode('latin-1')}")
    parts.append(f"total;dur={total_ms:.1f}")
    return [(b"x-total-time-ms", f"{total_ms:.1f}".encode()), (b"server-timing", ", ".join(parts).encode())]
