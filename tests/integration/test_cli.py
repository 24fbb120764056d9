"""The command line end to end: separate processes, the real hub client, real fixture models, the real server.

The story the module follows is the image build's: `download` fetches the routed models from a hub (a local
stand-in that the real huggingface_hub client talks to) and converts them; then, with the hub switched off,
`translate` runs in-process from that cache alone, and gives the same answers as a server started on the same
cache. The fake backend covers what needs no model: file layout, chunking, stdin, argument errors.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mostlylucid_nmt.cli.documents import CHUNK_CHARS, REQUEST_CHARS
from tests.support.cli import clean_environment, run_cli
from tests.support.hub_standin import HubStandin, hub_standin
from tests.support.server import RunningServer, free_port, running_server, wait_ready

pytestmark = pytest.mark.integration

EN_DE = "Helsinki-NLP/opus-mt-en-de"
DE_EN = "Helsinki-NLP/opus-mt-de-en"
TEXTS = ["Where is the train station?", "My sister works in a small bakery near the river."]
FAKE = {"TRANSLATION_BACKEND": "fake"}


@pytest.fixture(scope="module")
def hub(test_models_dir: Path) -> Iterator[HubStandin]:
    with hub_standin(test_models_dir) as standin:
        yield standin


@pytest.fixture(scope="module")
def downloaded(hub: HubStandin, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """MODEL_CACHE_DIR after the image build's command (with --convert), and its --json report."""
    cache = tmp_path_factory.mktemp("model-cache")
    result = run_cli(
        ["download", "en->de,de->en", "--convert", "--json"],
        {"HF_ENDPOINT": hub.url, "MODEL_CACHE_DIR": str(cache)},
    )
    assert result.returncode == 0, result.stderr
    return cache, json.loads(result.stdout)


def offline_env(cache: Path) -> dict[str, str]:
    """Serve from the downloaded cache only: no MODEL_DIR, no hub."""
    return {"MODEL_CACHE_DIR": str(cache), "HF_HUB_OFFLINE": "1", "TRANSLATION_BACKEND": "ctranslate2"}


@pytest.fixture(scope="module")
def cache_server(downloaded: tuple[Path, dict[str, object]]) -> Iterator[RunningServer]:
    with running_server(offline_env(downloaded[0])) as server:
        wait_ready(server)
        yield server


# --- download -----------------------------------------------------------------------------------------------------
def test_download_fetches_the_routed_models_through_the_hub_and_converts_them(
    hub: HubStandin, downloaded: tuple[Path, dict[str, object]]
) -> None:
    cache, report = downloaded
    models = report["models"]
    assert isinstance(models, list)
    assert [(model["repo_id"], model["pairs"], model["origin"]) for model in models] == [
        (EN_DE, ["en->de"], "hub_cache"),
        (DE_EN, ["de->en"], "hub_cache"),
    ]
    for model in models:
        snapshot = Path(model["path"])
        assert snapshot.is_relative_to(cache / f"models--{model['repo_id'].replace('/', '--')}" / "snapshots")
        assert (snapshot / "model.safetensors").is_file()
        assert (Path(model["converted"]) / "conversion-source.json").is_file()
        # Fetched with the real client from the stand-in: file downloads were answered for this repository.
        assert any("/resolve/" in request.path for request in hub.requests_for(model["repo_id"]))


def test_download_with_no_pairs_does_nothing_and_succeeds(tmp_path: Path) -> None:
    # The images pass their PRELOAD_PAIRS build argument, which may be empty.
    result = run_cli(
        ["download", ""], {"MODEL_CACHE_DIR": str(tmp_path / "cache"), "HF_ENDPOINT": "http://127.0.0.1:9"}
    )
    assert result.returncode == 0, result.stderr
    assert "nothing to download" in result.stderr
    assert not (tmp_path / "cache").exists()


