"""The cache listing reads the CTranslate2 folder layout without importing that engine's backend."""

from __future__ import annotations

import json
from pathlib import Path

from mostlylucid_nmt.backends import ctranslate2_backend
from mostlylucid_nmt.cli import model_cache


def test_layout_names_match_the_ctranslate2_backend() -> None:
    assert model_cache.CONVERTED_SUBDIR == ctranslate2_backend.CONVERTED_SUBDIR
    assert model_cache.SOURCE_RECORD == ctranslate2_backend.SOURCE_RECORD
    assert model_cache.PARTIAL_PREFIX == ctranslate2_backend.PARTIAL_PREFIX


def test_an_interrupted_conversion_is_listed_as_incomplete_and_cleared(tmp_path: Path) -> None:
    root = tmp_path / model_cache.CONVERTED_SUBDIR
    done = root / "Helsinki-NLP--opus-mt-en-de--0123456789abcdef"
    partial = root / f"{model_cache.PARTIAL_PREFIX}Helsinki-NLP--opus-mt-de-en--fedcba9876543210-x1y2"
    done.mkdir(parents=True)
    partial.mkdir()
    (done / "model.bin").write_bytes(b"\0" * 100)
    (done / model_cache.SOURCE_RECORD).write_text(json.dumps({"repo_id": "Helsinki-NLP/opus-mt-en-de"}))
    (partial / "model.bin").write_bytes(b"\0" * 10)
    (root / "Helsinki-NLP--opus-mt-en-de--0123456789abcdef.lock").touch()

    contents = model_cache.scan(tmp_path)

    assert contents.models == []
    assert [(copy.repo_id, copy.complete, copy.size_bytes) for copy in contents.converted] == [
        ("Helsinki-NLP/opus-mt-de-en", False, 10),
        (
            "Helsinki-NLP/opus-mt-en-de",
            True,
            100 + len(json.dumps({"repo_id": "Helsinki-NLP/opus-mt-en-de"})),
        ),
    ]
    removed = model_cache.clear(contents, {"Helsinki-NLP/opus-mt-de-en"})
    assert removed == [str(partial)]
    assert sorted(path.name for path in root.iterdir()) == [done.name, f"{done.name}.lock"]


def test_a_missing_cache_folder_is_empty(tmp_path: Path) -> None:
    contents = model_cache.scan(tmp_path / "absent")
    assert (contents.models, contents.converted, contents.total_bytes) == ([], [], 0)


def test_human_sizes() -> None:
    assert [model_cache.human_size(size) for size in (0, 1023, 1024, 5 * 1024**3)] == [
        "0 B",
        "1023 B",
        "1.0 KiB",
        "5.0 GiB",
    ]
