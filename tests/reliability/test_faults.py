"""Faults injected for real: a hub that is missing a repository, stopped, or serving damaged files; a damaged
model folder; a backend that raises or runs out of memory; a worker killed with SIGKILL."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability.load import worker_pids
from tests.reliability.profile import UNCACHED
from tests.reliability.report import Report, Section
from tests.support.hub_standin import HubStandin, hub_standin
from tests.support.server import RunningServer, running_server

pytestmark = pytest.mark.integration

EN_DE = "Helsinki-NLP/opus-mt-en-de"
DE_EN = "Helsinki-NLP/opus-mt-de-en"
EN_ROA = "Helsinki-NLP/opus-mt-en-roa"
# Never to appear in a log: the logs carry no user text unless LOG_INCLUDE_TEXT is on.
PRIVATE = "Private sentence 7f3a9."


def _translate(server: RunningServer, source: str, target: str, text: str = PRIVATE) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/translate",
        json={"text": text, "target_lang": target, "source_lang": source},
        timeout=120,
    )


def _section(report: Report) -> Section:
    return report.section(
        "faults",
        "Faults injected and survived",
        "Each fault is injected for real: a local hub stand-in (tests/support/hub_standin.py) that the real "
        "huggingface_hub client downloads from, a model folder with damaged weights, the fake backend's "
        "settings-driven failures, and SIGKILL to a worker. 'Survived' means the fault was answered with the "
        "stated error for the affected pair only, other pairs kept serving, the server kept running, and the "
        "pair served again once the fault was gone.",
    )


def _record(section: Section, fault: str, answer: str, others: str, recovery: str) -> None:
    if not section.tables:
        header = ["fault injected", "answer for the affected pair", "other pairs meanwhile", "afterwards"]
        section.table("", header, [])
    rows = section.tables[0][2]
    rows.append([fault, answer, others, recovery])
    section.headline = (
        f"{len(rows)} faults injected, each answered for its pair only and recovered from (see the table)."
    )


@pytest.fixture
def hub(test_models_dir: Path) -> Iterator[HubStandin]:
    with hub_standin(test_models_dir) as standin:
        yield standin


def _hub_env(hub: HubStandin, cache: Path) -> dict[str, str]:
    return {
        **UNCACHED,
        "TRANSLATION_BACKEND": "ctranslate2",
        "HF_ENDPOINT": hub.url,
        "HF_HUB_OFFLINE": "0",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "MODEL_CACHE_DIR": str(cache),
        "AUTO_MODEL_FALLBACK": "0",
    }


def _assert_unavailable(response: httpx.Response, kind: str = "model_unavailable") -> str:
    assert response.status_code == 503, response.text
    assert response.json()["error"] == kind
    assert response.headers.get("x-request-id")
    detail: str = response.json()["detail"]
    assert "Traceback" not in detail
    return detail


def test_hub_faults_fail_one_pair_and_are_retried(hub: HubStandin, tmp_path: Path, report: Report) -> None:
    section = _section(report)
    with running_server(_hub_env(hub, tmp_path / "cache")) as server:
        # Repository missing on the hub.
        hub.fail(EN_DE, "missing")
        detail = _assert_unavailable(_translate(server, "en", "de"))
        assert "does not exist" in detail
        other = _translate(server, "de", "en")
        assert other.status_code == 200, other.text
        hub.clear(EN_DE)
        again = _translate(server, "en", "de")
        assert again.status_code == 200, again.text
        _record(
            section,
            "hub answers 404 for the repository",
            f"503 `model_unavailable`: {detail}",
            "200",
            "200 on the next request",
        )

        # Hub unreachable (connections refused) for a model not downloaded yet.
        hub.stop()
        detail = _assert_unavailable(_translate(server, "en", "pt"))
        assert "could not be reached" in detail
        assert _translate(server, "de", "en").status_code == 200
        hub.start()
        assert _translate(server, "en", "pt").status_code == 200
        _record(
            section,
            "hub stopped (connection refused)",
            f"503 `model_unavailable`: {detail}",
            "200 (already loaded)",
            "200 once the hub is back",
        )
        log = server.log()
    assert PRIVATE not in log


def test_damaged_downloads_are_not_kept(hub: HubStandin, tmp_path: Path, report: Report) -> None:
    section = _section(report)
    env = _hub_env(hub, tmp_path / "cache")
    with running_server(env) as server:
        assert _translate(server, "de", "en").status_code == 200
        hub.fail(EN_DE, "corrupt")
        detail = _assert_unavailable(_translate(server, "en", "de"))
        assert _translate(server, "de", "en").status_code == 200
        hub.clear(EN_DE)
        # The damaged files were deleted from the cache, so this downloads them again instead of failing.
        again = _translate(server, "en", "de")
        assert again.status_code == 200, again.text
        _record(
            section,
            "hub serves damaged files (every byte changed)",
            f"503 `model_unavailable`: {detail}",
            "200",
            "200: the damaged download was deleted and fetched again",
        )

        hub.fail(EN_ROA, "truncated")
        detail = _assert_unavailable(_translate(server, "en", "pt"))
        assert _translate(server, "de", "en").status_code == 200
        hub.clear(EN_ROA)
        assert _translate(server, "en", "pt").status_code == 200
        _record(
            section,
            "hub cuts every file off halfway",
            f"503 `model_unavailable`: {detail}",
            "200",
            "200 on the next request",
        )
        hub.fail(DE_EN, "error")
        # de-en is loaded already: a hub that answers 500 does not matter to a loaded model.
        assert _translate(server, "de", "en").status_code == 200
        log = server.log()
    assert PRIVATE not in log


def test_a_damaged_model_folder_fails_its_pair_only(
    test_models_dir: Path, tmp_path: Path, report: Report
) -> None:
    section = _section(report)
    models = tmp_path / "models"
    shutil.copytree(test_models_dir, models, ignore=shutil.ignore_patterns(".stamp"))
    weights = models / EN_DE / "model.safetensors"
    original = weights.read_bytes()
    weights.write_bytes(b"\0" * 64 + original[64 : len(original) // 3])
    env = {
        **UNCACHED,
        "TRANSLATION_BACKEND": "transformers",
        "MODEL_DIR": str(models),
        "MODEL_CACHE_DIR": str(tmp_path / "cache"),
        "AUTO_MODEL_FALLBACK": "0",
    }
    with running_server(env) as server:
        detail = _assert_unavailable(_translate(server, "en", "de"))
        assert _translate(server, "de", "en").status_code == 200
        detail_again = _assert_unavailable(_translate(server, "en", "de"))
        weights.write_bytes(original)
        repaired = _translate(server, "en", "de")
        assert repaired.status_code == 200, repaired.text
        cache = httpx.get(f"{server.base_url}/cache").json()
        log = server.log()
    assert cache["load_failures_total"] == 2
    assert detail == detail_again
    assert PRIVATE not in log
    _record(
        section,
        "MODEL_DIR weights truncated and zeroed",
        f"503 `model_unavailable`: {detail}",
        "200",
        "200 once the files are repaired (tried again on every request)",
    )


def test_backend_failures_fail_only_their_batch(report: Report) -> None:
    section = _section(report)
    env = {
        **UNCACHED,
        "TRANSLATION_BACKEND": "fake",
        "FAKE_FAIL_PATTERN": "#FAIL#",
        "FAKE_OOM_PATTERN": "#OOM#",
        "FAKE_LOAD_OOM_PATTERN": "opus-mt-en-fr",
    }
    with running_server(env) as server:
        pid_before = worker_pids(server.process.pid)
        failed = _translate(server, "en", "de", f"{PRIVATE} #FAIL#")
        assert failed.status_code == 500, failed.text
        assert failed.json() == {
            "detail": "translation failed inside the model; see the server log",
            "error": "backend_error",
        }
        failed_id = failed.headers["x-request-id"]
        assert _translate(server, "en", "de").status_code == 200
        assert _translate(server, "de", "en").status_code == 200
        _record(
            section,
            "backend raises in a batch (`FAKE_FAIL_PATTERN`)",
            "500 `backend_error`, generic message; the log names the request id",
            "200",
            "200 on the next request, same model",
        )

        before = httpx.get(f"{server.base_url}/cache").json()
        oom = _translate(server, "en", "de", "#OOM# in the batch")
        detail = _assert_unavailable(oom, "out_of_memory")
        after_oom = httpx.get(f"{server.base_url}/cache").json()
        assert after_oom["evictions_total"] == before["evictions_total"] + 1
        assert EN_DE not in [item["model"] for item in after_oom["loaded"]]
        assert _translate(server, "en", "de").status_code == 200
        reloaded = httpx.get(f"{server.base_url}/cache").json()
        assert reloaded["loads_total"] == after_oom["loads_total"] + 1
        _record(
            section,
            "out of memory while translating (`FAKE_OOM_PATTERN`, CUDA's message)",
            f"503 `out_of_memory`: {detail}",
            "200",
            "model released; next request loads it afresh: 200",
        )

        load_oom = _translate(server, "en", "fr")
        detail = _assert_unavailable(load_oom, "out_of_memory")
        assert _translate(server, "en", "de").status_code == 200
        _record(
            section,
            "out of memory while loading (`FAKE_LOAD_OOM_PATTERN`, MemoryError)",
            f"503 `out_of_memory`: {detail}",
            "200",
            "idle models unloaded; process alive",
        )

        pid_after = worker_pids(server.process.pid)
        log = server.log()
    assert pid_after == pid_before, "no fault may cost the worker process"
    failure_lines = [line for line in log.splitlines() if "sentences failed" in line]
    assert any(failed_id in line for line in failure_lines), log[-3000:]
    assert PRIVATE not in log


def test_a_killed_worker_is_replaced_while_the_other_serves(report: Report) -> None:
    section = _section(report)
    env = {**UNCACHED, "TRANSLATION_BACKEND": "fake", "WEB_CONCURRENCY": "2"}
    with running_server(env) as server:
        deadline = time.monotonic() + 60
        while len(worker_pids(server.process.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = worker_pids(server.process.pid)
        assert len(workers) == 2
        # Both workers must be serving before one is killed.
        for _ in range(20):
            assert _translate(server, "en", "de").status_code == 200
        victim, survivor = workers
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        answered = 0
        replacement: int | None = None
        serving_after: float | None = None
        while time.monotonic() - killed_at < 90:
            # A new connection per request: each one may land on either worker.
            response = _translate(server, "en", "de")
            assert response.status_code == 200, response.text
            answered += 1
            current = worker_pids(server.process.pid)
            assert survivor in current, "the other worker must keep running"
            if replacement is None and len(current) == 2 and victim not in current:
                replacement = (set(current) - {survivor}).pop()
            if (
                serving_after is None
                and replacement is not None
                and f"[{replacement}] [INFO] Application startup complete" in server.log()
            ):
                serving_after = time.monotonic() - killed_at
            if serving_after is not None and answered >= 40:
                break
        assert replacement is not None, "gunicorn did not start a new worker"
        assert serving_after is not None, "the new worker did not start serving"
        assert server.process.poll() is None
    section.figure("worker killed with SIGKILL: requests answered meanwhile, all 200", answered)
    section.figure("replacement worker serving after (s)", round(serving_after, 1))
    _record(
        section,
        "SIGKILL to one of two workers",
        "(no request was in flight on it)",
        f"{answered} requests, all 200",
        f"a new worker serving {serving_after:.1f} s after the kill",
    )
