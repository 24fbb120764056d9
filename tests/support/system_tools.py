"""System programs some tests need (Chromium, chromedriver, node, shellcheck), from .ci/browser-deps.sh.

CI runs that script before the tests. When a test finds a program missing it runs the script itself if it
can (root), and otherwise skips with the reason: a developer's machine without them still runs everything else.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.server import REPO_ROOT

DEPS_SCRIPT = REPO_ROOT / ".ci" / "browser-deps.sh"


def require_tools(*names: str) -> dict[str, str]:
    """The paths of the named programs, installing them as root when missing, else skipping the test."""
    missing = [name for name in names if shutil.which(name) is None]
    if missing and os.geteuid() == 0:
        subprocess.run(["bash", str(DEPS_SCRIPT)], check=True, timeout=900)
        missing = [name for name in names if shutil.which(name) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}: run .ci/browser-deps.sh as root (or install them)")
    return {name: str(shutil.which(name)) for name in names}
