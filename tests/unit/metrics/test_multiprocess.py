"""The metric files directory the gunicorn master prepares for its workers."""

from __future__ import annotations

from pathlib import Path

from mostlylucid_nmt.metrics.multiprocess import prepare_directory


def test_without_a_configured_directory_a_temporary_one_is_made_and_removed() -> None:
    directory = prepare_directory(None)
    assert directory.temporary
    assert directory.path.is_dir()
    assert list(directory.path.iterdir()) == []
    directory.remove_if_temporary()
    assert not directory.path.exists()


def test_a_configured_directory_is_emptied_of_old_metric_files_and_kept(tmp_path: Path) -> None:
    configured = tmp_path / "metrics"
    configured.mkdir()
    (configured / "counter_123.db").write_bytes(b"old run")
    (configured / "gauge_livesum_123.db").write_bytes(b"old run")
    (configured / "notes.txt").write_text("not ours")
    directory = prepare_directory(configured)
    assert not directory.temporary
    assert sorted(path.name for path in configured.iterdir()) == ["notes.txt"]
    directory.remove_if_temporary()
    assert configured.is_dir()


def test_a_configured_directory_that_does_not_exist_is_created(tmp_path: Path) -> None:
    directory = prepare_directory(tmp_path / "a" / "b")
    assert directory.path.is_dir()
