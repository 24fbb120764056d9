"""Translate HTML and Markdown documents through the translation service, keeping their markup.

Every segment of every document goes to :meth:`TranslationService.translate` as one text, so batching,
limits, caching and errors are exactly those of plain text. A request makes at most two rounds of calls:
segments as units with markers, then, only for the segments whose answer lost a marker, their runs of text
one by one. Each round is cut into calls of at most MAX_TEXTS_PER_REQUEST texts, made one after another.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from mostlylucid_nmt.translation.languages import normalize_code
from mostlylucid_nmt.translation.markup.html import read_html
from mostlylucid_nmt.translation.markup.markdown import read_markdown
from mostlylucid_nmt.translation.markup.segments import AnswerToken, Document, DocumentBuilder, Fragment
from mostlylucid_nmt.translation.service import (
    UNDETERMINED,
    TranslationOutcome,
    TranslationRequest,
    TranslationService,
)

log = logging.getLogger(__name__)


class TextFormat(StrEnum):
    TEXT = "text"
    HTML = "html"
    MARKDOWN = "markdown"


def parse_document(text: str, text_format: TextFormat) -> Document:
    """Cut an HTML or Markdown document into verbatim source and translatable segments."""
    builder = DocumentBuilder()
    if text_format is TextFormat.HTML:
        read_html(text, builder)
    elif text_format is TextFormat.MARKDOWN:
        read_markdown(text, builder)
    else:
        raise ValueError(f"{text_format} is not a markup format")
    return builder.build()


def probe_text(text: str, text_format: TextFormat) -> str:
    """What a reader of the document sees, for language detection (the text itself for plain text)."""
    if text_format is TextFormat.TEXT:
        return text
    return parse_document(text, text_format).probe_text()


@dataclass
class _SegmentResult:
    tokens: list[AnswerToken] | None = None  # the unit answer, when every marker came back
    runs: list[str] | None = None  # the run-by-run answers otherwise


@dataclass
class _Job:
    """The segments of the documents that share one source language."""

    source: str
    segments: list[tuple[int, int]] = field(default_factory=list)  # (document, segment)


class MarkupTranslator:
    def __init__(self, service: TranslationService, *, max_texts_per_call: int) -> None:
        self._service = service
        self._max_texts_per_call = max_texts_per_call

    async def translate(self, request: TranslationRequest, text_format: TextFormat) -> TranslationOutcome:
        """Translate ``request.texts`` as documents in ``text_format`` (plain text goes straight through)."""
        if text_format is TextFormat.TEXT:
            return await self._service.translate(request)
        self._service.check_limits(request.texts)
        target = normalize_code(request.target_lang, field="target_lang")
        documents = await asyncio.to_thread(lambda: [parse_document(t, text_format) for t in request.texts])
        if request.source_lang.strip():
            source = normalize_code(request.source_lang, field="source_lang")
            sources = [source] * len(documents)
            detected = None
        else:
            probes = [document.probe_text() for document in documents]
            sources = await self._service.detect_languages(probes)
            detected = sources
        outcome = TranslationOutcome(
            translated=list(request.texts), target_lang=target, detected_langs=detected
        )
        results: list[dict[int, _SegmentResult]] = [{} for _ in documents]
        for job in self._jobs(documents, sources, target):
            await self._translate_job(job, documents, results, request, outcome)
        rendered = await asyncio.to_thread(self._render_all, documents, results)
        for index, text in rendered.items():
            outcome.translated[index] = text
        return outcome

    @staticmethod
    def _jobs(documents: Sequence[Document], sources: Sequence[str], target: str) -> list[_Job]:
        jobs: dict[str, _Job] = {}
        for index, (document, source) in enumerate(zip(documents, sources, strict=True)):
            if source in (target, UNDETERMINED) or not document.segments:
                continue  # already in the target language, or no words: the document stays as it is
            job = jobs.setdefault(source, _Job(source))
            job.segments.extend((index, number) for number in range(len(document.segments)))
        return list(jobs.values())

    async def _translate_job(
        self,
        job: _Job,
        documents: Sequence[Document],
        results: list[dict[int, _SegmentResult]],
        request: TranslationRequest,
        outcome: TranslationOutcome,
    ) -> None:
        units = [
            (doc, number) for doc, number in job.segments if documents[doc].segments[number].markers_are_safe
        ]
        answers = await self._call(
            [documents[d].segments[n].model_text() for d, n in units], job, request, outcome
        )
        for (doc, number), answer in zip(units, answers, strict=True):
            tokens = documents[doc].segments[number].parse_answer(answer)
            if tokens is not None:
                results[doc][number] = _SegmentResult(tokens=tokens)
        retry = [(doc, number) for doc, number in job.segments if number not in results[doc]]
        if not retry:
            return
        log.debug(
            "%d of %d segments lost their markup markers; translating them run by run",
            len(retry),
            len(job.segments),
        )
        run_lists = [documents[doc].segments[number].run_texts() for doc, number in retry]
        flat = await self._call([run for runs in run_lists for run in runs], job, request, outcome)
        position = 0
        for (doc, number), runs in zip(retry, run_lists, strict=True):
            results[doc][number] = _SegmentResult(runs=flat[position : position + len(runs)])
            position += len(runs)

    async def _call(
        self, texts: list[str], job: _Job, request: TranslationRequest, outcome: TranslationOutcome
    ) -> list[str]:
        answers: list[str] = []
        for start in range(0, len(texts), self._max_texts_per_call):
            partial = await self._service.translate(
                TranslationRequest(
                    texts=texts[start : start + self._max_texts_per_call],
                    target_lang=outcome.target_lang,
                    source_lang=job.source,
                    beam_size=request.beam_size,
                    split_sentences=request.split_sentences,
                )
            )
            answers.extend(partial.translated)
            outcome.models.extend(model for model in partial.models if model not in outcome.models)
            outcome.pivot_langs.extend(
                lang for lang in partial.pivot_langs if lang not in outcome.pivot_langs
            )
            outcome.queue_s += partial.queue_s
            outcome.compute_s += partial.compute_s
        return answers

    @staticmethod
    def _render_all(
        documents: Sequence[Document], results: list[dict[int, _SegmentResult]]
    ) -> dict[int, str]:
        rendered: dict[int, str] = {}
        for index, (document, segment_results) in enumerate(zip(documents, results, strict=True)):
            if segment_results:
                rendered[index] = document.render(_renderer(document, segment_results))
        return rendered


def _renderer(
    document: Document, results: dict[int, _SegmentResult]
) -> Callable[[int, Callable[[Fragment], str]], str | None]:
    def render(index: int, fill: Callable[[Fragment], str]) -> str | None:
        result = results.get(index)
        segment = document.segments[index]
        if result is None:
            return None
        if result.tokens is not None:
            return segment.render_answer(result.tokens, fill)
        return segment.render_runs(result.runs or [], fill)

    return render