def test_download_refuses_unserved_or_malformed_pairs_before_fetching_anything(
    hub: HubStandin, tmp_path: Path
) -> None:
    env = {"HF_ENDPOINT": hub.url, "MODEL_CACHE_DIR": str(tmp_path)}
    before = len(hub.requests)
    unserved = run_cli(["download", "de->en,en->xx"], env)
    malformed = run_cli(["download", "en-de"], env)
    assert unserved.returncode == 2
    assert "en->xx: no model translates 'en' to 'xx'" in unserved.stderr
    assert malformed.returncode == 2
    assert "'en-de' is not of the form 'src->tgt'" in malformed.stderr
    assert len(hub.requests) == before
    assert list(tmp_path.iterdir()) == []


def test_download_fails_clearly_when_the_hub_is_unreachable_or_lacks_the_model(
    test_models_dir: Path, tmp_path: Path
) -> None:
    models = tmp_path / "hub-root"
    shutil.copytree(test_models_dir / DE_EN, models / DE_EN)
    with hub_standin(models) as standin:
        env = {"HF_ENDPOINT": standin.url, "MODEL_CACHE_DIR": str(tmp_path / "cache")}
        missing = run_cli(["download", "en->de"], env)
        by_name = run_cli(
            ["download", "--model", DE_EN, "--json", "--quiet"],
            {**env, "MODEL_CACHE_DIR": str(tmp_path / "other")},
        )
        standin.stop()
        unreachable = run_cli(["download", "de->en"], env)
    assert by_name.returncode == 0, by_name.stderr
    assert [(model["repo_id"], model["pairs"]) for model in json.loads(by_name.stdout)["models"]] == [
        (DE_EN, [])
    ]
    assert by_name.stderr == ""
    assert missing.returncode == 1
    assert f"model {EN_DE} does not exist on the hub" in missing.stderr
    assert unreachable.returncode == 1
    assert f"model {DE_EN} is not in MODEL_DIR or MODEL_CACHE_DIR and the hub could not be reached" in (
        unreachable.stderr
    )


# --- translate, detect, languages: in-process from the downloaded cache, and through the server -------------------
def test_translate_in_process_from_the_downloaded_cache_matches_the_server(
    hub: HubStandin, downloaded: tuple[Path, dict[str, object]], cache_server: RunningServer
) -> None:
    cache, _ = downloaded
    copies_before = sorted((cache / "ctranslate2").iterdir())
    hub_requests_before = len(hub.requests)

    local = run_cli(
        ["translate", "--target", "de", "--source", "en", "--json", *TEXTS], offline_env(cache), script=True
    )
    remote = run_cli(
        ["translate", "-t", "de", "-s", "en", "--json", "--url", cache_server.base_url, *TEXTS], {}
    )

    assert local.returncode == 0, local.stderr
    assert remote.returncode == 0, remote.stderr
    local_body, remote_body = json.loads(local.stdout), json.loads(remote.stdout)
    assert local_body["translated"] == remote_body["translated"]
    assert len(local_body["translated"]) == len(TEXTS)
    assert all(out and out != text for out, text in zip(local_body["translated"], TEXTS, strict=True))
    assert {key: local_body[key] for key in ("target_lang", "source_lang")} == {
        "target_lang": "de",
        "source_lang": "en",
    }
    # Warm start: the converted copies from `download --convert` were used as they were, and the hub never asked.
    assert sorted((cache / "ctranslate2").iterdir()) == copies_before
    assert len(hub.requests) == hub_requests_before


