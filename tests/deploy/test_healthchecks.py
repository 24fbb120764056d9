"""The images' HEALTHCHECK and the compose healthchecks, run as written against the real server.

Inside an image `python` is the virtualenv's; here it is this interpreter. Everything else is the command
exactly as the Dockerfiles and compose files give it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import yaml

from tests.deploy.images import REPO_ROOT, VARIANTS, load
from tests.support.server import RunningServer, free_port, running_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server({"TRANSLATION_BACKEND": "fake"}) as server:
        yield server


def run_check(argv: list[str], port: int) -> subprocess.CompletedProcess[str]:
    assert argv[0] == "python"
    env = {**os.environ, "PORT": str(port)}
    return subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True, text=True, timeout=30)


def compose_checks() -> list[tuple[str, list[str]]]:
    checks = []
    for name in ("docker-compose.yml", "docker-compose.dev.yml"):
        compose = yaml.safe_load((REPO_ROOT / name).read_text(encoding="utf-8"))
        for service, spec in compose["services"].items():
            test = spec["healthcheck"]["test"]
            assert test[0] == "CMD"
            checks.append((f"{name}:{service}", test[1:]))
    return checks


def all_checks() -> list[tuple[str, list[str]]]:
    return [(variant, load(variant).healthcheck_argv()) for variant in VARIANTS] + compose_checks()


@pytest.mark.parametrize(("where", "argv"), all_checks(), ids=[where for where, _ in all_checks()])
def test_the_healthcheck_passes_against_a_live_server_and_fails_without_one(
    server: RunningServer, where: str, argv: list[str]
) -> None:
    port = urlsplit(server.base_url).port
    assert port is not None
    assert "os.environ.get('PORT', '8000')" in argv[-1], f"{where} must follow PORT"

    healthy = run_check(argv, port)
    assert healthy.returncode == 0, healthy.stderr

    down = run_check(argv, free_port())
    assert down.returncode != 0
