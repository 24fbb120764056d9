"""The hub stand-in against the real huggingface_hub client: downloads, listings and every fault mode."""

from __future__ import annotations

import filecmp
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError

from tests.support.hub_standin import EVERY_REPO, HubStandin, hub_standin

REPO = "Helsinki-NLP/opus-mt-en-de"


@pytest.fixture
def hub(test_models_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubStandin]:
    # The fixture models are built with the hub switched off; these tests talk to the stand-in instead.
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    with hub_standin(test_models_dir) as standin:
        yield standin


def _download(hub: HubStandin, cache_dir: Path, repo: str = REPO) -> Path:
    return Path(snapshot_download(repo, cache_dir=cache_dir, endpoint=hub.url))


def test_snapshot_download_reproduces_the_files_byte_for_byte(hub: HubStandin, tmp_path: Path) -> None:
    folder = _download(hub, tmp_path)
    source = hub.root / REPO
    names = sorted(path.name for path in folder.iterdir())
    assert names == sorted(path.name for path in source.iterdir())
    matched, mismatch, errors = filecmp.cmpfiles(folder, source, names, shallow=False)
    assert (sorted(matched), mismatch, errors) == (names, [], [])
    assert {request.method for request in hub.requests_for(REPO)} == {"GET", "HEAD"}


def test_a_second_download_is_served_from_the_cache(hub: HubStandin, tmp_path: Path) -> None:
    _download(hub, tmp_path)
    file_gets = [r for r in hub.requests_for(REPO) if r.method == "GET" and "/resolve/" in r.path]
    _download(hub, tmp_path)
    again = [r for r in hub.requests_for(REPO) if r.method == "GET" and "/resolve/" in r.path]
    assert len(again) == len(file_gets)


def test_list_models_filters_by_author_and_search(hub: HubStandin) -> None:
    api = HfApi(endpoint=hub.url)
    found = [model.id for model in api.list_models(author="Helsinki-NLP", search="opus-mt-en", limit=50)]
    assert found == ["Helsinki-NLP/opus-mt-en-de", "Helsinki-NLP/opus-mt-en-roa"]
    assert [model.id for model in api.list_models(author="nobody", limit=50)] == []


def test_missing_repo_raises_repository_not_found(hub: HubStandin, tmp_path: Path) -> None:
    hub.fail(REPO, "missing")
    with pytest.raises(RepositoryNotFoundError):
        _download(hub, tmp_path)
    hub.clear(REPO)
    assert (_download(hub, tmp_path) / "config.json").is_file()


def test_unknown_repo_raises_repository_not_found(hub: HubStandin, tmp_path: Path) -> None:
    with pytest.raises(RepositoryNotFoundError):
        _download(hub, tmp_path, "Helsinki-NLP/opus-mt-xx-yy")


def test_server_errors_leave_nothing_downloaded(hub: HubStandin, tmp_path: Path) -> None:
    hub.fail(EVERY_REPO, "error")
    with pytest.raises(LocalEntryNotFoundError):
        _download(hub, tmp_path)
    assert not list(tmp_path.rglob("config.json"))
    assert {request.status for request in hub.requests_for(REPO)} == {500}


def test_dropped_connections_surface_as_a_transport_error(hub: HubStandin, tmp_path: Path) -> None:
    # huggingface_hub does not translate a connection closed without an answer into one of its own errors:
    # callers must catch the HTTP client's transport errors too.
    hub.fail(EVERY_REPO, "refuse")
    with pytest.raises(httpx2.TransportError):
        _download(hub, tmp_path)
    assert not list(tmp_path.rglob("config.json"))


def test_a_stopped_hub_refuses_connections_and_comes_back(hub: HubStandin, tmp_path: Path) -> None:
    hub.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{hub.url}/api/models")
    with pytest.raises(LocalEntryNotFoundError):
        _download(hub, tmp_path)
    hub.start()
    assert (_download(hub, tmp_path) / "config.json").is_file()


def test_truncated_files_fail_the_download(hub: HubStandin, tmp_path: Path) -> None:
    hub.fail(REPO, "truncated")
    with pytest.raises(httpx2.TransportError):
        _download(hub, tmp_path)
    assert not list(tmp_path.rglob("model.safetensors"))


def test_corrupt_files_download_with_other_bytes(hub: HubStandin, tmp_path: Path) -> None:
    hub.fail(REPO, "corrupt")
    folder = _download(hub, tmp_path)
    original = (hub.root / REPO / "model.safetensors").read_bytes()
    corrupted = (folder / "model.safetensors").read_bytes()
    assert len(corrupted) == len(original)
    assert corrupted != original


def test_slow_answers_trip_a_short_client_timeout(hub: HubStandin) -> None:
    hub.fail(EVERY_REPO, "slow", delay_s=3)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{hub.url}/api/models/{REPO}", timeout=0.2)
    hub.clear()
    assert httpx.get(f"{hub.url}/api/models/{REPO}", timeout=10).json()["id"] == REPO


def test_unknown_fault_mode_is_refused(hub: HubStandin) -> None:
    with pytest.raises(ValueError, match="unknown fault mode"):
        hub.fail(REPO, "flaky")  # type: ignore[arg-type]
