"""`make bench` / `python -m bench`: build the model, then measure engines, our server and the baseline.

One run, one machine, everything side by side: each repeat measures the raw engines (child processes),
our real server under 1/4/16 closed-loop clients, and the EasyNMT-style baseline under the same load, in
that order; the report takes medians over repeats. See bench/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from bench import report, workspace
from bench.load import LevelResult, LoadPlan, machine_busy_seconds, run_level, translate_body
from bench.servers import (
    RunningServer,
    ServerError,
    baseline_server,
    cpu_seconds,
    our_server,
    process_tree,
    rss_mb,
    warm_up_workers,
)

PARTS: Final = ("engines", "server", "baseline")
# Raw engine runs: (result key, engine, intra-op threads). The 2-thread runs are the reference the ratios
# use; the 1-thread CTranslate2 run is there because on some 2-vCPU machines CTranslate2 runs slower with
# 2 intra-op threads than with 1, which decides what CT2_INTRA_THREADS should default to.
ENGINES: Final = (
    ("ctranslate2", "ctranslate2", 2),
    ("transformers", "transformers", 2),
    ("ctranslate2-1thread", "ctranslate2", 1),
)
# A worker has loaded the model once its RSS grew by this much (int8 weights alone are ~75 MB).
_LOADED_GROWTH_MB: Final = 50.0
# Cores that other processes may keep busy while the benchmark idles before it starts, and during a load
# window, before the run says that its numbers are not clean.
_FOREIGN_CPU_LIMIT: Final = 0.25
_IDLE_CHECK_S: Final = 3.0
# A level's warm-up waits for every client's first answer, but no longer than this: the baseline serves its
# queue in no fair order, and at 16 clients one of them can wait a minute.
_MAX_WARMUP_S: Final = 20.0


@dataclass(frozen=True)
class Profile:
    repeat: int
    duration_s: float
    warmup_s: float
    passes: int
    calls_at_batch_1: int


FULL: Final = Profile(repeat=3, duration_s=20, warmup_s=3, passes=3, calls_at_batch_1=4)
QUICK: Final = Profile(repeat=1, duration_s=6, warmup_s=2, passes=2, calls_at_batch_1=3)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _key_value(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def _int_list(text: str) -> list[int]:
    try:
        return [int(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="one short repeat, for iterating (~3 min)")
    parser.add_argument("--repeat", type=int, help="repeats of the whole set (default 3, quick 1)")
    parser.add_argument("--only", action="append", choices=PARTS, help="measure only this part (repeatable)")
    parser.add_argument(
        "--server-env",
        action="append",
        type=_key_value,
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for our server, e.g. WEB_CONCURRENCY=1 (repeatable)",
    )
    parser.add_argument(
        "--clients", type=_int_list, default=[1, 4, 16], help="concurrency levels (default 1,4,16)"
    )
    parser.add_argument("--batches", type=_int_list, default=[1, 8, 16, 32], help="engine batch sizes")
    parser.add_argument(
        "--duration", type=float, help="measured seconds per load level (default 20, quick 6)"
    )
    parser.add_argument("--warmup", type=float, help="warm-up seconds per load level (default 3, quick 2)")
    parser.add_argument(
        "--results-dir",
        type=Path,
        help="where result files go (default bench/results for a full run, bench/.work/results otherwise)",
    )
    return parser.parse_args(argv)


# ------------------------------------------------------------------------------------------------ parts


def build_model() -> None:
    # A child process: the benchmark process itself never imports torch (it would share the cores and
    # memory it measures).
    subprocess.run([sys.executable, "-m", "bench.model"], cwd=workspace.REPO_ROOT, check=True)


def measure_engine(
    key: str, engine: str, threads: int, batches: Sequence[int], profile: Profile
) -> dict[str, Any]:
    out = workspace.WORK_DIR / f"engine-{key}.json"
    out.unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "bench.engines",
        "--engine",
        engine,
        "--batches",
        ",".join(map(str, batches)),
        "--passes",
        str(profile.passes),
        "--calls-at-batch-1",
        str(profile.calls_at_batch_1),
        "--threads",
        str(threads),
        "--out",
        str(out),
    ]
    subprocess.run(command, cwd=workspace.REPO_ROOT, check=True, timeout=900)
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


async def _cache_snapshots(server: RunningServer, tries: int) -> list[dict[str, Any]]:
    """/cache from as many workers as `tries` fresh connections reach (each worker answers for itself)."""
    seen: dict[tuple[int, int], dict[str, Any]] = {}
    for _ in range(tries):
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            try:
                body = (await http.get("/cache")).json()
            except (httpx.HTTPError, ValueError):
                continue
        seen[(int(body.get("batches_total", 0)), int(body.get("sentences_total", 0)))] = body
    return list(seen.values())


def _rss(server: RunningServer) -> dict[str, Any]:
    tree = process_tree(server.pid)
    master = rss_mb(tree[0]) or 0.0
    workers = [value for value in (rss_mb(pid) for pid in tree[1:]) if value is not None]
    return {
        "master": master,
        "workers": workers,
        "worker_max": max(workers, default=None),
        "total": master + sum(workers),
    }


async def _levels(
    server: RunningServer,
    sentences: list[str],
    clients_levels: Sequence[int],
    profile: Profile,
    request_timeout_s: float,
    inspect: Callable[[], Awaitable[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for clients in clients_levels:
        plan = LoadPlan(
            clients=clients,
            warmup_s=profile.warmup_s,
            duration_s=profile.duration_s,
            max_warmup_s=max(_MAX_WARMUP_S, profile.warmup_s),
            request_timeout_s=request_timeout_s,
            drain_s=60.0,
        )
        _log(f"  {server.name}: {clients} client(s), {profile.duration_s:g} s")
        level: LevelResult = await run_level(
            server.base_url, sentences, plan, lambda: cpu_seconds(process_tree(server.pid))
        )
        server.check_alive()
        spread = " + ".join(f"{cores:.2f}" for cores in level.process_cpu_cores.values())
        _log(
            f"    {level.sentences_per_s:.2f} sentences/s, p50 {level.latency_ms['p50']:.0f} ms, "
            f"p95 {level.latency_ms['p95']:.0f} ms, errors {level.errors}, server CPU {spread} cores"
        )
        if inspect is not None:
            level.extra = await inspect()
        results.append(asdict(level))
    return results


async def _sample(server: RunningServer, text: str) -> str | None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120) as http:
        response = await http.post("/translate", json=translate_body(text))
        return str(response.json().get("translated")) if response.status_code == 200 else None


def service_fingerprint() -> str:
    """A hash of the service's code as the server will load it (src/, app.py, gunicorn.conf.py).

    The service may be edited while a run goes on; repeats that measured different code must not be
    reported as one result.
    """
    digest = hashlib.sha256()
    root = workspace.REPO_ROOT
    for path in sorted([*(root / "src").rglob("*.py"), root / "app.py", root / "gunicorn.conf.py"]):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def git_state() -> dict[str, Any]:
    """The commit the run measured, and whether the service's files differ from it."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=workspace.REPO_ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    status = git("status", "--porcelain", "--", "src", "app.py", "gunicorn.conf.py")
    return {"commit": git("rev-parse", "--short", "HEAD") or None, "service_files_changed": bool(status)}


