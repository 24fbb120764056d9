"""Gunicorn configuration for `gunicorn -c gunicorn.conf.py app:app`, run from the repository root.

The settings live in the package (`mostlylucid_nmt/gunicorn_config.py`) so that an installed copy can serve
without this repository (`mostlylucid-nmt serve`); this file only hands them to gunicorn.
"""

from mostlylucid_nmt.gunicorn_config import (
    accesslog,
    bind,
    child_exit,
    errorlog,
    graceful_timeout,
    keepalive,
    loglevel,
    on_exit,
    on_starting,
    preload_app,
    timeout,
    worker_class,
    workers,
)

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
