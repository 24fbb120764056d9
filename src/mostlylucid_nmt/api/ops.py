"""Operations endpoints: probes, cache and admission state, model discovery."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mostlylucid_nmt.api.deps import Services
from mostlylucid_nmt.api.schemas import (
    CacheBody,
    ClearedCacheBody,
    DiscoveryBody,
    HealthBody,
    LoadedModel,
    ReadyBody,
    TranslationCacheBody,
)
from mostlylucid_nmt.state import AppServices
from mostlylucid_nmt.translation.discovery import discover

router = APIRouter(tags=["Operations"])


@router.get("/healthz", response_model=HealthBody)
async def healthz() -> HealthBody:
    """Liveness: the process answers. Stays 200 while models load and while draining."""
    return HealthBody(status="ok")


@router.get("/readyz", response_model=ReadyBody, responses={503: {"model": ReadyBody}})
async def readyz(services: Services) -> JSONResponse:
    """Readiness: 200 once preloads are done, 503 while loading or draining."""
    readiness = services.readiness
    body = ReadyBody(
        status=readiness.reason,
        preloads_pending=readiness.preloads_pending,
        preload_errors=readiness.preload_errors,
    )
    return JSONResponse(body.model_dump(), status_code=200 if readiness.ready else 503)


@router.get("/cache", response_model=CacheBody)
async def cache(services: Services) -> CacheBody:
    """Loaded models (least recently used first), admission, batching and translation cache state of this
    worker process."""
    registry, admission, batcher, settings = (
        services.registry,
        services.admission,
        services.batcher,
        services.settings,
    )
    rate = batcher.stats.sentences_per_s
    return CacheBody(
        backend=services.backend_name,
        device=settings.resolved_device,
        model_family=str(settings.model_family),
        capacity=registry.capacity,
        loaded=[LoadedModel.model_validate(item) for item in registry.loaded()],
        loading=registry.loading(),
        loads_total=registry.stats.loads,
        load_failures_total=registry.stats.load_failures,
        evictions_total=registry.stats.evictions,
        inflight=admission.active,
        waiting=admission.waiting,
        queue_limit=admission.queue_limit,
        queue_enabled=settings.enable_queue,
        rejected_total=admission.rejected,
        max_inflight=settings.effective_max_inflight,
        running_batches=batcher.running_batches,
        queued_sentences=batcher.queued_sentences(),
        queue_depths=batcher.queue_depths(),
        recent_batch_sizes=list(batcher.stats.recent_batch_sizes),
        batches_total=batcher.stats.batches,
        sentences_total=batcher.stats.sentences,
        failed_batches_total=batcher.stats.failed_batches,
        dropped_sentences_total=batcher.stats.dropped_sentences,
        sentences_per_s=round(rate, 3) if rate is not None else None,
        translation_cache=_translation_cache_body(services),
    )


@router.delete("/cache", response_model=ClearedCacheBody)
async def clear_translation_cache(services: Services) -> ClearedCacheBody:
    """Empty this worker's translation cache (loaded models stay loaded)."""
    cache = services.service.cache
    cleared = cache.clear() if cache is not None else 0
    return ClearedCacheBody(cleared_entries=cleared, translation_cache=_translation_cache_body(services))


@router.get("/chunk_cache", response_model=TranslationCacheBody)
async def chunk_cache(services: Services) -> TranslationCacheBody:
    """This worker's translation cache: size, limits, hits and misses (the published system's endpoint)."""
    return _translation_cache_body(services)


def _translation_cache_body(services: AppServices) -> TranslationCacheBody:
    settings, cache = services.settings, services.service.cache
    if cache is None:
        return TranslationCacheBody(
            enabled=False,
            entries=0,
            capacity=settings.chunk_cache_capacity,
            max_age_s=settings.chunk_cache_max_age_s,
            max_key_chars=settings.chunk_cache_max_key_chars,
            hits_total=0,
            misses_total=0,
            hit_ratio=None,
        )
    stats = cache.stats()
    ratio = stats.hit_ratio
    return TranslationCacheBody(
        enabled=True,
        entries=stats.entries,
        capacity=stats.capacity,
        max_age_s=stats.max_age_s,
        max_key_chars=stats.max_key_chars,
        hits_total=stats.hits,
        misses_total=stats.misses,
        hit_ratio=round(ratio, 4) if ratio is not None else None,
    )


@router.get("/discover/{family}", response_model=list[DiscoveryBody])
async def discover_family(
    services: Services, family: Literal["opus-mt", "mbart50", "m2m100", "all"]
) -> list[DiscoveryBody]:
    """Models of a family (or all): listed live from the hub when reachable, else from built-in data with the
    hub's error shown."""
    results = await asyncio.to_thread(discover, services.settings, services.registry.is_available, family)
    return [DiscoveryBody.model_validate(result, from_attributes=True) for result in results]
