"""Gunicorn configuration, derived from the service settings (environment variables).

Gunicorn reads the module-level names below. Two ways in, both the same settings:
`gunicorn -c gunicorn.conf.py app:app` from the repository root (that file imports this one), and
`gunicorn -c python:mostlylucid_nmt.gunicorn_config 'mostlylucid_nmt.main:create_app()'`, which
`mostlylucid-nmt serve` runs and which needs only the installed package.
"""

import os
import sys
from typing import Any

from mostlylucid_nmt.metrics.multiprocess import (
    MetricsDirectory,
    mark_worker_dead,
    prepare_directory,
    serve_metrics_port,
)
from mostlylucid_nmt.settings import SettingsError, load_settings

__all__ = [
    "accesslog",
    "bind",
    "child_exit",
    "errorlog",
    "graceful_timeout",
    "keepalive",
    "loglevel",
    "on_exit",
    "on_starting",
    "preload_app",
    "timeout",
    "worker_class",
    "workers",
]

try:
    _settings = load_settings()
except SettingsError as error:
    print(f"mostlylucid-nmt: {error}", file=sys.stderr)
    raise SystemExit(2) from None

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.effective_web_concurrency
worker_class = "mostlylucid_nmt.serving.ServiceWorker"
timeout = _settings.timeout_s
graceful_timeout = _settings.graceful_timeout_s
keepalive = _settings.keep_alive_s
loglevel = _settings.log_level.lower()
# The application logs one line per request itself (without query strings, which may hold user text).
accesslog = None
errorlog = "-"
# Each worker loads its own models after fork; nothing heavy is imported in the master.
preload_app = False

# --- metrics across workers (src/mostlylucid_nmt/metrics/multiprocess.py) ---
_metrics_directory: MetricsDirectory | None = None


def on_starting(server: Any) -> None:
    """Before any worker starts: the directory every worker writes its metric values to, and METRICS_PORT."""
    global _metrics_directory
    try:
        _metrics_directory = prepare_directory(_settings.prometheus_multiproc_dir)
    except OSError as error:
        print(f"mostlylucid-nmt: PROMETHEUS_MULTIPROC_DIR: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    # prometheus_client reads it when first imported: in the workers, which start after this.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_directory.path)
    if _settings.metrics_port is not None:
        try:
            serve_metrics_port(_settings.host, _settings.metrics_port, _metrics_directory.path)
        except OSError as error:
            print(f"mostlylucid-nmt: METRICS_PORT {_settings.metrics_port}: {error}", file=sys.stderr)
            raise SystemExit(2) from None


def child_exit(server: Any, worker: Any) -> None:
    """A worker died or was replaced: its gauges no longer count (its counters do)."""
    if _metrics_directory is not None:
        mark_worker_dead(worker.pid, _metrics_directory.path)


def on_exit(server: Any) -> None:
    if _metrics_directory is not None:
        _metrics_directory.remove_if_temporary()