async def measure_our_server(
    sentences: list[str], clients_levels: Sequence[int], profile: Profile, extra_env: dict[str, str]
) -> dict[str, Any]:
    code_before = service_fingerprint()
    with our_server(extra_env) as server:
        warm, workers = await warm_up_workers(
            server, sentences, loaded_growth_mb=_LOADED_GROWTH_MB, timeout_s=240
        )
        _log(f"  our server: {warm}/{workers} worker(s) loaded the model")
        snapshots = await _cache_snapshots(server, 2 * workers)
        sample = await _sample(server, sentences[0])

        async def batch_sizes() -> dict[str, Any]:
            # Each worker keeps its last 64 batch sizes: enough to cover the end of a level.
            recent = [
                size
                for snapshot in await _cache_snapshots(server, 4 * workers)
                for size in snapshot.get("recent_batch_sizes", [])
            ]
            mean = sum(recent) / len(recent) if recent else None
            return {"recent_batch_sizes": recent, "mean_batch_size": mean}

        levels = await _levels(
            server, sentences, clients_levels, profile, request_timeout_s=300, inspect=batch_sizes
        )
        rss = _rss(server)
        _log(f"  our server RSS: total {rss['total']:.0f} MB, workers {[round(w) for w in rss['workers']]}")
        return {
            "code_fingerprints": sorted({code_before, service_fingerprint()}),
            "backend": snapshots[0].get("backend") if snapshots else None,
            "max_inflight": snapshots[0].get("max_inflight") if snapshots else None,
            "workers": workers,
            "workers_warm": warm,
            "sample_translation": sample,
            "levels": levels,
            "rss_mb": rss,
        }


