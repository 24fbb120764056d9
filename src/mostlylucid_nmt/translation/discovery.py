"""What models exist per family: live from the hub when it can be reached, from built-in data otherwise.

Offline-safe: with OFFLINE on, or when the hub fails, the built-in lists are returned and the failure is
named in `hub_error`, never hidden behind an empty list.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from mostlylucid_nmt.backends.base import ModelSpec
from mostlylucid_nmt.backends.families import OPUS_MT_ORG, family_catalog
from mostlylucid_nmt.backends.hub import list_hub_models
from mostlylucid_nmt.settings import ModelFamily, Settings

log = logging.getLogger(__name__)

# Hub listings change slowly; asking once an hour per process is plenty.
_HUB_CACHE_TTL_S = 3600.0
_hub_cache: dict[str, tuple[float, list[str]]] = {}


@dataclass(frozen=True, slots=True)
class Discovery:
    family: str
    source: str
    hub_error: str | None
    models: list[str]
    available_models: list[str]
    languages: list[str]
    pairs: list[str]


def discover(settings: Settings, is_available: Callable[[ModelSpec], bool], family: str) -> list[Discovery]:
    families = list(ModelFamily) if family == "all" else [ModelFamily(family)]
    return [_discover_one(settings, is_available, item) for item in families]


def _discover_one(
    settings: Settings, is_available: Callable[[ModelSpec], bool], family: ModelFamily
) -> Discovery:
    catalog = family_catalog(family, settings)
    specs = {spec.repo_id: spec for specs in catalog.values() for spec in specs}
    pairs = sorted(f"{src}-{tgt}" for src, tgt in catalog)
    languages = sorted({code for pair in catalog for code in pair})
    models = sorted(specs)
    source, hub_error = "bundled", None
    if family is ModelFamily.OPUS_MT:
        if settings.offline:
            hub_error = "offline mode is on (OFFLINE / HF_HUB_OFFLINE); showing the built-in list"
        else:
            try:
                models = _hub_models(OPUS_MT_ORG, "opus-mt-")
                source = "hub"
            except Exception as exc:  # noqa: BLE001 -- any hub failure: report it, serve the built-in list
                log.warning("hub listing failed: %s", exc)
                hub_error = f"hub listing failed ({type(exc).__name__}); showing the built-in list"
    available = sorted(repo for repo, spec in specs.items() if is_available(spec))
    return Discovery(
        family=str(family),
        source=source,
        hub_error=hub_error,
        models=models,
        available_models=available,
        languages=languages,
        pairs=pairs,
    )


def _hub_models(author: str, search: str) -> list[str]:
    key = f"{author}/{search}"
    cached = _hub_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < _HUB_CACHE_TTL_S:
        return cached[1]
    models = sorted(list_hub_models(author, search))
    _hub_cache[key] = (time.monotonic(), models)
    return models
