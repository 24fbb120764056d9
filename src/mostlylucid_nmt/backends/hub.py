"""Where model files come from: a local MODEL_DIR first, then the Hugging Face hub cache, then the hub.

`MODEL_DIR/<org>/<name>` is used as is, with no network access at all (air-gapped hosts, tests). Otherwise
files are fetched with huggingface_hub into MODEL_CACHE_DIR; with `offline` only what is cached there counts.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import httpx2
from huggingface_hub import HfApi, snapshot_download, try_to_load_from_cache
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from mostlylucid_nmt.errors import ModelUnavailable

log = logging.getLogger(__name__)

# Only what loading needs: configs, tokenizer files and safetensors weights. Real Opus-MT repositories also
# carry TensorFlow, Rust and PyTorch-pickle copies of the same weights; fetching those would triple the download.
_WANTED_FILES = ["*.json", "*.spm", "*.model", "*.txt", "*.safetensors"]
_PICKLE_WEIGHTS = "pytorch_model.bin"


class ModelLocator:
    def __init__(self, model_dir: Path | None, cache_dir: Path, *, offline: bool) -> None:
        self._model_dir = model_dir
        self._cache_dir = cache_dir
        self._offline = offline

    def local_dir(self, repo_id: str) -> Path | None:
        """The MODEL_DIR copy of a repository, if there is one."""
        if self._model_dir is None:
            return None
        candidate = self._model_dir / repo_id
        return candidate if (candidate / "config.json").is_file() else None

    def is_available(self, repo_id: str) -> bool:
        """Whether the model can be loaded without a network that is switched off."""
        if self.local_dir(repo_id) is not None:
            return True
        if not self._offline:
            return True
        cached = try_to_load_from_cache(repo_id, "config.json", cache_dir=self._cache_dir)
        return isinstance(cached, str)

    def resolve(self, repo_id: str) -> Path:
        """A local folder holding the repository's files, downloading them if needed. Blocking."""
        local = self.local_dir(repo_id)
        if local is not None:
            return local
        try:
            folder = Path(self._download(repo_id, _WANTED_FILES))
            if not any(folder.glob("*.safetensors")):
                folder = Path(self._download(repo_id, [*_WANTED_FILES, _PICKLE_WEIGHTS]))
        except RepositoryNotFoundError:
            raise ModelUnavailable(f"model {repo_id} does not exist on the hub") from None
        except LocalEntryNotFoundError:
            # Before EntryNotFoundError, its base class: this one means the hub was not reached at all.
            where = "offline mode is on" if self._offline else "the hub could not be reached"
            raise ModelUnavailable(
                f"model {repo_id} is not in MODEL_DIR or MODEL_CACHE_DIR and {where}"
            ) from None
        except (RevisionNotFoundError, EntryNotFoundError):
            raise ModelUnavailable(f"model {repo_id} is incomplete on the hub") from None
        except (HfHubHTTPError, OSError, httpx2.TransportError) as exc:
            # huggingface_hub passes its HTTP client's transport errors through (a connection dropped
            # mid-answer, a truncated file): they mean the hub could not be read, like its own errors.
            log.warning("download of %s failed: %s", repo_id, exc)
            raise ModelUnavailable(f"model {repo_id} could not be downloaded; try again later") from None
        return folder

    def discard_download(self, repo_id: str) -> None:
        """Delete the hub-cache copy of a repository whose files would not load, so the next try downloads
        them again instead of failing on the same damaged files for ever. MODEL_DIR copies are never touched,
        nor is the cache in offline mode, where it is the only copy there is."""
        if self.local_dir(repo_id) is not None or self._offline:
            return
        folder = self._cache_dir / ("models--" + repo_id.replace("/", "--"))
        if folder.is_dir():
            log.warning("removing the downloaded files of %s: they could not be loaded", repo_id)
            shutil.rmtree(folder, ignore_errors=True)

    def _download(self, repo_id: str, patterns: list[str]) -> str:
        return snapshot_download(
            repo_id,
            cache_dir=self._cache_dir,
            allow_patterns=patterns,
            local_files_only=self._offline,
        )


def list_hub_models(author: str, search: str, *, limit: int = 2000) -> list[str]:
    """Repository ids on the hub by `author` whose name contains `search`. Blocking; raises on failure."""
    api = HfApi()
    return [model.id for model in api.list_models(author=author, search=search, limit=limit)]