async def prime_server_cache(extra_env: dict[str, str]) -> None:
    """Let our server convert the model to CTranslate2 once, before anything is measured.

    The conversion loads the full fp32 checkpoint in the worker that does it, and that memory stays
    with the worker: measured after a conversion, RSS would show a first start, not a model being served.
    """
    if any(workspace.SERVER_CACHE_DIR.glob("ctranslate2/*/model.bin")):
        return
    _log("  our server: converting the model for CTranslate2 (first start only)")
    with our_server({**extra_env, "WEB_CONCURRENCY": "1"}) as server:
        await _sample(server, "Hello.")


async def measure_baseline(
    sentences: list[str], clients_levels: Sequence[int], profile: Profile
) -> dict[str, Any]:
    with baseline_server() as server:
        for text in sentences[:2]:  # the first calls pay for lazy initialisation
            await _sample(server, text)
        levels = await _levels(server, sentences, clients_levels, profile, request_timeout_s=600)
        rss = _rss(server)
        return {"levels": levels, "rss_mb": rss}


def _foreign_cores(seconds: float) -> float | None:
    """Cores busy on the whole machine over `seconds` while this process sleeps: other people's work."""
    before = machine_busy_seconds()
    time.sleep(seconds)
    after = machine_busy_seconds()
    return None if before is None or after is None else (after - before) / seconds


def _foreign_load_notes(repeats: Sequence[dict[str, Any]]) -> list[str]:
    """Windows in which processes other than the server and the load generator took real CPU time."""
    notes = []
    for index, repeat in enumerate(repeats, start=1):
        for server in ("server", "baseline"):
            for level in repeat.get(server, {}).get("levels", []):
                busy, ours = level["machine_busy_cores"], level["server_cpu_cores"]
                if busy is None or ours is None:
                    continue
                foreign = busy - ours - level["loadgen_cpu_cores"]
                if foreign > _FOREIGN_CPU_LIMIT:
                    notes.append(
                        f"repeat {index}, {server}, {level['clients']} client(s): other processes took "
                        f"{foreign:.2f} cores; these numbers are not clean"
                    )
    return notes


