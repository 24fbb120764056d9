"""Closed-loop load: N clients, each sending one sentence per request and the next as soon as it has an answer.

Each simulated client has its own `httpx.AsyncClient` with one keep-alive connection, as a real client
process would; all of them share one event loop in the benchmark process, which stays light (one JSON body
out, one parsed back per request) and whose CPU time is measured, since it competes with the server for the
same cores. A level runs a warm-up (at least `warmup_s`, and until every client has had an answer, so that
queues reach their steady state before anything is counted), then a window of `duration_s`: throughput is
the answers completed inside the window divided by its length, latencies are those answers' times.
Traffic goes only to the base URL given, which the benchmark always points at 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

import httpx

from bench import workspace

# A client that hits a connection error retries after this pause rather than spinning on a dead server.
_ERROR_PAUSE_S: Final = 0.1
# Longest gap between two clients' starts (shorter when the warm-up is short).
_MAX_STAGGER_S: Final = 0.1


@dataclass(frozen=True, slots=True)
class Answer:
    started: float
    finished: float
    ok: bool
    failure: str = ""  # status code or exception name when not ok


@dataclass(frozen=True)
class LoadPlan:
    clients: int
    warmup_s: float
    duration_s: float
    # Warm-up never runs longer than this, even if some client is still waiting for its first answer.
    max_warmup_s: float
    request_timeout_s: float
    # After the window, in-flight requests get this long to finish (not counted) before they are cancelled.
    drain_s: float


@dataclass
class LevelResult:
    clients: int
    window_s: float
    warmup_s: float
    completed: int
    errors: int
    warmup_errors: int
    failures: dict[str, int]
    sentences_per_s: float
    latency_ms: dict[str, float]  # p50, p95, p99, max, mean
    loadgen_cpu_cores: float  # CPU time of this process during the window / window length
    server_cpu_cores: float | None
    # Per server process (pid as text): how the work spread over gunicorn's master and workers.
    process_cpu_cores: dict[str, float]
    machine_busy_cores: float | None  # all CPU time on the machine during the window / window length
    clients_answered_in_warmup: int
    extra: dict[str, object] = field(default_factory=dict)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: with few samples it reports a latency that happened)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def machine_busy_seconds() -> float | None:
    """CPU seconds spent by everything on the machine since boot (all cores), from /proc/stat."""
    try:
        fields = open("/proc/stat", encoding="ascii").readline().split()  # noqa: SIM115
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal ...: all but idle and iowait is work.
    ticks = [int(value) for value in fields[1:9]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def translate_body(text: str) -> dict[str, object]:
    return {
        "text": text,
        "source_lang": workspace.SOURCE_LANG,
        "target_lang": workspace.TARGET_LANG,
        "beam_size": 1,
    }


async def run_level(
    base_url: str,
    sentences: Sequence[str],
    plan: LoadPlan,
    server_cpu_seconds: Callable[[], dict[int, float]] = dict,
) -> LevelResult:
    """Run one level; `server_cpu_seconds` gives the CPU seconds so far of each server process by pid."""
    answers: list[Answer] = []
    answered_clients: set[int] = set()
    stop = asyncio.Event()
    texts = itertools.cycle(sentences)
    # Safety bound on requests per client: the window ends them long before, unless the server answers
    # errors instantly, which must not turn into an unbounded loop either.
    max_requests = int((plan.max_warmup_s + plan.duration_s) * 2000) + 10

    # Clients start a little apart, as independent clients do: sixteen connections opened in the same
    # millisecond all land on whichever gunicorn worker accepts first (it accepts every pending one).
    stagger_s = min(_MAX_STAGGER_S, plan.warmup_s / (2 * plan.clients))

    async def client(index: int) -> None:
        await asyncio.sleep(index * stagger_s)
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            base_url=base_url, timeout=plan.request_timeout_s, limits=limits
        ) as http:
            for _ in range(max_requests):
                if stop.is_set():
                    return
                started = time.perf_counter()
                failure = ""
                try:
                    response = await http.post("/translate", json=translate_body(next(texts)))
                    if response.status_code != 200:
                        failure = str(response.status_code)
                    elif not isinstance(response.json().get("translated"), str):
                        failure = "bad body"
                except httpx.HTTPError as exc:
                    failure = type(exc).__name__
                answers.append(Answer(started, time.perf_counter(), not failure, failure))
                if failure:
                    await asyncio.sleep(_ERROR_PAUSE_S)
                else:
                    answered_clients.add(index)

    tasks = [asyncio.create_task(client(index), name=f"client {index}") for index in range(plan.clients)]
    try:
        began = time.perf_counter()
        while time.perf_counter() - began < plan.max_warmup_s:
            warm = time.perf_counter() - began >= plan.warmup_s and len(answered_clients) == plan.clients
            if warm or all(task.done() for task in tasks):
                break
            await asyncio.sleep(0.05)
        clients_answered = len(answered_clients)
        window_start = time.perf_counter()
        cpu_start, server_start, busy_start = _own_cpu_seconds(), server_cpu_seconds(), machine_busy_seconds()
        await asyncio.sleep(plan.duration_s)
        window_end = time.perf_counter()
        cpu_end, server_end, busy_end = _own_cpu_seconds(), server_cpu_seconds(), machine_busy_seconds()
        stop.set()
        await asyncio.wait(tasks, timeout=plan.drain_s)
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    window = window_end - window_start
    # Processes alive through the whole window (a worker restarted meanwhile would count from zero).
    per_process = {
        pid: (server_end[pid] - server_start[pid]) / window for pid in server_end if pid in server_start
    }
    inside = [answer for answer in answers if window_start <= answer.finished <= window_end]
    good = [answer for answer in inside if answer.ok]
    failures: dict[str, int] = {}
    for answer in inside:
        if not answer.ok:
            failures[answer.failure] = failures.get(answer.failure, 0) + 1
    latencies = [(answer.finished - answer.started) * 1000 for answer in good]
    return LevelResult(
        clients=plan.clients,
        window_s=window,
        warmup_s=window_start - began,
        completed=len(good),
        errors=len(inside) - len(good),
        warmup_errors=sum(1 for answer in answers if answer.finished < window_start and not answer.ok),
        failures=failures,
        sentences_per_s=len(good) / window,
        latency_ms={
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies, default=math.nan),
            "mean": sum(latencies) / len(latencies) if latencies else math.nan,
        },
        loadgen_cpu_cores=(cpu_end - cpu_start) / window,
        server_cpu_cores=sum(per_process.values()) if per_process else None,
        process_cpu_cores={str(pid): cores for pid, cores in per_process.items()},
        machine_busy_cores=(busy_end - busy_start) / window
        if busy_start is not None and busy_end is not None
        else None,
        clients_answered_in_warmup=clients_answered,
    )
