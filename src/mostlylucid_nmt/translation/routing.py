"""Which model(s) translate a language pair: the primary family, then the fallback families, then a pivot.

A pair is served directly by the first family in [MODEL_FAMILY, *MODEL_FALLBACK_ORDER] (fallbacks only with
AUTO_MODEL_FALLBACK) that covers it with an available model; failing that, through PIVOT_LANG (then English)
as two direct hops. `pairs()` lists exactly what `plan()` accepts, which is what /lang_pairs reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from mostlylucid_nmt.backends.base import ModelSpec
from mostlylucid_nmt.backends.families import Pair, family_catalog
from mostlylucid_nmt.errors import UnsupportedLanguage
from mostlylucid_nmt.settings import ModelFamily, Settings


@dataclass(frozen=True, slots=True)
class Hop:
    spec: ModelSpec
    source_lang: str
    target_lang: str


@dataclass(frozen=True, slots=True)
class Route:
    hops: tuple[Hop, ...]

    @property
    def pivot_lang(self) -> str | None:
        return self.hops[0].target_lang if len(self.hops) > 1 else None


class Router:
    def __init__(self, settings: Settings, is_available: Callable[[ModelSpec], bool]) -> None:
        self._families = _family_order(settings)
        self._bridges = list(dict.fromkeys([settings.pivot_lang, "en"])) if settings.pivot_fallback else []
        self._direct: dict[Pair, ModelSpec] = {}
        availability: dict[str, bool] = {}
        for family in self._families:
            for pair, specs in family_catalog(family, settings).items():
                if pair in self._direct:
                    continue
                for spec in specs:
                    if spec.repo_id not in availability:
                        availability[spec.repo_id] = is_available(spec)
                    if availability[spec.repo_id]:
                        self._direct[pair] = spec
                        break

    @property
    def families(self) -> list[ModelFamily]:
        return list(self._families)

    def plan(self, source_lang: str, target_lang: str) -> Route:
        direct = self._direct.get((source_lang, target_lang))
        if direct is not None:
            return Route((Hop(direct, source_lang, target_lang),))
        for bridge in self._bridges:
            if bridge in (source_lang, target_lang):
                continue
            first = self._direct.get((source_lang, bridge))
            second = self._direct.get((bridge, target_lang))
            if first is not None and second is not None:
                return Route((Hop(first, source_lang, bridge), Hop(second, bridge, target_lang)))
        raise UnsupportedLanguage(
            f"no model translates '{source_lang}' to '{target_lang}'; GET /lang_pairs lists the pairs served"
        )

    def can_serve(self, source_lang: str, target_lang: str) -> bool:
        return (source_lang, target_lang) in self._all_pairs

    def pairs(self) -> list[Pair]:
        return sorted(self._all_pairs)

    def languages(self, *, source_lang: str | None = None, target_lang: str | None = None) -> list[str]:
        """All languages; or the targets of source_lang; or the sources of target_lang."""
        if source_lang:
            return sorted({tgt for src, tgt in self._all_pairs if src == source_lang})
        if target_lang:
            return sorted({src for src, tgt in self._all_pairs if tgt == target_lang})
        return sorted({code for pair in self._all_pairs for code in pair})

    @cached_property
    def _all_pairs(self) -> frozenset[Pair]:
        pairs = set(self._direct)
        for bridge in self._bridges:
            sources = {src for src, tgt in self._direct if tgt == bridge}
            targets = {tgt for src, tgt in self._direct if src == bridge}
            pairs.update((src, tgt) for src in sources for tgt in targets if src != tgt)
        return frozenset(pairs)


def _family_order(settings: Settings) -> list[ModelFamily]:
    order = [settings.model_family]
    if settings.auto_model_fallback:
        order += [family for family in settings.model_fallback_order if family not in order]
    return order
