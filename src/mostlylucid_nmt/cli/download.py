"""`download`: fetch the models that language pairs need into MODEL_CACHE_DIR, before the server starts.

Each pair is resolved by the server's own `Router` (primary family, fallback families, pivot legs), and each
model is fetched by the server's own `ModelLocator`, the same files into the same hub cache the server later
reads. So an image built with `python -m mostlylucid_nmt download "$PRELOAD_PAIRS"` starts without
downloading, and with `--convert` (CTranslate2) without converting either.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mostlylucid_nmt.backends.hub import ModelLocator
from mostlylucid_nmt.cli.errors import EXIT_BAD_INPUT, CliError
from mostlylucid_nmt.errors import ServiceError
from mostlylucid_nmt.settings import BackendKind, Settings
from mostlylucid_nmt.translation.languages import normalize_code
from mostlylucid_nmt.translation.routing import Router


@dataclass
class PlannedModel:
    repo_id: str
    pairs: list[str] = field(default_factory=list)  # the pairs that need it ("en->de"); empty for --model


@dataclass(frozen=True, slots=True)
class FetchedModel:
    repo_id: str
    pairs: list[str]
    path: Path
    origin: str  # "model_dir" (found in MODEL_DIR, nothing fetched) or "hub_cache"
    converted: Path | None

    def as_json(self) -> dict[str, object]:
        return {
            "repo_id": self.repo_id,
            "pairs": self.pairs,
            "path": str(self.path),
            "origin": self.origin,
            "converted": str(self.converted) if self.converted else None,
        }


def plan_downloads(
    settings: Settings, pairs: Sequence[tuple[str, str]], repos: Sequence[str]
) -> list[PlannedModel]:
    """The models the server would load for `pairs` (in order, each once), then the `repos` named directly.

    Every pair is checked before anything is fetched: one unserved pair fails the whole command at once.
    """
    locator = _locator(settings)
    router = Router(settings, lambda spec: locator.is_available(spec.repo_id))
    planned: dict[str, PlannedModel] = {}
    problems: list[str] = []
    for source, target in pairs:
        name = f"{source}->{target}"
        try:
            route = router.plan(
                normalize_code(source, field="source"), normalize_code(target, field="target")
            )
        except ServiceError as exc:
            # The router's hint names the HTTP endpoint; the message below names the command instead.
            problems.append(f"{name}: {exc.detail.split(';')[0]}")
            continue
        for hop in route.hops:
            planned.setdefault(hop.spec.repo_id, PlannedModel(hop.spec.repo_id)).pairs.append(name)
    if problems:
        raise CliError(
            "these pairs cannot be served (`mostlylucid-nmt languages --pairs` lists those that can):\n  "
            + "\n  ".join(problems),
            EXIT_BAD_INPUT,
        )
    for repo in repos:
        if repo.count("/") != 1 or not all(part.strip() for part in repo.split("/")):
            raise CliError(
                f"--model {repo!r} is not a repository id such as 'Helsinki-NLP/opus-mt-en-de'",
                EXIT_BAD_INPUT,
            )
        planned.setdefault(repo, PlannedModel(repo))
    return list(planned.values())


def check_can_convert(settings: Settings) -> None:
    """`--convert` makes CTranslate2 copies: only useful, and only possible, where that engine serves."""
    if settings.translation_backend in (BackendKind.TRANSFORMERS, BackendKind.FAKE):
        raise CliError(
            f"--convert makes CTranslate2 copies, but TRANSLATION_BACKEND={settings.translation_backend} "
            "would not use them; leave it at auto or set ctranslate2",
            EXIT_BAD_INPUT,
        )
    if importlib.util.find_spec("ctranslate2") is None:
        raise CliError("--convert needs the ctranslate2 package, which is not installed", EXIT_BAD_INPUT)


def fetch(
    settings: Settings,
    model: PlannedModel,
    *,
    convert: bool,
    announce: Callable[[str], None],
) -> FetchedModel:
    """Fetch one model (hub progress bars on stderr) and, if asked, convert it. Raises ModelUnavailable."""
    locator = _locator(settings)
    local = locator.local_dir(model.repo_id)
    if local is not None:
        announce(f"{model.repo_id}: in MODEL_DIR ({local}), nothing to fetch")
    else:
        announce(f"{model.repo_id}: fetching into {settings.model_cache_dir}")
    folder = locator.resolve(model.repo_id)
    converted = None
    if convert:
        announce(f"{model.repo_id}: converting for CTranslate2")
        # Imported here: it loads ctranslate2 and transformers, which plain downloads never need.
        from mostlylucid_nmt.backends.ctranslate2_backend import CONVERTED_SUBDIR, ConvertedModels

        converted = ConvertedModels(settings.model_cache_dir / CONVERTED_SUBDIR).ensure(model.repo_id, folder)
    return FetchedModel(
        repo_id=model.repo_id,
        pairs=model.pairs,
        path=folder,
        origin="model_dir" if local is not None else "hub_cache",
        converted=converted,
    )


def _locator(settings: Settings) -> ModelLocator:
    return ModelLocator(settings.model_dir, settings.model_cache_dir, offline=settings.offline)
