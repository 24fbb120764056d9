"""Application factory: the only place that chooses concrete classes and wires them together."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from fastapi import FastAPI

from mostlylucid_nmt.api import demo, easynmt, libretranslate, ops
from mostlylucid_nmt.api import metrics as metrics_api
from mostlylucid_nmt.api.errors import install_error_handlers
from mostlylucid_nmt.api.guards import install_guards
from mostlylucid_nmt.api.metrics import HttpMetricsMiddleware
from mostlylucid_nmt.api.middleware import RequestContextMiddleware
from mostlylucid_nmt.api.openapi import install_error_schema
from mostlylucid_nmt.backends.base import TranslatorLoader
from mostlylucid_nmt.backends.fake import FakeFaults, FakeLoader
from mostlylucid_nmt.backends.hub import ModelLocator
from mostlylucid_nmt.backends.registry import ModelRegistry
from mostlylucid_nmt.errors import ServiceError
from mostlylucid_nmt.logs import configure_logging
from mostlylucid_nmt.metrics.exporter import ServiceMetrics
from mostlylucid_nmt.scheduling.admission import AdmissionController
from mostlylucid_nmt.scheduling.batcher import DynamicBatcher
from mostlylucid_nmt.settings import BackendKind, Settings, load_settings
from mostlylucid_nmt.state import AppServices, Readiness
from mostlylucid_nmt.translation.cache import TranslationCache
from mostlylucid_nmt.translation.detection import build_detector
from mostlylucid_nmt.translation.languages import normalize_code
from mostlylucid_nmt.translation.routing import Router
from mostlylucid_nmt.translation.service import TranslationService

log = logging.getLogger(__name__)

_DRAIN_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def build_loader(settings: Settings) -> tuple[TranslatorLoader, str]:
    """The backend TRANSLATION_BACKEND names; auto prefers CTranslate2 (several times faster on CPU)."""
    kind = settings.translation_backend
    if kind is BackendKind.FAKE:
        loader = FakeLoader(
            batch_delay_ms=settings.fake_batch_delay_ms,
            load_delay_ms=settings.fake_load_delay_ms,
            faults=FakeFaults(
                fail_pattern=settings.fake_fail_pattern,
                oom_pattern=settings.fake_oom_pattern,
                load_oom_pattern=settings.fake_load_oom_pattern,
            ),
        )
        return loader, "fake"
    locator = ModelLocator(settings.model_dir, settings.model_cache_dir, offline=settings.offline)
    if kind is BackendKind.CTRANSLATE2 or (
        kind is BackendKind.AUTO and importlib.util.find_spec("ctranslate2") is not None
    ):
        from mostlylucid_nmt.backends.ctranslate2_backend import CTranslate2Loader

        return CTranslate2Loader(settings, locator), "ctranslate2"
    from mostlylucid_nmt.backends.transformers_backend import TransformersLoader

    return TransformersLoader(settings, locator), "transformers"


def build_services(settings: Settings) -> AppServices:
    loader, backend_name = build_loader(settings)
    metrics = ServiceMetrics(settings.prometheus_multiproc_dir)
    registry = ModelRegistry(loader, settings.effective_max_cached_models, telemetry=metrics)
    router = Router(settings, registry.is_available)
    batcher = DynamicBatcher(
        max_batch_sentences=settings.effective_batch_size,
        max_batch_tokens=settings.effective_batch_max_tokens,
        max_wait_ms=settings.effective_batch_max_wait_ms,
        max_concurrent_batches=settings.effective_max_inflight,
        threads=max(settings.effective_max_workers_backend, settings.effective_max_inflight),
        telemetry=metrics,
    )
    admission = AdmissionController(
        enable_queue=settings.enable_queue,
        max_queue_size=settings.effective_max_queue_size,
        backend_saturated=lambda: batcher.saturated,
        estimated_drain_s=batcher.estimated_drain_s,
        telemetry=metrics,
    )
    cache = (
        TranslationCache(
            capacity=settings.chunk_cache_capacity,
            max_age_s=settings.chunk_cache_max_age_s,
            max_key_chars=settings.chunk_cache_max_key_chars,
            telemetry=metrics,
        )
        if settings.chunk_cache_enabled
        else None
    )
    service = TranslationService(
        settings, router, registry, batcher, admission, build_detector(settings.language_detector), cache
    )
    pairs = json.dumps([f"{src}-{tgt}" for src, tgt in router.pairs()]).encode()
    return AppServices(
        settings=settings,
        service=service,
        router=router,
        registry=registry,
        admission=admission,
        batcher=batcher,
        readiness=Readiness(),
        backend_name=backend_name,
        lang_pairs_json=pairs,
        metrics=metrics,
    )


async def _preload(services: AppServices, pairs: list[tuple[str, str]]) -> None:
    """Load PRELOAD_MODELS one by one; readiness turns on when all are done (failures are reported)."""
    readiness = services.readiness
    for source, target in pairs:
        try:
            route = services.router.plan(
                normalize_code(source, field="PRELOAD_MODELS"), normalize_code(target, field="PRELOAD_MODELS")
            )
            for hop in route.hops:
                await services.registry.preload(hop.spec)
        except ServiceError as exc:
            log.error("preloading %s->%s failed: %s", source, target, exc.detail)
            readiness.preload_errors.append(f"{source}->{target}: {exc.detail}")
        finally:
            readiness.preloads_pending -= 1


def _chain_drain_signals(readiness: Readiness) -> Callable[[], None]:
    """Mark the process as draining as soon as a stop signal arrives, then let the server's handler run.

    The server (uvicorn) installs its own handlers before the lifespan starts; we wrap them so /readyz turns
    503 at once while in-flight requests finish.
    """
    previous: dict[int, Any] = {}

    def on_signal(signum: int, frame: FrameType | None) -> None:
        readiness.draining = True
        handler = previous.get(signum)
        if callable(handler):
            handler(signum, frame)

    for signum in _DRAIN_SIGNALS:
        try:
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, on_signal)
        except ValueError:  # not the main thread (e.g. a test client): the server handles signals itself
            previous.pop(signum, None)

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    configure_logging(settings)
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        restore_signals = _chain_drain_signals(services.readiness)
        services.readiness.preloads_pending = len(settings.preload_models)
        services.readiness.started = True
        preload = asyncio.create_task(_preload(services, settings.preload_models), name="preload")
        log.info(
            "serving family=%s backend=%s device=%s pairs=%d",
            settings.model_family,
            services.backend_name,
            settings.resolved_device,
            len(services.router.pairs()),
        )
        try:
            yield
        finally:
            services.readiness.draining = True
            preload.cancel()
            await services.batcher.close()
            await services.registry.close()
            restore_signals()

    app = FastAPI(
        title="mostlylucid-nmt",
        version="0.1.0",
        description="Self-hosted neural machine translation with EasyNMT's REST API.",
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(easynmt.router)
    app.include_router(ops.router)
    if settings.metrics_port is None:  # otherwise the gunicorn master serves them on METRICS_PORT alone
        app.include_router(metrics_api.router)
    app.include_router(libretranslate.router)
    app.include_router(demo.router)
    # The guards (CORS, size limits, API key) sit inside the request context, so refusals get request ids.
    app.state.api_keys = install_guards(app, settings)
    install_error_schema(app)
    app.add_middleware(
        RequestContextMiddleware,
        readiness=services.readiness,
        request_log=settings.request_log,
        telemetry=services.metrics,
    )
    # Added last, so outermost: it also counts the draining 503s and last-resort 500s of the one above.
    app.add_middleware(HttpMetricsMiddleware, metrics=services.metrics)
    return app
