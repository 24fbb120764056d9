"""Memory over many model loads: cycling through more pairs than MAX_CACHED_MODELS, RSS levels off and the
number of loaded models never exceeds the limit."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.reliability.load import rss_mb, worker_pids
from tests.reliability.profile import UNCACHED, Profile
from tests.reliability.report import Report
from tests.support.server import running_server

pytestmark = pytest.mark.integration

MAX_CACHED_MODELS = 2
# Three fixture models behind four pairs; de->pt pivots through English and holds two models in turn.
PAIRS = [("en", "de"), ("de", "en"), ("en", "pt"), ("de", "pt")]


def test_rss_plateaus_and_the_model_limit_holds(
    profile: Profile, report: Report, test_models_dir: Path, tmp_path: Path
) -> None:
    env = {
        **UNCACHED,
        "MODEL_DIR": str(test_models_dir),
        "MODEL_CACHE_DIR": str(tmp_path / "cache"),
        "MAX_CACHED_MODELS": str(MAX_CACHED_MODELS),
        "REQUEST_LOG": "0",
    }
    rss: list[float] = []
    most_models = 0
    with running_server(env) as server, httpx.Client(base_url=server.base_url, timeout=120) as client:
        (worker,) = worker_pids(server.process.pid)
        done = threading.Event()

        def watch_cache() -> None:
            nonlocal most_models
            with httpx.Client(base_url=server.base_url, timeout=30) as watcher:
                while not done.is_set():
                    cache = watcher.get("/cache").json()
                    most_models = max(most_models, len(cache["loaded"]) + len(cache["loading"]))
                    time.sleep(0.05)

        def translate(pair: tuple[str, str]) -> str:
            source, target = pair
            body = {"text": "A sentence to translate.", "target_lang": target, "source_lang": source}
            response = client.post("/translate", json=body)
            return "200" if response.status_code == 200 else f"{response.status_code} {response.text}"

        watcher = threading.Thread(target=watch_cache, daemon=True)
        watcher.start()
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(PAIRS)) as pool:
            for _ in range(profile.memory_cycles):
                statuses = list(pool.map(translate, PAIRS))
                assert statuses == ["200"] * len(PAIRS)
                rss.append(rss_mb(worker))
        elapsed = time.monotonic() - started
        done.set()
        watcher.join(timeout=30)
        cache = client.get("/cache").json()
        backend = cache["backend"]

    window = rss[-profile.plateau_window :]
    spread = (max(window) - min(window)) / min(window)
    section = report.section(
        "memory",
        "Memory: many model loads",
        f"Fixture models (tiny real-format Opus-MT checkpoints, backend `{backend}`) with "
        f"`MAX_CACHED_MODELS={MAX_CACHED_MODELS}`; each cycle sends the pairs {', '.join(f'{s}->{t}' for s, t in PAIRS)} "
        "at once (three models, one pivot), so nearly every request loads a model and evicts another. RSS of "
        "the worker process is read from /proc after each cycle; /cache is polled every 50 ms meanwhile.",
    )
    section.figure("cycles", profile.memory_cycles)
    section.figure("model loads", cache["loads_total"])
    section.figure("evictions", cache["evictions_total"])
    section.figure("most models loaded or loading at once (limit 2)", most_models)
    section.figure("RSS after cycle 1 (MB)", round(rss[0], 1))
    section.figure("RSS after the last cycle (MB)", round(rss[-1], 1))
    section.figure(f"RSS spread over the last {profile.plateau_window} cycles", f"{spread:.1%}")
    section.figure("time (s)", round(elapsed, 1))
    step = max(1, len(rss) // 25)
    section.table(
        "RSS of the worker after each cycle (MB):",
        ["cycle", "RSS (MB)"],
        [
            [index + 1, round(value, 1)]
            for index, value in enumerate(rss)
            if index % step == 0 or index == len(rss) - 1
        ],
    )
    section.headline = (
        f"{profile.memory_cycles} cycles, {cache['loads_total']} model loads: at most {most_models} models loaded "
        f"(limit {MAX_CACHED_MODELS}); RSS {rss[0]:.0f} MB after the first cycle, {rss[-1]:.0f} MB after the last, "
        f"the last {profile.plateau_window} cycles within {spread:.1%} of each other."
    )
    assert most_models <= MAX_CACHED_MODELS
    assert cache["loads_total"] >= profile.memory_cycles
    assert spread <= 0.10, rss
