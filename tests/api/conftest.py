from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import RunningServer, running_server


@pytest.fixture(scope="module")
def fake_server() -> Iterator[RunningServer]:
    """The real server (gunicorn + uvicorn worker) with the fake backend, for contract tests."""
    with running_server({"TRANSLATION_BACKEND": "fake"}) as server:
        yield server


@pytest.fixture
def client(fake_server: RunningServer) -> Iterator[httpx.Client]:
    with fake_server.client() as client:
        yield client
