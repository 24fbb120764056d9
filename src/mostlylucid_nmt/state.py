"""The long-lived objects of one worker process, built once at start-up and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field

from mostlylucid_nmt.backends.registry import ModelRegistry
from mostlylucid_nmt.metrics.exporter import ServiceMetrics
from mostlylucid_nmt.scheduling.admission import AdmissionController
from mostlylucid_nmt.scheduling.batcher import DynamicBatcher
from mostlylucid_nmt.settings import Settings
from mostlylucid_nmt.translation.routing import Router
from mostlylucid_nmt.translation.service import TranslationService


@dataclass
class Readiness:
    """Ready = preloads done and not draining. Liveness is separate: a loading process is alive."""

    preloads_pending: int = 0
    preload_errors: list[str] = field(default_factory=list)
    draining: bool = False
    started: bool = False

    @property
    def ready(self) -> bool:
        return self.started and self.preloads_pending == 0 and not self.draining

    @property
    def reason(self) -> str:
        if self.draining:
            return "draining"
        if not self.started or self.preloads_pending:
            return "loading"
        return "ready"


@dataclass
class AppServices:
    settings: Settings
    service: TranslationService
    router: Router
    registry: ModelRegistry
    admission: AdmissionController
    batcher: DynamicBatcher
    readiness: Readiness
    backend_name: str
    # /lang_pairs is large (tens of thousands of pairs with fallbacks) and fixed per process: render it once.
    lang_pairs_json: bytes = b"[]"
    # Prometheus metrics (see metrics/exporter.py); the default keeps its values in this process.
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