def test_detect_and_languages_in_process_match_the_server(
    downloaded: tuple[Path, dict[str, object]], cache_server: RunningServer
) -> None:
    env = offline_env(downloaded[0])
    url = ["--url", cache_server.base_url]
    texts = ["Das ist ein kleines Haus am Fluss.", "This is a small house by the river."]
    for args in (
        ["detect", "--json", *texts],
        ["languages", "--pairs", "--json"],
        ["languages", "-s", "en", "--json"],
    ):
        local = run_cli(args, env)
        remote = run_cli([*args, *url], {})
        assert local.returncode == 0, local.stderr
        assert remote.returncode == 0, remote.stderr
        assert json.loads(local.stdout) == json.loads(remote.stdout), args
        if args[0] == "detect":
            assert json.loads(local.stdout) == ["de", "en"]
        elif "--pairs" in args:
            # Offline, only the two downloaded models serve: the pairs are theirs.
            assert json.loads(local.stdout) == ["de-en", "en-de"]
        else:
            assert json.loads(local.stdout) == ["de"]


def test_cache_list_through_the_server_shows_its_loaded_models(cache_server: RunningServer) -> None:
    with cache_server.client() as client:
        assert (
            client.post(
                "/translate", json={"text": "Hello.", "source_lang": "en", "target_lang": "de"}
            ).status_code
            == 200
        )
    result = run_cli(["cache", "list", "--url", cache_server.base_url, "--json"], {})
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["backend"] == "ctranslate2"
    assert EN_DE in [model["model"] for model in body["loaded"]]


def test_server_errors_and_an_unreachable_server_give_clear_exits(cache_server: RunningServer) -> None:
    url = cache_server.base_url
    too_wide = run_cli(["translate", "-t", "de", "-s", "en", "--beam-size", "99", "--url", url, "Hello."], {})
    unserved = run_cli(["translate", "-t", "fr", "-s", "en", "--url", url, "Hello."], {})
    closed = run_cli(["translate", "-t", "de", "--url", f"http://127.0.0.1:{free_port()}", "Hello."], {})
    assert too_wide.returncode == 2
    assert "the server answered 400: beam_size must be between 1 and 8" in too_wide.stderr
    assert unserved.returncode == 2
    assert "no model translates 'en' to 'fr'" in unserved.stderr
    assert closed.returncode == 1
    assert "cannot reach the server at http://127.0.0.1:" in closed.stderr
    assert too_wide.stdout == unserved.stdout == closed.stdout == ""


