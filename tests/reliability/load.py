"""Load generation and process inspection for the reliability tests (asyncio + httpx, no extra tools)."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

TRANSLATE_BODY = {"text": "Load test sentence.", "target_lang": "de", "source_lang": "en"}


@dataclass(frozen=True, slots=True)
class Outcome:
    sent_at: float  # seconds since the phase started
    latency_s: float
    status: int | None  # None: no HTTP answer at all
    error: str | None  # the transport error's class name, when there was no answer
    retry_after: str | None


async def _one(client: httpx.AsyncClient, started: float, body: dict[str, object]) -> Outcome:
    sent = time.perf_counter()
    try:
        response = await client.post("/translate", json=body)
    except httpx.TransportError as exc:
        return Outcome(sent - started, time.perf_counter() - sent, None, type(exc).__name__, None)
    return Outcome(
        sent - started,
        time.perf_counter() - sent,
        response.status_code,
        None,
        response.headers.get("retry-after"),
    )


def _client(base_url: str, *, keep_alive: bool = True) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=200 if keep_alive else 0)
    return httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits)


async def open_loop(
    base_url: str,
    rate_per_s: float,
    duration_s: float,
    *,
    keep_alive: bool = True,
    body: dict[str, object] = TRANSLATE_BODY,
    on_tick: Callable[[float], None] | None = None,
) -> list[Outcome]:
    """Send requests at a fixed rate whatever the answers (an open loop, as real clients arrive)."""
    async with _client(base_url, keep_alive=keep_alive) as client:
        started = time.perf_counter()
        tasks: list[asyncio.Task[Outcome]] = []
        count = int(rate_per_s * duration_s)
        for index in range(count):
            due = started + index / rate_per_s
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if on_tick is not None:
                on_tick(time.perf_counter() - started)
            tasks.append(asyncio.create_task(_one(client, started, body)))
        return list(await asyncio.gather(*tasks))


async def closed_loop(base_url: str, clients: int, duration_s: float) -> list[Outcome]:
    """`clients` clients each sending the next request when the last is answered."""
    async with _client(base_url) as client:
        started = time.perf_counter()
        deadline = started + duration_s

        async def worker() -> list[Outcome]:
            outcomes = []
            while time.perf_counter() < deadline:
                outcomes.append(await _one(client, started, TRANSLATE_BODY))
            return outcomes

        results = await asyncio.gather(*(worker() for _ in range(clients)))
    return [outcome for outcomes in results for outcome in outcomes]


def sequential_latency(base_url: str, count: int) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base_url, timeout=60) as client:
        for _ in range(count):
            sent = time.perf_counter()
            response = client.post("/translate", json=TRANSLATE_BODY)
            assert response.status_code == 200, response.text
            latencies.append(time.perf_counter() - sent)
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn master's child processes (its workers)."""
    children: list[int] = []
    for task in Path(f"/proc/{master_pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.extend(int(pid) for pid in text)
    return sorted(children)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def wait_idle(base_url: str, timeout_s: float = 60) -> None:
    """Until the worker has nothing in flight or waiting."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        cache = httpx.get(f"{base_url}/cache", timeout=10).json()
        if cache["inflight"] == 0 and cache["waiting"] == 0 and cache["queued_sentences"] == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("the server did not become idle")
