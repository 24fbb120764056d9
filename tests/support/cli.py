"""Run the command line as a user would: a separate process, `python -m mostlylucid_nmt` or the console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pydantic import AliasChoices

from mostlylucid_nmt.settings import Settings

# The console script pip installs beside the interpreter (`make install` installs the package editable).
CONSOLE_SCRIPT = Path(sys.executable).with_name("mostlylucid-nmt")
MODULE_COMMAND = [sys.executable, "-m", "mostlylucid_nmt"]


def clean_environment(env: dict[str, str]) -> dict[str, str]:
    """The process environment without any setting the service reads (a developer's shell must not leak into
    a test), plus `env`. Hub progress bars are left on: they go to stderr, which tests read separately."""
    names = {"HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE"}
    for field in Settings.model_fields.values():
        if isinstance(field.validation_alias, AliasChoices):
            names.update(str(choice) for choice in field.validation_alias.choices)
    base = {key: value for key, value in os.environ.items() if key.upper() not in names}
    return {**base, **env}


def run_cli(
    args: list[str],
    env: dict[str, str],
    *,
    stdin: str | None = None,
    cwd: Path | None = None,
    script: bool = False,
    timeout_s: float = 240,
) -> subprocess.CompletedProcess[str]:
    """Run `mostlylucid-nmt ARGS` to completion; stdout and stderr are captured separately."""
    command = [str(CONSOLE_SCRIPT)] if script else list(MODULE_COMMAND)
    return subprocess.run(
        [*command, *args],
        env=clean_environment(env),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout_s,
        check=False,
    )