# --- cache ----------------------------------------------------------------------------------------------------------
def test_cache_list_and_clear(downloaded: tuple[Path, dict[str, object]], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(downloaded[0], cache, symlinks=True)
    env = {"MODEL_CACHE_DIR": str(cache)}

    listed = run_cli(["cache", "list", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    contents = json.loads(listed.stdout)
    assert [model["repo_id"] for model in contents["models"]] == [DE_EN, EN_DE]
    assert all(model["size_bytes"] > 0 and model["files"] > 0 for model in contents["models"])
    assert sorted((copy["repo_id"], copy["complete"]) for copy in contents["converted"]) == [
        (DE_EN, True),
        (EN_DE, True),
    ]
    assert contents["total_bytes"] == sum(
        item["size_bytes"] for item in contents["models"] + contents["converted"]
    )
    plain = run_cli(["cache", "list"], env)
    assert plain.returncode == 0
    assert EN_DE in plain.stdout
    assert "complete" in plain.stdout

    declined = run_cli(["cache", "clear"], env, stdin="n\n")
    assert declined.returncode == 1
    assert json.loads(run_cli(["cache", "list", "--json"], env).stdout) == contents

    one = run_cli(["cache", "clear", "--model", EN_DE, "--yes"], env)
    assert one.returncode == 0, one.stderr
    left = json.loads(run_cli(["cache", "list", "--json"], env).stdout)
    assert [model["repo_id"] for model in left["models"]] == [DE_EN]
    assert [copy["repo_id"] for copy in left["converted"]] == [DE_EN]

    unknown = run_cli(["cache", "clear", "--model", EN_DE, "--yes"], env)
    assert unknown.returncode == 2
    assert f"not in {cache}: {EN_DE}" in unknown.stderr

    everything = run_cli(["cache", "clear", "--yes"], env)
    assert everything.returncode == 0, everything.stderr
    assert json.loads(run_cli(["cache", "list", "--json"], env).stdout)["total_bytes"] == 0


# --- files, stdin and layout (fake backend: "[de] sentence") ----------------------------------------------------------
def test_a_long_file_is_translated_in_several_requests_with_its_layout_kept(tmp_path: Path) -> None:
    lines = [f"Line number {index} of the file." if index % 7 else "" for index in range(3_000)]
    text = "\n".join(lines) + "\n"
    # More than two requests' worth of characters and of chunks: the file goes in three requests or more.
    assert len(text) > REQUEST_CHARS * 2
    assert len(text) > CHUNK_CHARS * 16
    source = tmp_path / "notes.txt"
    source.write_text(text, encoding="utf-8")
    expected = "".join(f"[de] {line}\n" if line else "\n" for line in lines)

    to_stdout = run_cli(["translate", "-t", "de", "-s", "en", "--file", str(source)], FAKE)
    to_folder = run_cli(
        ["translate", "-t", "de", "-s", "en", "-f", str(source), "-o", str(tmp_path / "out")], FAKE
    )

    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout == expected
    assert "notes.txt" in to_stdout.stderr  # the progress bar's label
    assert to_folder.returncode == 0, to_folder.stderr
    assert (tmp_path / "out" / "notes.de.txt").read_text(encoding="utf-8") == expected


def test_stdin_and_json_output_with_detection(tmp_path: Path) -> None:
    piped = run_cli(["translate", "-t", "de", "--json"], FAKE, stdin="Good morning.\n\nSee you tomorrow.\n")
    assert piped.returncode == 0, piped.stderr
    body = json.loads(piped.stdout)
    assert body["files"] == [
        {
            "file": "-",
            "detected_langs": ["en"],
            "translated": "[de] Good morning.\n\n[de] See you tomorrow.\n",
            "output": None,
        }
    ]
    assert body["source_lang"] is None

    detected = run_cli(["detect"], FAKE, stdin="Der Zug nach Berlin fährt um acht Uhr ab.")
    assert (detected.returncode, detected.stdout) == (0, "de\n")


def test_bad_input_exits_2_with_a_message(tmp_path: Path) -> None:
    cases = {
        ("translate", "-t", "xx", "-s", "en", "Hello."): "no model translates 'en' to 'xx'",
        ("translate", "-t", "de", "-f", str(tmp_path / "absent.txt")): "does not exist",
        ("translate", "-t", "de", "-f", __file__, "Hello."): "give either texts or --file, not both",
        ("translate", "Hello."): "Missing option '--target'",
        ("languages", "--pairs", "-s", "en"): "--pairs lists every pair",
        (
            "download",
            "--model",
            "opus-mt-en-de",
        ): "is not a repository id such as 'Helsinki-NLP/opus-mt-en-de'",
    }
    for args, message in cases.items():
        result = run_cli(list(args), FAKE)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert result.stdout == ""


# --- serve ----------------------------------------------------------------------------------------------------------
def test_serve_runs_the_server_from_the_installed_package_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    # Started outside the repository: neither gunicorn.conf.py nor app.py is at hand.
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mostlylucid_nmt", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=clean_environment({**FAKE, "GRACEFUL_TIMEOUT": "5"}),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(process, base_url, log_path)
            answer = httpx.post(
                f"{base_url}/translate", json={"text": "Hi.", "source_lang": "en", "target_lang": "de"}
            )
            assert answer.json()["translated"] == "[de] Hi."
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert process.returncode == 0, log_path.read_text()
    assert f"Listening at: {base_url}" in log_path.read_text()


def test_serve_reports_a_bad_setting_before_starting(tmp_path: Path) -> None:
    result = run_cli(["serve", "--port", "0"], FAKE, cwd=tmp_path)
    assert result.returncode == 2
    assert "PORT: Input should be greater than or equal to 1" in result.stderr


def _wait_ready(
    process: subprocess.Popen[bytes], base_url: str, log_path: Path, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"serve did not become ready:\n{log_path.read_text()}")
