"""Gunicorn configuration, derived from the service settings (environment variables).

Gunicorn reads the module-level names below. Two ways in, both the same settings:
`gunicorn -c gunicorn.conf.py app:app` from the repository root (that file imports this one), and
`gunicorn -c python:mostlylucid_nmt.gunicorn_config 'mostlylucid_nmt.main:create_app()'`, which
`mostlylucid-nmt serve` runs and which needs only the installed package.
"""

import sys

from mostlylucid_nmt.settings import SettingsError, load_settings

__all__ = [
    "accesslog",
    "bind",
    "errorlog",
    "graceful_timeout",
    "keepalive",
    "loglevel",
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
