from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import RunningServer, running_server, wait_ready


@pytest.fixture(scope="package")
def test_model_server(
    test_models_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """The real server with production defaults (CTranslate2, converting on first load) over the test models:
    what validate-api.sh, api-tests.http, the load generator and the demo page are checked against."""
    env = {
        "MODEL_DIR": str(test_models_dir),
        "MODEL_CACHE_DIR": str(tmp_path_factory.mktemp("model-cache")),
        "HF_HUB_OFFLINE": "1",
        "PRELOAD_MODELS": "en->de",
    }
    with running_server(env) as server:
        wait_ready(server, timeout_s=120)
        yield server
