"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_MODELS_DIR = REPO_ROOT / ".test-models"
_TEST_MODEL_SOURCES = (
    Path(__file__).with_name("make_test_models.py"),
    Path(__file__).with_name("fixtures") / "spm_corpus.txt",
)
_TEST_MODELS_STAMP = TEST_MODELS_DIR / ".stamp"


def _test_models_digest() -> str:
    digest = hashlib.sha256()
    for source in _TEST_MODEL_SOURCES:
        digest.update(source.read_bytes())
    # Another version of these may write different files from the same script.
    for package in ("torch", "transformers", "sentencepiece", "safetensors"):
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    return digest.hexdigest()


def _test_models_are_current(digest: str) -> bool:
    if not _TEST_MODELS_STAMP.is_file():
        return False
    stamped_digest, *repo_ids = _TEST_MODELS_STAMP.read_text(encoding="utf-8").splitlines()
    return stamped_digest == digest and all(
        (TEST_MODELS_DIR / repo_id / "model.safetensors").is_file() for repo_id in repo_ids
    )


@pytest.fixture(scope="session")
def test_models_dir() -> Iterator[Path]:
    """Tiny real-format models as ``<org>/<name>`` folders (see tests/make_test_models.py), Hub offline.

    Built into .test-models/ at the repository root the first time, then reused until the builder, its
    corpus or the library versions change (a stamp file holds their hash).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        # huggingface_hub reads the variable once, when imported: tell an already imported copy as well.
        import huggingface_hub.constants

        patch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
        digest = _test_models_digest()
        if not _test_models_are_current(digest):
            # Imported here: torch and transformers take seconds to import, and most tests never need them.
            from tests.make_test_models import build_models

            shutil.rmtree(TEST_MODELS_DIR, ignore_errors=True)
            reports = build_models(TEST_MODELS_DIR)
            # Written last, so an interrupted build is redone rather than trusted.
            lines = [digest, *(report.repo_id for report in reports)]
            _TEST_MODELS_STAMP.write_text("\n".join(lines) + "\n", encoding="utf-8")
        yield TEST_MODELS_DIR
