"""Metrics across gunicorn workers: the shared directory, dead workers, and the optional metrics port.

Every worker writes its metric values to files in PROMETHEUS_MULTIPROC_DIR, and whoever renders /metrics
reads all of them, so a scrape answered by any one worker counts the requests of all. prometheus_client
decides when it is first imported whether values go to files, from that variable: gunicorn.conf.py's
on_starting hook prepares the directory and exports the variable before any worker starts, and this module
imports prometheus_client only inside the functions that run after that.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class MetricsDirectory:
    path: Path
    # A directory we made is ours to remove at exit; one the operator named is only emptied at start.
    temporary: bool

    def remove_if_temporary(self) -> None:
        if self.temporary:
            shutil.rmtree(self.path, ignore_errors=True)


def prepare_directory(configured: Path | None) -> MetricsDirectory:
    """Create (or empty) the metric files directory; the caller exports it as PROMETHEUS_MULTIPROC_DIR.

    Files left by an earlier run would add that run's counts to this one's, so a configured directory is
    emptied; without one, a fresh temporary directory is used.
    """
    if configured is None:
        directory = MetricsDirectory(
            Path(tempfile.mkdtemp(prefix="mostlylucid-nmt-metrics-")), temporary=True
        )
    else:
        configured.mkdir(parents=True, exist_ok=True)
        for stale in configured.glob("*.db"):
            stale.unlink()
        directory = MetricsDirectory(configured, temporary=False)
    return directory


def mark_worker_dead(pid: int, directory: Path) -> None:
    """Drop a dead worker's gauges (its counters and histograms stay, so totals never go backwards)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]


def serve_metrics_port(host: str, port: int, directory: Path) -> None:
    """Serve every worker's metrics on `port` from a thread of the calling process (the gunicorn master)."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    start_http_server(port, addr=host, registry=registry)
