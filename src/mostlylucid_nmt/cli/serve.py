"""`serve`: replace this process with gunicorn, configured from the settings like `make run`.

It uses the package's gunicorn configuration and app factory, so an installed copy serves without the
repository. Exec rather than a child process: in a container the server stays PID 1 and gets SIGTERM itself.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from mostlylucid_nmt.settings import load_settings

GUNICORN_CONFIG = "python:mostlylucid_nmt.gunicorn_config"
APP_FACTORY = "mostlylucid_nmt.main:create_app()"


def gunicorn_command(overrides: dict[str, Any]) -> list[str]:
    """The gunicorn command line. Options given on the command line (host, port, web_concurrency) are checked
    with every other setting, then passed as gunicorn flags, which win over its configuration module."""
    settings = load_settings(**overrides)  # raises SettingsError naming the variable, before gunicorn starts
    flags: list[str] = []
    if "host" in overrides or "port" in overrides:
        flags += ["--bind", f"{settings.host}:{settings.port}"]
    if "web_concurrency" in overrides:
        flags += ["--workers", str(settings.effective_web_concurrency)]
    return [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, *flags, APP_FACTORY]


def exec_gunicorn(overrides: dict[str, Any]) -> None:
    command = gunicorn_command(overrides)
    os.execv(command[0], command)  # noqa: S606 -- a fixed command: this interpreter running gunicorn
