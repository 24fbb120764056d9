"""`cache list` / `cache clear`: what MODEL_CACHE_DIR holds on disk.

Two kinds of entries: hub repositories (huggingface_hub's cache layout, scanned and deleted through its own
cache API) and CTranslate2 copies under `MODEL_CACHE_DIR/ctranslate2/` (see `backends.ctranslate2_backend`).
Clearing while a server uses the same folder is safe for the server's loaded models but makes it fetch or
convert again on the next load.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import HFCacheInfo, scan_cache_dir
from huggingface_hub.errors import CacheNotFound

from mostlylucid_nmt.cli.errors import EXIT_BAD_INPUT, CliError

# Mirrors backends.ctranslate2_backend (CONVERTED_SUBDIR, SOURCE_RECORD, PARTIAL_PREFIX); importing that module
# would load ctranslate2 and transformers just to list folders. tests/cli checks the two stay equal.
CONVERTED_SUBDIR = "ctranslate2"
SOURCE_RECORD = "conversion-source.json"
PARTIAL_PREFIX = ".partial-"


@dataclass(frozen=True, slots=True)
class CachedModel:
    repo_id: str
    path: Path
    size_bytes: int
    files: int
    revisions: list[str]
    last_modified: float


@dataclass(frozen=True, slots=True)
class ConvertedCopy:
    repo_id: str
    path: Path
    size_bytes: int
    # False for a conversion that was interrupted or is running now; the server never uses such a copy.
    complete: bool


@dataclass(frozen=True, slots=True)
class CacheContents:
    cache_dir: Path
    models: list[CachedModel]
    converted: list[ConvertedCopy]
    hub: HFCacheInfo | None

    @property
    def total_bytes(self) -> int:
        return sum(model.size_bytes for model in self.models) + sum(
            copy.size_bytes for copy in self.converted
        )

    def as_json(self) -> dict[str, object]:
        return {
            "cache_dir": str(self.cache_dir),
            "models": [
                {
                    "repo_id": model.repo_id,
                    "path": str(model.path),
                    "size_bytes": model.size_bytes,
                    "files": model.files,
                    "revisions": model.revisions,
                    "last_modified": model.last_modified,
                }
                for model in self.models
            ],
            "converted": [
                {
                    "repo_id": copy.repo_id,
                    "path": str(copy.path),
                    "size_bytes": copy.size_bytes,
                    "complete": copy.complete,
                }
                for copy in self.converted
            ],
            "total_bytes": self.total_bytes,
        }


def scan(cache_dir: Path) -> CacheContents:
    try:
        hub: HFCacheInfo | None = scan_cache_dir(cache_dir)
    except CacheNotFound:
        hub = None
    models = [
        CachedModel(
            repo_id=repo.repo_id,
            path=Path(repo.repo_path),
            size_bytes=repo.size_on_disk,
            files=repo.nb_files,
            revisions=sorted(revision.commit_hash for revision in repo.revisions),
            last_modified=repo.last_modified,
        )
        for repo in sorted(hub.repos if hub else [], key=lambda repo: repo.repo_id)
        if repo.repo_type == "model"
    ]
    return CacheContents(cache_dir, models, _converted_copies(cache_dir / CONVERTED_SUBDIR), hub)


def clear(contents: CacheContents, repo_ids: Collection[str] = ()) -> list[str]:
    """Delete every model and converted copy, or only those of `repo_ids`. Returns what was removed."""
    known = {model.repo_id for model in contents.models} | {copy.repo_id for copy in contents.converted}
    unknown = sorted(set(repo_ids) - known)
    if unknown:
        raise CliError(f"not in {contents.cache_dir}: {', '.join(unknown)}", EXIT_BAD_INPUT)
    removed: list[str] = []
    models = [model for model in contents.models if not repo_ids or model.repo_id in repo_ids]
    if models and contents.hub is not None:
        revisions = [revision for model in models for revision in model.revisions]
        contents.hub.delete_revisions(*revisions).execute()
        removed += [str(model.path) for model in models]
    for copy in contents.converted:
        if not repo_ids or copy.repo_id in repo_ids:
            # The `.lock` files beside the copies stay: a server converting now may hold one.
            shutil.rmtree(copy.path, ignore_errors=True)
            removed.append(str(copy.path))
    return removed


def _converted_copies(root: Path) -> list[ConvertedCopy]:
    if not root.is_dir():
        return []
    copies = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        record = folder / SOURCE_RECORD
        complete = record.is_file() and not folder.name.startswith(PARTIAL_PREFIX)
        copies.append(ConvertedCopy(_copy_repo_id(folder, record), folder, _size(folder), complete))
    return copies


def _copy_repo_id(folder: Path, record: Path) -> str:
    """From the copy's record when it has one, else from its folder name `<org>--<name>--<fingerprint>`."""
    if record.is_file():
        try:
            return str(json.loads(record.read_text(encoding="utf-8"))["repo_id"])
        except (ValueError, KeyError, OSError):
            pass
    name = folder.name.removeprefix(PARTIAL_PREFIX)
    org, _, rest = name.partition("--")
    return f"{org}/{rest.rsplit('--', 1)[0]}" if rest else name


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def human_size(size_bytes: int) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    size, index = float(size_bytes), 0
    while size >= 1024 and index < len(units) - 1:
        size /= 1024
        index += 1
    return f"{size_bytes} B" if index == 0 else f"{size:.1f} {units[index]}"
