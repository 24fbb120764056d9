"""EasyNMT's endpoints, with EasyNMT's exact response shapes. Extensions go in headers only."""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from mostlylucid_nmt.api.deps import Services
from mostlylucid_nmt.api.disconnect import ClientDisconnected, cancel_on_disconnect
from mostlylucid_nmt.api.schemas import ErrorBody, LanguageDetectionBody, TranslateBody, TranslateResponse
from mostlylucid_nmt.logs import text_logging_enabled
from mostlylucid_nmt.translation.languages import normalize_code
from mostlylucid_nmt.translation.markup import MarkupTranslator, TextFormat
from mostlylucid_nmt.translation.service import TranslationOutcome, TranslationRequest

log = logging.getLogger(__name__)

router = APIRouter(tags=["EasyNMT"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 413, 422, 429, 500, 503, 504)
}

# nginx's code for "client closed the request"; nobody receives it, it is for the log line.
_CLIENT_CLOSED = 499


async def _translate(
    request: Request,
    services: Services,
    texts: list[str],
    target_lang: str,
    source_lang: str | None,
    beam_size: int,
    split_sentences: bool,
    *,
    single: bool,
    text_format: TextFormat = TextFormat.TEXT,
) -> Response:
    started = time.perf_counter()
    if text_logging_enabled():
        log.info("translate to %s: %r", target_lang, texts)
    translator = MarkupTranslator(
        services.service, max_texts_per_call=services.settings.max_texts_per_request
    )
    work = translator.translate(
        TranslationRequest(
            texts=texts,
            target_lang=target_lang,
            source_lang=source_lang or "",
            beam_size=beam_size,
            split_sentences=split_sentences,
        ),
        text_format,
    )
    try:
        outcome = await cancel_on_disconnect(request, work)
    except ClientDisconnected:
        return Response(status_code=_CLIENT_CLOSED)
    elapsed = time.perf_counter() - started
    body: dict[str, Any] = {"target_lang": target_lang, "source_lang": source_lang or None}
    if outcome.detected_langs is not None:
        body["detected_langs"] = outcome.detected_langs[0] if single else outcome.detected_langs
    body["translated"] = outcome.translated[0] if single else outcome.translated
    body["translation_time"] = elapsed
    return JSONResponse(body, headers=_outcome_headers(outcome, services.router.families[0]))


def _outcome_headers(outcome: TranslationOutcome, family: str) -> dict[str, str]:
    headers = {
        "X-Model-Family": str(family),
        "X-Queue-Time-Ms": f"{outcome.queue_s * 1000:.1f}",
        "X-Inference-Time-Ms": f"{outcome.compute_s * 1000:.1f}",
    }
    if outcome.models:
        headers["X-Model-Name"] = ",".join(outcome.models)
    if outcome.pivot_langs:
        headers["X-Pivot-Lang"] = ",".join(outcome.pivot_langs)
    return headers


@router.get("/translate", response_model=TranslateResponse, responses=_ERRORS)
async def translate_get(
    request: Request,
    services: Services,
    target_lang: Annotated[str, Query(description="Language to translate into, e.g. 'de'.")],
    text: Annotated[list[str], Query(description="Text to translate; repeat for several.")] = [],  # noqa: B006
    source_lang: Annotated[str, Query(description="Source language; empty detects it per text.")] = "",
    beam_size: Annotated[int, Query(description="Beam search width.")] = 5,
    perform_sentence_splitting: Annotated[bool, Query(description="Split texts into sentences.")] = True,
    text_format: Annotated[
        TextFormat, Query(alias="format", description="text, or html / markdown: translate only the words.")
    ] = TextFormat.TEXT,
) -> Response:
    """Translate the `text` parameters (repeatable) into `target_lang`."""
    return await _translate(
        request,
        services,
        text,
        target_lang,
        source_lang,
        beam_size,
        perform_sentence_splitting,
        single=False,
        text_format=text_format,
    )


@router.post("/translate", response_model=TranslateResponse, responses=_ERRORS)
async def translate_post(request: Request, services: Services, body: TranslateBody) -> Response:
    """Translate `text` (a string or a list) into `target_lang`; the answer mirrors the input's shape."""
    single = isinstance(body.text, str)
    texts = [body.text] if isinstance(body.text, str) else body.text
    return await _translate(
        request,
        services,
        texts,
        body.target_lang,
        body.source_lang,
        body.beam_size,
        body.perform_sentence_splitting,
        single=single,
        text_format=body.format,
    )


@router.get("/language_detection", response_model=str, responses=_ERRORS)
async def detect_get(
    services: Services, text: Annotated[str, Query(description="Text whose language to detect.")]
) -> str:
    """The language of `text`, as a bare JSON string such as "de"."""
    return (await services.service.detect_languages([text]))[0]


@router.post("/language_detection", response_model=str | list[str] | dict[str, str], responses=_ERRORS)
async def detect_post(services: Services, body: LanguageDetectionBody) -> str | list[str] | dict[str, str]:
    """Detect the language of a string, a list of strings, or an object's values; mirrors the input shape."""
    if isinstance(body.text, str):
        return (await services.service.detect_languages([body.text]))[0]
    if isinstance(body.text, list):
        return await services.service.detect_languages(body.text)
    keys = list(body.text)
    codes = await services.service.detect_languages([body.text[key] for key in keys])
    return dict(zip(keys, codes, strict=True))


@router.get("/lang_pairs", response_model=list[str])
async def lang_pairs(services: Services) -> Response:
    """Every pair that can be served, as "src-tgt" strings."""
    return Response(content=services.lang_pairs_json, media_type="application/json")


@router.get("/get_languages", response_model=list[str], responses=_ERRORS)
async def get_languages(
    services: Services,
    source_lang: Annotated[str | None, Query(description="List the targets of this source.")] = None,
    target_lang: Annotated[str | None, Query(description="List the sources of this target.")] = None,
) -> list[str]:
    """All languages, or the real targets of `source_lang`, or the real sources of `target_lang`."""
    source = normalize_code(source_lang, field="source_lang") if source_lang else None
    target = normalize_code(target_lang, field="target_lang") if target_lang else None
    return services.router.languages(source_lang=source, target_lang=target)


@router.get("/model_name", response_model=str)
async def model_name(services: Services) -> str:
    """The configured model family, e.g. "opus-mt"."""
    return str(services.settings.model_family)
