"""Size limits enforced before anything is parsed: the query string and the request body.

The body is read here, up to MAX_REQUEST_BYTES, whatever the framing (Content-Length or chunked): a declared
length over the limit is refused without reading, and a body that turns out longer is refused as soon as it
passes the limit. The app then gets the buffered body, and later receive() calls go to the client, so a
disconnect still reaches the translation it should cancel.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mostlylucid_nmt.api.errors import error_response
from mostlylucid_nmt.errors import InvalidRequest, PayloadTooLarge, QueryTooLong, ServiceError

_JSON_TYPES = (b"application/json", b"text/json")


class RequestLimitsMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_query_bytes: int) -> None:
        self._app = app
        self._max_body_bytes = max_body_bytes
        self._max_query_bytes = max_query_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if len(query) > self._max_query_bytes:
            await _refuse(
                QueryTooLong(
                    f"the query string has {len(query)} bytes; the limit is {self._max_query_bytes} "
                    "(MAX_QUERY_STRING_BYTES): send long texts with POST /translate instead"
                ),
                scope,
                receive,
                send,
            )
            return
        headers = dict(scope.get("headers", []))
        if b"content-length" not in headers and b"transfer-encoding" not in headers:
            await self._app(scope, receive, send)
            return
        declared = _declared_length(headers.get(b"content-length"))
        if declared is not None and declared > self._max_body_bytes:
            await _refuse(self._too_large(f"declares {declared} bytes"), scope, receive, send)
            return
        body, more = await self._read_body(receive)
        if body is None:
            await _refuse(self._too_large("is longer than allowed"), scope, receive, send)
            return
        if more is not None:
            return  # the client went away before the body was complete: nobody to answer
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type in _JSON_TYPES and not _is_utf8(body):
            await _refuse(
                InvalidRequest("the body is not valid UTF-8; send JSON encoded as UTF-8"),
                scope,
                receive,
                send,
            )
            return
        await self._app(scope, _replay(body, receive), send)

    def _too_large(self, what: str) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"the request body {what}; the limit is {self._max_body_bytes} bytes (MAX_REQUEST_BYTES): "
            "send fewer or shorter texts per request"
        )

    async def _read_body(self, receive: Receive) -> tuple[bytes | None, Message | None]:
        """(body, None) when complete; (None, None) when over the limit; (b"", message) on disconnect."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"", message
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body_bytes:
                return None, None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), None


def _declared_length(value: bytes | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(error: ServiceError, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(error.status_code, error.kind, error.detail)
    # The rest of an over-long body is not read: close the connection rather than parse it as a request.
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
