"""Start, watch and stop the servers under test: ours (gunicorn, production defaults) and the baseline.

Every server runs in its own process group on 127.0.0.1 and is stopped by the context manager that started
it (SIGTERM to the group, SIGKILL after a grace period), whatever happens in between. Memory and CPU are
read from /proc for the whole process tree: gunicorn's master and its workers.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

import httpx

from bench import workspace
from bench.load import translate_body

_STOP_GRACE_S: Final = 30.0
# Engine variables that change speed without being service settings; the benchmark runs the engines'
# defaults unless --server-env says otherwise. (CT2_USE_MKL=1 alone makes int8 15x slower on AMD CPUs.)
_ENGINE_VARIABLES: Final = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TORCH_NUM_THREADS")
_ENGINE_PREFIXES: Final = ("CT2_",)


class ServerError(RuntimeError):
    """A server did not start, or died while measured."""


@dataclass
class RunningServer:
    name: str
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise ServerError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_variable_names() -> set[str]:
    """Every environment variable the service reads (from its Settings), upper-cased."""
    from pydantic import AliasChoices

    from mostlylucid_nmt.settings import Settings

    names: set[str] = set()
    for name, info in Settings.model_fields.items():
        names.add(name.upper())
        if isinstance(info.validation_alias, AliasChoices):
            names.update(str(choice).upper() for choice in info.validation_alias.choices)
    return names


def clean_environment() -> dict[str, str]:
    """This process's environment without anything that would configure the service or its engines."""
    drop = service_variable_names() | set(_ENGINE_VARIABLES)
    return {
        key: value
        for key, value in os.environ.items()
        if key.upper() not in drop and not key.upper().startswith(_ENGINE_PREFIXES)
    }


# ----------------------------------------------------------------------------------------------- /proc


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (gunicorn's master and workers)."""
    tree = [pid]
    index = 0
    while index < len(tree):
        parent = tree[index]
        index += 1
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as handle:
                    tree.extend(int(child) for child in handle.read().split())
        except OSError:
            continue  # exited meanwhile
    return tree


def rss_mb(pid: int) -> float | None:
    """Resident set size (VmRSS) of one process in MB (10^6 bytes), None if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        return None
    return None


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of the given processes that is alive."""
    seconds: dict[int, float] = {}
    ticks_per_s = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
                # The command name (field 2) may hold spaces; the fields after its closing paren are fixed.
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks_per_s  # utime, stime
    return seconds


# ---------------------------------------------------------------------------------------------- lifecycle


def _stop(server: RunningServer) -> None:
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGTERM)
            server.process.wait(timeout=_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
        except ProcessLookupError:
            pass
    # A worker that outlived its master would keep its port and memory: end the rest of the group too.
    with suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)


def _wait_until_up(server: RunningServer, path: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        server.check_alive()
        try:
            if httpx.get(f"{server.base_url}{path}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise ServerError(f"{server.name} did not answer {path} within {timeout_s:.0f} s:\n{server.log_tail()}")


@contextmanager
def _running(
    name: str, command: list[str], env: Mapping[str, str], port: int, health_path: str, start_timeout_s: float
) -> Iterator[RunningServer]:
    workspace.LOGS_DIR.mkdir(parents=True, exist_ok=True)
    log_path = workspace.LOGS_DIR / f"{name}.log"
    log: TextIO = log_path.open("w", encoding="utf-8")
    try:
        process = subprocess.Popen(
            command,
            cwd=workspace.REPO_ROOT,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so that stopping it reaches every worker
        )
        server = RunningServer(name, process, f"http://127.0.0.1:{port}", log_path)
        try:
            _wait_until_up(server, health_path, start_timeout_s)
            yield server
        finally:
            _stop(server)
    finally:
        log.close()


@contextmanager
def our_server(extra_env: Mapping[str, str], start_timeout_s: float = 120) -> Iterator[RunningServer]:
    """`python -m gunicorn -c gunicorn.conf.py app:app` with production defaults plus `extra_env`."""
    port = free_port()
    env = {
        **clean_environment(),
        # Where the model is and that the hub is off; where the CTranslate2 copy goes (not a speed knob).
        "MODEL_DIR": str(workspace.MODELS_DIR),
        "HF_HUB_OFFLINE": "1",
        "MODEL_CACHE_DIR": str(workspace.SERVER_CACHE_DIR),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        # The same 32 new tokens as every other engine (EOS never wins, so the budget is what stops it).
        "MAX_NEW_TOKENS": str(workspace.NEW_TOKENS),
        # A log line per request would cost the server time the baseline does not spend.
        "LOG_LEVEL": "WARNING",
        "REQUEST_LOG": "0",
        # The load cycles through a fixed list of sentences: cached answers would measure the cache, not the
        # engine and the batching.
        "CHUNK_CACHE_ENABLED": "0",
        **extra_env,
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"]
    with _running("our-server", command, env, port, "/healthz", start_timeout_s) as server:
        yield server


@contextmanager
def baseline_server(threads: int = 2, start_timeout_s: float = 120) -> Iterator[RunningServer]:
    """bench/baseline_server.py: EasyNMT's way of serving, on the same model."""
    port = free_port()
    command = [
        sys.executable,
        str(workspace.REPO_ROOT / "bench" / "baseline_server.py"),
        "--model-dir",
        str(workspace.MODEL_DIR),
        "--port",
        str(port),
        "--max-new-tokens",
        str(workspace.NEW_TOKENS),
        "--threads",
        str(threads),
    ]
    env = {**clean_environment(), "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(workspace.REPO_ROOT)}
    with _running("baseline-server", command, env, port, "/health", start_timeout_s) as server:
        yield server


# ------------------------------------------------------------------------------------------------ warm-up


async def warm_up_workers(
    server: RunningServer, sentences: list[str], *, loaded_growth_mb: float, timeout_s: float
) -> tuple[int, int]:
    """Send bursts of requests on fresh connections until every worker has loaded the model.

    Our server loads models lazily, per worker process, and the kernel hands each new connection to
    whichever worker accepts first: bursts of new connections reach them all sooner or later. A worker has
    loaded the model once its RSS has grown by `loaded_growth_mb` over what it had idle (the int8 copy
    alone is ~75 MB, the fp32 one ~300 MB). Returns (workers warm, workers).
    """
    workers = process_tree(server.pid)[1:] or [server.pid]
    idle = {pid: rss_mb(pid) or 0.0 for pid in workers}

    def warm() -> list[int]:
        return [pid for pid in workers if (rss_mb(pid) or 0.0) - idle[pid] >= loaded_growth_mb]

    async def one(text: str) -> None:
        # A new client per request is a new connection, so each can land on another worker.
        async with httpx.AsyncClient(base_url=server.base_url, timeout=timeout_s) as http:
            with suppress(httpx.HTTPError):
                await http.post("/translate", json=translate_body(text))

    deadline = time.monotonic() + timeout_s
    burst = 0
    while len(warm()) < len(workers) and time.monotonic() < deadline:
        server.check_alive()
        size = 4 * len(workers)
        texts = [sentences[(burst * size + index) % len(sentences)] for index in range(size)]
        await asyncio.gather(*(one(text) for text in texts))
        burst += 1
    return len(warm()), len(workers)
