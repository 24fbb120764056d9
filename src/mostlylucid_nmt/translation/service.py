"""The translation service: validate → detect → route → split → cache → admit → translate → reassemble.

It knows nothing about HTTP: it takes plain values and raises errors from `mostlylucid_nmt.errors`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial

from mostlylucid_nmt.backends.base import GenerationOptions, Translator
from mostlylucid_nmt.backends.registry import ModelRegistry
from mostlylucid_nmt.errors import (
    InvalidRequest,
    OutOfMemory,
    PayloadTooLarge,
    TranslationTimeout,
    UnsupportedLanguage,
)
from mostlylucid_nmt.scheduling.admission import AdmissionController
from mostlylucid_nmt.scheduling.batcher import BatchKey, DynamicBatcher, RequestTicket
from mostlylucid_nmt.settings import Settings
from mostlylucid_nmt.translation.cache import SegmentKey, TranslationCache
from mostlylucid_nmt.translation.detection import LanguageDetector
from mostlylucid_nmt.translation.languages import normalize_code
from mostlylucid_nmt.translation.routing import Hop, Route, Router
from mostlylucid_nmt.translation.segmentation import SplitText, split_long, split_text

# Reported for a text with no letters at all (numbers, punctuation, empty): ISO 639-2 "undetermined".
UNDETERMINED = "und"
# Detector candidates considered when the best guess has no model (e.g. 'nds' for Low German text).
_DETECTION_CANDIDATES = 3


def _is_valid_unicode(text: str) -> bool:
    """False for strings holding lone surrogates, which JSON escapes can carry but no encoder can write."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class TranslationRequest:
    texts: Sequence[str]
    target_lang: str
    source_lang: str = ""  # empty: detect each text's language
    beam_size: int = 5
    split_sentences: bool = True


@dataclass(slots=True)
class TranslationOutcome:
    translated: list[str]
    target_lang: str
    detected_langs: list[str] | None
    models: list[str] = field(default_factory=list)
    pivot_langs: list[str] = field(default_factory=list)
    queue_s: float = 0.0
    compute_s: float = 0.0


class _LazyAdmission:
    """Admission on first need: a request answered wholly from the translation cache never queues, and is
    never turned away by a full queue."""

    def __init__(self, controller: AdmissionController, stack: ExitStack) -> None:
        self._controller = controller
        self._stack = stack
        self._ticket: RequestTicket | None = None
        self.admitted_at: float | None = None

    def ticket(self) -> RequestTicket:
        if self._ticket is None:
            self.admitted_at = time.perf_counter()
            self._ticket = self._stack.enter_context(self._controller.admit())
        return self._ticket


