"""`serve`: replace this process with gunicorn, configured from the settings like `make run`.

It uses the package's gunicorn configuration and app factory, so an installed copy serves without the
repository. Exec rather than a child process: in a container the server stays PID 1 and gets SIGTERM itself.
"""

from __future__ import annotations

import os
import sys

from mostlylucid_nmt.settings import load_settings

GUNICORN_CONFIG = "python:mostlylucid_nmt.gunicorn_config"
APP_FACTORY = "mostlylucid_nmt.main:create_app()"


def gunicorn_command() -> list[str]:
    return [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, APP_FACTORY]


def exec_gunicorn(overrides: dict[str, str]) -> None:
    """Apply the command line's settings as environment variables, check them all, then become gunicorn."""
    os.environ.update(overrides)
    load_settings()  # raises SettingsError naming the variable, before gunicorn starts
    command = gunicorn_command()
    os.execv(command[0], command)  # noqa: S606 -- a fixed command: this interpreter running gunicorn
