"""validate-api.sh passes against the real server with the test models, and really fails when it should."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.server import REPO_ROOT, RunningServer, free_port, running_server
from tests.support.system_tools import require_tools

pytestmark = pytest.mark.integration

SCRIPT = REPO_ROOT / "validate-api.sh"
SUMMARY = re.compile(r"^Summary: (\d+) passed, (\d+) failed, (\d+) cases$", re.MULTILINE)


def _run(*args: str) -> tuple[int, str, list[str], list[str]]:
    result = subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False
    )
    passed = re.findall(r"^PASS  (.+)$", result.stdout, re.MULTILINE)
    failed = re.findall(r"^FAIL  (.+?):", result.stdout, re.MULTILINE)
    return result.returncode, result.stdout + result.stderr, passed, failed


def _summary(output: str) -> tuple[int, int, int]:
    match = SUMMARY.search(output)
    assert match, output
    passed, failed, total = (int(group) for group in match.groups())
    return passed, failed, total


@pytest.fixture(scope="module")
def full_run(test_model_server: RunningServer) -> tuple[int, str, list[str], list[str]]:
    return _run("--base-url", test_model_server.base_url)


def test_full_suite_passes(full_run: tuple[int, str, list[str], list[str]]) -> None:
    code, output, passed, failed = full_run
    assert code == 0, output
    assert failed == []
    assert len(passed) >= 30
    assert len(set(passed)) == len(passed), "case names must be unique"
    assert _summary(output) == (len(passed), 0, len(passed))


@pytest.mark.parametrize("client", ["curl", "python3"])
def test_smoke_only_passes_with_a_subset(
    test_model_server: RunningServer, full_run: tuple[int, str, list[str], list[str]], client: str
) -> None:
    code, output, passed, _ = _run(
        "--base-url", test_model_server.base_url, "--smoke-only", "--client", client
    )
    assert code == 0, output
    assert f"requests through {client}" in output
    full = full_run[2]
    assert 5 <= len(passed) < len(full)
    assert set(passed) < set(full)


def test_another_pair_through_the_flags(test_model_server: RunningServer) -> None:
    # en->fr is served by the multi-target opus-mt-en-roa model.
    code, output, passed, _ = _run(
        "--base-url", test_model_server.base_url, "--smoke-only", "--source-lang", "en", "--target-lang", "fr"
    )
    assert code == 0, output
    assert "GET /lang_pairs lists the pair" in passed


def test_no_server_fails_every_case() -> None:
    code, output, passed, failed = _run("--base-url", f"http://127.0.0.1:{free_port()}", "--smoke-only")
    assert code == 1
    assert passed == []
    assert len(failed) == _summary(output)[2] > 0


def test_a_server_that_breaks_the_contract_fails_that_case() -> None:
    # A server that accepts any beam size breaks the documented 400; only that case may fail.
    env = {"TRANSLATION_BACKEND": "fake", "EASYNMT_MAX_BEAM_SIZE": "5000"}
    with running_server(env) as server:
        code, output, _, failed = _run("--base-url", server.base_url)
    assert code == 1, output
    assert failed == ["beam_size over the limit is 400"]


def test_bad_option_is_a_usage_error() -> None:
    code, output, _, _ = _run("--colour")
    assert code == 2
    assert "unknown option" in output


def test_script_is_shellcheck_clean() -> None:
    tools = require_tools("shellcheck")
    result = subprocess.run(
        [tools["shellcheck"], str(SCRIPT), str(REPO_ROOT / ".ci" / "browser-deps.sh")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_powershell_twin_has_the_same_cases_in_the_same_order() -> None:
    # PowerShell is not installed on the CI machines; this keeps validate-api.ps1 from drifting apart.
    shell_cases = re.findall(r'^\s*case_ "([^"]+)"', SCRIPT.read_text(), re.MULTILINE)
    powershell = (REPO_ROOT / "validate-api.ps1").read_text()
    powershell_cases = re.findall(r'^\s*Test-Case "([^"]+)"', powershell, re.MULTILINE)
    assert len(shell_cases) >= 30
    assert powershell_cases == shell_cases
    for flag in ("$BaseURL", "[switch]$SmokeOnly", "$SourceLang", "$TargetLang"):
        assert flag in powershell
