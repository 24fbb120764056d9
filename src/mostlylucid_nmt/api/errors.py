"""The one place where service errors become HTTP responses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mostlylucid_nmt.errors import ServiceError


def error_response(
    status_code: int, kind: str, detail: str, *, retry_after_s: int | None = None
) -> JSONResponse:
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    return JSONResponse({"detail": detail, "error": kind}, status_code=status_code, headers=headers)


def _describe(error: dict[str, Any]) -> str:
    # The input itself is left out on purpose: it may be user text, and the client has it anyway.
    if error.get("type") == "json_invalid":
        return "the body is not valid JSON (send a JSON object with Content-Type: application/json)"
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "request"
    return f"{location}: {error.get('msg', 'invalid value')}"


async def _service_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(exc.status_code, exc.kind, exc.detail, retry_after_s=exc.retry_after_s)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_describe(error) for error in exc.errors()]
    return error_response(422, "validation", "invalid request: " + "; ".join(problems))


# FastAPI's words for a body json.loads gave up on (nested too deep, a number too long to convert).
_BODY_NOT_PARSED = "There was an error parsing the body"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    detail = str(exc.detail)
    if exc.status_code == 400 and detail == _BODY_NOT_PARSED:
        kind = "invalid_request"
        detail = (
            "the body could not be parsed: send one JSON object, with lists nested at most a few levels "
            "deep and numbers of ordinary size"
        )
    response = error_response(exc.status_code, kind, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