# ------------------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    profile = QUICK if args.quick else FULL
    profile = Profile(
        repeat=args.repeat or profile.repeat,
        duration_s=args.duration or profile.duration_s,
        warmup_s=args.warmup if args.warmup is not None else profile.warmup_s,
        passes=profile.passes,
        calls_at_batch_1=profile.calls_at_batch_1,
    )
    parts = tuple(part for part in PARTS if not args.only or part in args.only)
    extra_env = dict(args.server_env)
    mode = "quick" if args.quick else "full"
    if set(parts) != set(PARTS):
        mode += "-partial"
    load_before = report.load_average()
    notes: list[str] = []
    foreign = _foreign_cores(_IDLE_CHECK_S)
    if foreign is not None and foreign > _FOREIGN_CPU_LIMIT:
        message = f"other processes kept {foreign:.2f} cores busy just before the run started"
        _log(f"WARNING: {message}; the numbers will be low and noisy")
        notes.append(message)
    started_utc, started = report.utc_now(), time.perf_counter()
    service_state = git_state()

    _log("building or reusing the benchmark model")
    build_model()
    records = json.loads(workspace.SENTENCES_PATH.read_text(encoding="utf-8"))
    sentences = [str(record["text"]) for record in records]

    repeats: list[dict[str, Any]] = []
    try:
        if "server" in parts:
            asyncio.run(prime_server_cache(extra_env))
        for index in range(profile.repeat):
            _log(f"repeat {index + 1}/{profile.repeat}")
            repeat: dict[str, Any] = {}
            if "engines" in parts:
                repeat["engines"] = {}
                for key, engine, threads in ENGINES:
                    _log(f"  raw engine {engine}, {threads} thread(s)")
                    repeat["engines"][key] = measure_engine(key, engine, threads, args.batches, profile)
            if "server" in parts:
                repeat["server"] = asyncio.run(
                    measure_our_server(sentences, args.clients, profile, extra_env)
                )
            if "baseline" in parts:
                repeat["baseline"] = asyncio.run(measure_baseline(sentences, args.clients, profile))
            repeats.append(repeat)
    except (ServerError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        _log(f"FAILED: {error}")
        return 1

    engine_samples = {
        engine: repeats[0]["engines"][engine]["sample_translation"]
        for engine in repeats[0].get("engines", {})
    }
    for repeat in repeats:
        server = repeat.get("server")
        if server and server.get("backend") in engine_samples:
            same = server.get("sample_translation") == engine_samples[server["backend"]]
            server["sample_matches_raw_engine"] = same
            if not same:
                notes.append(
                    f"our server's output for sentence 0 differs from raw {server['backend']}'s: "
                    "it may not decode the same tokens"
                )
        if server and server["workers_warm"] < server["workers"]:
            notes.append(f"only {server['workers_warm']} of {server['workers']} workers had loaded the model")
    notes.extend(_foreign_load_notes(repeats))
    fingerprints = {
        code for repeat in repeats for code in repeat.get("server", {}).get("code_fingerprints", [])
    }
    mixed = len(fingerprints) > 1
    if mixed:
        mode += "-mixed"
        notes.append(
            "the service's code changed while this run went on: its repeats measured different code, so "
            "their medians mean nothing; run it again"
        )
    backends = {repeat["server"].get("backend") for repeat in repeats if "server" in repeat}
    if backends - {"ctranslate2"}:
        notes.append(f"our server ran the {', '.join(sorted(map(str, backends)))} backend, not CTranslate2")

    run = {
        "started_utc": started_utc,
        "finished_utc": report.utc_now(),
        "elapsed_s": time.perf_counter() - started,
        "mode": mode,
        "options": {
            "repeat": profile.repeat,
            "parts": list(parts),
            "clients": args.clients,
            "batches": args.batches,
            "duration_s": profile.duration_s,
            "warmup_s": profile.warmup_s,
            "passes": profile.passes,
            "server_env": extra_env,
        },
        "machine": report.machine_info(),
        "service": {**service_state, "code_fingerprints": sorted(fingerprints)},
        "load_before": load_before,
        "load_after": report.load_average(),
        "notes": notes,
        "repeats": repeats,
    }
    # Only complete full runs are results worth keeping; quick and partial ones stay in the scratch space.
    results_dir = args.results_dir or (
        workspace.RESULTS_DIR if mode == "full" else workspace.WORK_DIR / "results"
    )
    _log(f"{len(notes)} note(s): " + "; ".join(notes) if notes else "no warnings")
    paths = report.write(run, results_dir, latest=mode == "full")
    print(report.markdown(run))
    _log("wrote " + ", ".join(str(path) for path in paths))
    return 0
