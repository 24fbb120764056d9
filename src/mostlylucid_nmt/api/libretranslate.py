"""LibreTranslate's API under /libretranslate: its clients work unchanged with that prefix as base URL.

Requests come as JSON or as forms (url-encoded or multipart), as LibreTranslate accepts them; answers and
errors have LibreTranslate's shapes (``{"error": "..."}`` with 400, 403, 429 or 500). Translation,
detection, limits and markup handling are the service's, as for the EasyNMT routes. One deliberate
difference: a list ``q`` with ``source=auto`` detects each text's language, where LibreTranslate gives the
whole list the language of its first text.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from mostlylucid_nmt.api.deps import Services
from mostlylucid_nmt.api.disconnect import ClientDisconnected, cancel_on_disconnect
from mostlylucid_nmt.api.libretranslate_schemas import (
    DetectedLanguage,
    LibreDetectBody,
    LibreError,
    LibreLanguage,
    LibreTranslateBody,
    LibreTranslateResponse,
)
from mostlylucid_nmt.api.security import ApiKeys, presented_key
from mostlylucid_nmt.errors import Busy, InvalidRequest, ServiceError, Unauthorized
from mostlylucid_nmt.translation.language_names import language_name
from mostlylucid_nmt.translation.markup import MarkupTranslator, TextFormat, probe_text
from mostlylucid_nmt.translation.routing import Router
from mostlylucid_nmt.translation.service import UNDETERMINED, TranslationRequest

# Beam width for LibreTranslate requests (they cannot choose one): the EasyNMT routes' default.
_BEAM_SIZE = 5
# Candidates reported by /detect, and looked at for the confidence of a detected language.
_DETECT_CANDIDATES = 3
_CONFIDENCE_CANDIDATES = 5
_CLIENT_CLOSED = 499  # see api/easynmt.py


def check_libretranslate_api_key(request: Request, api_key: str | None) -> None:
    """API_KEYS on the LibreTranslate routes, checked before any work.

    LibreTranslate clients send their key as the ``api_key`` field of the body (JSON or form); the header and
    query forms of our own API work too. A missing or wrong key is answered 403 ``{"error": ...}``, as
    LibreTranslate does.
    """
    keys: ApiKeys = request.app.state.api_keys
    if not keys.allows(api_key or presented_key(request.scope)):
        raise Unauthorized(
            "Invalid API key: send one of the server's API_KEYS as the api_key field "
            "(or the X-API-Key header)"
        )


class _LibreTranslateRoute(APIRoute):
    """Answers errors as LibreTranslate does, for these routes only."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except ServiceError as exc:
                return _error(_status_of(exc), exc.detail, exc.retry_after_s)
            except RequestValidationError as exc:
                problems = "; ".join(str(error.get("msg", "invalid value")) for error in exc.errors())
                return _error(400, f"Invalid request: {problems}")
            except StarletteHTTPException as exc:
                return _error(exc.status_code, str(exc.detail))

        return handle


def _status_of(error: ServiceError) -> int:
    """LibreTranslate's codes: 400 for any bad request (limits included), 429 to slow down, 403, else 500."""
    if error.status_code in (400, 413, 422):
        return 400
    if error.status_code == 429 or isinstance(error, Busy):
        return 429
    if error.status_code in (401, 403):  # LibreTranslate answers a missing or wrong key with 403
        return 403
    return 500


def _error(status: int, message: str, retry_after_s: int | None = None) -> JSONResponse:
    if status == 429:
        message = f"Slowdown: {message}"
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _request_body(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
                "multipart/form-data": {"schema": schema},
            },
        }
    }


_ERRORS: dict[int | str, dict[str, Any]] = {status: {"model": LibreError} for status in (400, 403, 429, 500)}

router = APIRouter(prefix="/libretranslate", tags=["LibreTranslate"], route_class=_LibreTranslateRoute)


@router.post(
    "/translate",
    response_model=LibreTranslateResponse,
    response_model_exclude_none=True,
    responses=_ERRORS,
    openapi_extra=_request_body(LibreTranslateBody),
)
async def translate(request: Request, services: Services) -> Response:
    """Translate `q` (a text or a list) from `source` (or `auto`) into `target`."""
    params = await _read_params(request)
    texts, single = _texts(params)
    target = _text_param(params, "target")
    source = _text_param(params, "source", default="auto")
    text_format = _format(params.get("format"))
    alternatives = _alternatives(params.get("alternatives"), services.settings.max_beam_size)
    check_libretranslate_api_key(request, _optional_text(params, "api_key"))
    auto = source.strip().lower() == "auto"
    translator = MarkupTranslator(
        services.service, max_texts_per_call=services.settings.max_texts_per_request
    )
    work = translator.translate(
        TranslationRequest(
            texts=texts,
            target_lang=target,
            source_lang="" if auto else source,
            beam_size=min(_BEAM_SIZE, services.settings.max_beam_size),
        ),
        text_format,
    )
    try:
        outcome = await cancel_on_disconnect(request, work)
    except ClientDisconnected:
        return Response(status_code=_CLIENT_CLOSED)
    # Keys in LibreTranslate's order (its JSON encoder sorts them).
    body: dict[str, Any] = {}
    if alternatives:
        body["alternatives"] = [] if single else [[] for _ in texts]
    if auto:
        detections = await _detections(services, texts, text_format, outcome.detected_langs or [])
        body["detectedLanguage"] = detections[0] if single else detections
    body["translatedText"] = outcome.translated[0] if single else outcome.translated
    return JSONResponse(body)


