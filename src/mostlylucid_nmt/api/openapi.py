"""The published OpenAPI schema, made to describe the error bodies the server really sends.

FastAPI documents validation failures as its own `HTTPValidationError` (a list of problems), but every error
here, validation included, is `{"detail": str, "error": kind}` (see api/errors.py). This rewrites each 422
to that shape and documents it as every operation's `default` response too, so 401, 404, 405, 413 and 414
answers are described as well; clients and fuzzers can check every answer against the schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mostlylucid_nmt.api.schemas import ErrorBody

_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def honest_error_schema(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = _error_response("The request does not match the schema.")
            responses.setdefault("default", _error_response("Any other error (see the README's table)."))
    for name in _VALIDATION_SCHEMAS:
        components.pop(name, None)
    return schema


def install_error_schema(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = honest_error_schema(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