class TranslationService:
    def __init__(
        self,
        settings: Settings,
        router: Router,
        registry: ModelRegistry,
        batcher: DynamicBatcher,
        admission: AdmissionController,
        detector: LanguageDetector,
        cache: TranslationCache | None = None,
    ) -> None:
        self._settings = settings
        self._router = router
        self._registry = registry
        self._batcher = batcher
        self._admission = admission
        self._detector = detector
        self._cache = cache

    @property
    def router(self) -> Router:
        return self._router

    @property
    def cache(self) -> TranslationCache | None:
        """The translation cache, or None when CHUNK_CACHE_ENABLED is off."""
        return self._cache

    # --- detection ------------------------------------------------------------------------------------------
    async def detect_languages(self, texts: Sequence[str]) -> list[str]:
        """Best guess per text, normalised; `und` for texts with no letters."""
        self._check_limits(texts)
        return await asyncio.to_thread(self._detect_all, texts, None)

    def _detect_all(self, texts: Sequence[str], target_lang: str | None) -> list[str]:
        return [self._detect_one(text, target_lang) for text in texts]

    def _detect_one(self, text: str, target_lang: str | None) -> str:
        candidates = self._detector.candidates(text, _DETECTION_CANDIDATES)
        if not candidates:
            return UNDETERMINED
        if target_lang is not None:
            for code in candidates:
                if code == target_lang or self._router.can_serve(code, target_lang):
                    return code
        return candidates[0]

    # --- translation ------------------------------------------------------------------------------------------
    async def translate(self, request: TranslationRequest) -> TranslationOutcome:
        self._check_limits(request.texts)
        if not 1 <= request.beam_size <= self._settings.max_beam_size:
            raise InvalidRequest(
                f"beam_size must be between 1 and {self._settings.max_beam_size} (EASYNMT_MAX_BEAM_SIZE); "
                f"got {request.beam_size}"
            )
        target = normalize_code(request.target_lang, field="target_lang")
        if request.source_lang.strip():
            source = normalize_code(request.source_lang, field="source_lang")
            sources = [source] * len(request.texts)
            detected = None
        else:
            sources = await asyncio.to_thread(self._detect_all, request.texts, target)
            detected = sources
        routes = self._plan_routes(sources, target)
        outcome = TranslationOutcome(
            translated=list(request.texts), target_lang=target, detected_langs=detected
        )
        if not routes:
            return outcome  # everything is already in the target language (or has no words)
        timeout = self._settings.translate_timeout_s or None
        try:
            async with asyncio.timeout(timeout):
                await self._translate_groups(request, sources, routes, outcome)
        except TimeoutError:
            raise TranslationTimeout(
                f"translation took longer than {self._settings.translate_timeout_s:g} s "
                "(TRANSLATE_TIMEOUT_SEC); send fewer or shorter texts, or retry later"
            ) from None
        return outcome

    def check_limits(self, texts: Sequence[str]) -> None:
        """Raise PayloadTooLarge if the texts break a request limit (for callers that cut texts up first)."""
        self._check_limits(texts)

    async def rank_languages(self, texts: Sequence[str], limit: int) -> list[list[tuple[str, float]]]:
        """Up to ``limit`` candidate languages per text with the detector's probability (0..1), best first;
        empty for a text with no letters."""
        self._check_limits(texts)
        return await asyncio.to_thread(lambda: [self._detector.ranked(text, limit) for text in texts])

    def _check_limits(self, texts: Sequence[str]) -> None:
        settings = self._settings
        if len(texts) > settings.max_texts_per_request:
            raise PayloadTooLarge(
                f"{len(texts)} texts in one request; the limit is {settings.max_texts_per_request} "
                "(MAX_TEXTS_PER_REQUEST): split the list over several requests"
            )
        total = 0
        for index, text in enumerate(texts):
            if not _is_valid_unicode(text):
                raise InvalidRequest(
                    f"text {index} contains a lone UTF-16 surrogate (an escape such as \\ud800 without its "
                    "pair), which is not a character: send valid Unicode"
                )
            if len(text) > settings.max_text_chars:
                raise PayloadTooLarge(
                    f"text {index} has {len(text)} characters; the limit is {settings.max_text_chars} "
                    "(EASYNMT_MAX_TEXT_LEN): split it into smaller texts"
                )
            total += len(text)
        if total > settings.max_request_chars:
            raise PayloadTooLarge(
                f"the request has {total} characters in all; the limit is {settings.max_request_chars} "
                "(MAX_INPUT_TEXT_LENGTH): send the texts in several requests"
            )

    def _plan_routes(self, sources: Sequence[str], target: str) -> dict[str, Route]:
        routes: dict[str, Route] = {}
        for index, source in enumerate(sources):
            if source in (target, UNDETERMINED) or source in routes:
                continue
            try:
                routes[source] = self._router.plan(source, target)
            except UnsupportedLanguage as exc:
                if len(sources) > 1:
                    raise UnsupportedLanguage(f"text {index}: {exc.detail}") from None
                raise
        return routes

    async def _translate_groups(
        self,
        request: TranslationRequest,
        sources: Sequence[str],
        routes: dict[str, Route],
        outcome: TranslationOutcome,
    ) -> None:
        with ExitStack() as stack:
            admission = _LazyAdmission(self._admission, stack)
            for source, route in routes.items():
                indexes = [index for index, code in enumerate(sources) if code == source]
                documents = [
                    split_text(request.texts[index], split_sentences=request.split_sentences)
                    for index in indexes
                ]
                sentences = [sentence for document in documents for sentence in document.sentences]
                translated = await self._translate_route(
                    admission, route, sentences, request.beam_size, outcome
                )
                position = 0
                for index, document in zip(indexes, documents, strict=True):
                    count = len(document.sentences)
                    outcome.translated[index] = document.rebuild(translated[position : position + count])
                    position += count
        if admission.admitted_at is not None:
            outcome.compute_s = time.perf_counter() - admission.admitted_at - outcome.queue_s

    async def _translate_route(
        self,
        admission: _LazyAdmission,
        route: Route,
        sentences: list[str],
        beam_size: int,
        outcome: TranslationOutcome,
    ) -> list[str]:
        if route.pivot_lang is not None and route.pivot_lang not in outcome.pivot_langs:
            outcome.pivot_langs.append(route.pivot_lang)
        options = GenerationOptions(
            beam_size=beam_size,
            max_new_tokens=self._settings.max_new_tokens,
            no_repeat_ngram_size=self._settings.no_repeat_ngram_size,
            repetition_penalty=self._settings.repetition_penalty,
        )
        for hop in route.hops:
            if not sentences:
                break
            if hop.spec.repo_id not in outcome.models:
                outcome.models.append(hop.spec.repo_id)
            sentences = await self._translate_hop(admission, hop, sentences, options, outcome)
        return sentences

    async def _translate_hop(
        self,
        admission: _LazyAdmission,
        hop: Hop,
        sentences: list[str],
        options: GenerationOptions,
        outcome: TranslationOutcome,
    ) -> list[str]:
        """Segments in the cache come from it; the rest go to the model, each distinct text once."""
        segment = partial(SegmentKey, hop.spec.repo_id, hop.source_lang, hop.target_lang, options)
        keys = [segment(text) for text in sentences]
        found = self._cache.lookup(keys) if self._cache is not None else [None] * len(keys)
        missing = list(
            dict.fromkeys(key.text for key, cached in zip(keys, found, strict=True) if cached is None)
        )
        fresh: dict[str, str] = {}
        if missing:
            ticket = admission.ticket()
            async with self._registry.use(hop.spec) as translator:
                try:
                    translated = await self._translate_on_model(
                        ticket, translator, hop, missing, options, outcome
                    )
                except OutOfMemory:
                    # A model that ran out of memory may hold half-allocated buffers: load it afresh.
                    await self._registry.retire(hop.spec, translator)
                    raise
            fresh = dict(zip(missing, translated, strict=True))
            if self._cache is not None:
                self._cache.store((segment(text), fresh[text]) for text in missing)
        return [
            fresh[key.text] if cached is None else cached for key, cached in zip(keys, found, strict=True)
        ]

    async def _translate_on_model(
        self,
        ticket: RequestTicket,
        translator: Translator,
        hop: Hop,
        sentences: list[str],
        options: GenerationOptions,
        outcome: TranslationOutcome,
    ) -> list[str]:
        pieces, counts = await asyncio.to_thread(self._fit_to_model, translator, hop, sentences)
        flat = [piece for split in pieces for piece in split.sentences]
        key = BatchKey(hop.spec.repo_id, hop.source_lang, hop.target_lang, options)
        queued = time.perf_counter()
        translated = await self._batcher.translate(
            ticket, translator, key, flat, counts, lambda: self._registry.pin(hop.spec)
        )
        if ticket.started_at is not None and not outcome.queue_s:
            outcome.queue_s = max(0.0, ticket.started_at - queued)
        rebuilt: list[str] = []
        position = 0
        for split in pieces:
            count = len(split.sentences)
            rebuilt.append(split.rebuild(translated[position : position + count]))
            position += count
        return rebuilt

    @staticmethod
    def _fit_to_model(
        translator: Translator, hop: Hop, sentences: list[str]
    ) -> tuple[list[SplitText], list[int]]:
        """Cut sentences longer than the model's input limit at clause or word boundaries; never truncate.

        Returns the pieces per sentence and the token count of every piece (the batcher's budget).
        """
        limit = translator.max_input_tokens
        source, target = hop.source_lang, hop.target_lang

        def fits(piece: str) -> bool:
            return translator.count_tokens([piece], source, target)[0] <= limit

        counts = translator.count_tokens(sentences, source, target) if sentences else []
        pieces: list[SplitText] = []
        piece_counts: list[int] = []
        for sentence, count in zip(sentences, counts, strict=True):
            if count <= limit:
                pieces.append(SplitText(gaps=("", ""), sentences=(sentence,)))
                piece_counts.append(count)
            else:
                split = split_long(sentence, fits)
                pieces.append(split)
                piece_counts.extend(translator.count_tokens(list(split.sentences), source, target))
        return pieces, piece_counts
