"""ModelLocator: damaged downloads are deleted so a retry fetches them again; MODEL_DIR and offline caches
are never touched."""

from __future__ import annotations

from pathlib import Path

from mostlylucid_nmt.backends.hub import ModelLocator

REPO = "Helsinki-NLP/opus-mt-en-de"


def _cached(cache: Path) -> Path:
    folder = cache / "models--Helsinki-NLP--opus-mt-en-de" / "snapshots" / "abc"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    return cache / "models--Helsinki-NLP--opus-mt-en-de"


def test_a_download_that_would_not_load_is_deleted(tmp_path: Path) -> None:
    repo_cache = _cached(tmp_path / "cache")
    ModelLocator(None, tmp_path / "cache", offline=False).discard_download(REPO)
    assert not repo_cache.exists()


def test_offline_the_cache_is_the_only_copy_and_is_kept(tmp_path: Path) -> None:
    repo_cache = _cached(tmp_path / "cache")
    ModelLocator(None, tmp_path / "cache", offline=True).discard_download(REPO)
    assert repo_cache.is_dir()


def test_model_dir_copies_are_never_deleted(tmp_path: Path) -> None:
    local = tmp_path / "models" / REPO
    local.mkdir(parents=True)
    (local / "config.json").write_text("{}")
    repo_cache = _cached(tmp_path / "cache")
    ModelLocator(tmp_path / "models", tmp_path / "cache", offline=False).discard_download(REPO)
    assert (local / "config.json").is_file()
    assert repo_cache.is_dir()


def test_nothing_cached_is_fine(tmp_path: Path) -> None:
    ModelLocator(None, tmp_path / "cache", offline=False).discard_download(REPO)
    assert not (tmp_path / "cache").exists()