@router.post(
    "/detect",
    response_model=list[DetectedLanguage] | list[list[DetectedLanguage]],
    responses=_ERRORS,
    openapi_extra=_request_body(LibreDetectBody),
)
async def detect(request: Request, services: Services) -> Response:
    """Candidate languages of `q` with confidences (0-100), best first; a list `q` gives one list per text."""
    params = await _read_params(request)
    texts, single = _texts(params)
    check_libretranslate_api_key(request, _optional_text(params, "api_key"))
    ranked = await services.service.rank_languages(texts, _DETECT_CANDIDATES)
    answers = [
        [_detection(code, probability) for code, probability in candidates] or [_detection(UNDETERMINED, 0.0)]
        for candidates in ranked
    ]
    return JSONResponse(answers[0] if single else answers)


@router.get("/languages", response_model=list[LibreLanguage])
async def languages(services: Services) -> Response:
    """Every language served, with its English name and the languages it can be translated into."""
    body = await asyncio.to_thread(_languages_json, services.router)
    return Response(content=body, media_type="application/json")


@lru_cache(maxsize=4)
def _languages_json(router: Router) -> bytes:
    """Rendered once per router (the pairs are fixed for the life of the process)."""
    targets: dict[str, list[str]] = {}
    for source, target in router.pairs():
        targets.setdefault(source, []).append(target)
    entries = [
        {"code": code, "name": language_name(code), "targets": sorted(targets.get(code, []))}
        for code in router.languages()
    ]
    return json.dumps(entries, ensure_ascii=False).encode()


async def _detections(
    services: Services, texts: list[str], text_format: TextFormat, detected: list[str]
) -> list[dict[str, Any]]:
    """LibreTranslate's detectedLanguage for each text: the language used, with the detector's confidence."""
    if text_format is TextFormat.TEXT:
        probes = texts
    else:
        probes = await asyncio.to_thread(lambda: [probe_text(text, text_format) for text in texts])
    ranked = await services.service.rank_languages(probes, _CONFIDENCE_CANDIDATES)
    return [
        _detection(code, dict(candidates).get(code, 0.0))
        for code, candidates in zip(detected, ranked, strict=True)
    ]


def _detection(code: str, probability: float) -> dict[str, Any]:
    return {"confidence": round(probability * 100, 1), "language": code}


# --- request parsing ---------------------------------------------------------------------------------------
async def _read_params(request: Request) -> dict[str, Any]:
    """Query parameters, then the JSON object or form fields of the body, as LibreTranslate reads them."""
    params: dict[str, Any] = {}
    _merge_multi(params, request.query_params.multi_items())
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            body = await request.json()
        except ValueError:
            raise InvalidRequest("Invalid JSON format") from None
        if not isinstance(body, dict):
            raise InvalidRequest("Invalid JSON format")
        params.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        items: list[tuple[str, Any]] = list(form.multi_items())
        for key, value in items:
            if not isinstance(value, str):
                raise InvalidRequest(f"Invalid request: {key} must be a text field, not a file")
        _merge_multi(params, items)
    else:
        # fetch() without a Content-Type header sends JSON as text/plain: take it if it is a JSON object.
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.lstrip().startswith(b"{") else None
        except ValueError:
            body = None
        if isinstance(body, dict):
            params.update(body)
    return params


def _merge_multi(params: dict[str, Any], items: list[tuple[str, Any]]) -> None:
    """A field given once is a value; given several times, a list of values."""
    grouped: dict[str, list[Any]] = {}
    for key, value in items:
        grouped.setdefault(key, []).append(value)
    for key, values in grouped.items():
        params[key] = values[0] if len(values) == 1 else values


def _texts(params: dict[str, Any]) -> tuple[list[str], bool]:
    q = params.get("q")
    if q is None or q == "" or q == []:
        raise InvalidRequest("Invalid request: missing q parameter")
    if isinstance(q, str):
        return [q], True
    if isinstance(q, list) and all(isinstance(item, str) for item in q):
        return q, False
    raise InvalidRequest("Invalid request: q must be a string or a list of strings")


def _text_param(params: dict[str, Any], name: str, *, default: str | None = None) -> str:
    value = params.get(name)
    if value is None or value == "":
        if default is None:
            raise InvalidRequest(f"Invalid request: missing {name} parameter")
        return default
    if not isinstance(value, str):
        raise InvalidRequest(f"Invalid request: {name} must be a language code such as 'en'")
    return value


def _optional_text(params: dict[str, Any], name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) and value else None


def _format(value: Any) -> TextFormat:
    if value is None or value == "":
        return TextFormat.TEXT
    if isinstance(value, str):
        try:
            return TextFormat(value)
        except ValueError:
            pass
    raise InvalidRequest(f"{value} format is not supported (use text, html or markdown)")


def _alternatives(value: Any, limit: int) -> int:
    """How many alternatives were asked for: a number from 0 (negative counts as 0) to ``limit``."""
    if value is None or value == "":
        return 0
    try:
        count = max(0, int(value))
    except (TypeError, ValueError):
        raise InvalidRequest("Invalid request: alternatives parameter is not a number") from None
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise InvalidRequest("Invalid request: alternatives parameter is not a number")
    if count > limit:
        raise InvalidRequest(
            f"Invalid request: alternatives parameter must be <= {limit} (EASYNMT_MAX_BEAM_SIZE)"
        )
    return count
