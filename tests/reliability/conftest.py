"""The reliability suite: collected only when RELIABILITY_PROFILE is set (`make reliability`, `.ci/run`).

Each test records its figures in the session's `Report`; at the end they are printed, saved as JSON next to
the report, and, when RELIABILITY_REPORT names a file, written there as markdown (REPORT.md).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reliability.profile import Profile, current_profile
from tests.reliability.report import Report

_PROFILE = current_profile()
if _PROFILE is None:
    collect_ignore_glob = ["test_*.py"]

_REPORT = Report(profile=_PROFILE.name if _PROFILE else "none")


@pytest.fixture(scope="session")
def profile() -> Profile:
    assert _PROFILE is not None
    return _PROFILE


@pytest.fixture(scope="session")
def report() -> Report:
    return _REPORT


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _PROFILE is None or "tests/reliability/" not in report.nodeid:
        return
    name = report.nodeid.split("tests/reliability/", 1)[1]
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _REPORT.outcomes[name] = report.outcome


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _PROFILE is None or not _REPORT.outcomes:
        return
    target = os.environ.get("RELIABILITY_REPORT", "").strip()
    if target:
        path = Path(target)
        path.write_text(_REPORT.to_markdown(), encoding="utf-8")
        path.with_suffix(".json").write_text(_REPORT.to_json(), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _PROFILE is None or not _REPORT.sections:
        return
    terminalreporter.section(f"reliability figures ({_PROFILE.name})")
    for section in _REPORT.sections.values():
        figures = ", ".join(f"{name}={value}" for name, value in section.figures.items())
        terminalreporter.write_line(f"{section.title}: {figures}")
