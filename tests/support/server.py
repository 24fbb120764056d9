"""Start the real server (gunicorn + uvicorn worker) on 127.0.0.1 for a test, and stop it afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import AliasChoices

from mostlylucid_nmt.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]


def _service_variables() -> set[str]:
    """Every environment variable the settings read: the developer's shell must not change a test server."""
    names = {"HF_ENDPOINT"}
    for field in Settings.model_fields.values():
        if isinstance(field.validation_alias, AliasChoices):
            names.update(str(choice) for choice in field.validation_alias.choices)
    return names


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60, **kwargs)  # type: ignore[arg-type]


@contextmanager
def running_server(env: dict[str, str], *, start_timeout_s: float = 90) -> Iterator[RunningServer]:
    port = free_port()
    excluded = _service_variables()
    base_env = {key: value for key, value in os.environ.items() if key.upper() not in excluded}
    full_env = {
        **base_env,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "HF_HUB_OFFLINE": "1",
        "LOG_LEVEL": "INFO",
        **env,
    }
    log_file = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
        cwd=REPO_ROOT,
        env=full_env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = RunningServer(f"http://127.0.0.1:{port}", process, Path(log_file.name))
    try:
        _wait_until_up(server, start_timeout_s)
        yield server
    finally:
        stop(server)
        log_file.close()


def _wait_until_up(server: RunningServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not start within {timeout_s} s:\n{server.log()}")


def wait_ready(server: RunningServer, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if httpx.get(f"{server.base_url}/readyz", timeout=5).status_code == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"server not ready within {timeout_s} s:\n{server.log()}")


def stop(server: RunningServer, timeout_s: float = 30) -> None:
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
