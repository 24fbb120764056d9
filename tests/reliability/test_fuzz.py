"""OpenAPI fuzzing with schemathesis over every operation, and property-based valid translation requests."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.profile import Profile
from tests.reliability.report import Report
from tests.support.server import running_server

pytestmark = pytest.mark.integration

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
ENV = {"TRANSLATION_BACKEND": "fake", "REQUEST_LOG": "0"}


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    profile: Profile, report: Report, tmp_path: Path
) -> None:
    result_path = tmp_path / "schemathesis.json"
    with running_server(ENV) as server:
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{server.base_url}/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                str(profile.fuzz_examples),
                "--seed",
                "20261127",
                "--generation-database",
                "none",
                # One worker: with two threads, schemathesis' own schema compilation has crashed inside
                # CPython 3.11 ("AST constructor recursion depth mismatch"), failing the run without a case.
                "--workers",
                "1",
                "--no-color",
                "--report",
                "json",
                "--report-json-path",
                str(result_path),
            ],
            capture_output=True,
            text=True,
            timeout=1200,
            cwd=tmp_path,  # schemathesis keeps a cache folder in its working directory
        )
        log = server.log()
    result = json.loads(result_path.read_text())
    cases = result["test_cases"]
    section = report.section(
        "fuzz",
        "OpenAPI fuzzing (schemathesis)",
        f"`schemathesis run` over the published schema, checks `{CHECKS}`, at most "
        f"{profile.fuzz_examples} examples per operation (operations without parameters are exhausted by "
        "a handful), positive and negative data, fixed seed.",
    )
    section.figure("schemathesis", result["schemathesis_version"])
    section.figure(
        "operations tested", f"{result['operations']['tested']} of {result['operations']['total']}"
    )
    section.figure("test cases generated", cases["generated"])
    section.figure("cases with failures", cases["with_failures"])
    section.figure("unique failures", cases["unique_failures"])
    section.figure("errored cases", cases["errored"])
    section.figure("server log lines at ERROR", log.count(" ERROR "))
    rates = result.get("valid_rates", {})
    rows = []
    for operation, phases in sorted(rates.items()):
        accepted = sum(phase.get("accepted", 0) for phase in phases.values())
        rejected = sum(phase.get("rejected", 0) for phase in phases.values())
        rows.append([operation, accepted, rejected])
    section.table(
        "Generated inputs per operation (accepted = 2xx, rejected = 4xx):",
        ["operation", "accepted", "rejected"],
        rows,
    )
    section.headline = (
        f"{cases['generated']} generated cases over {result['operations']['tested']} operations: "
        f"{cases['with_failures']} with a failure (server error or schema violation), {cases['errored']} errored."
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-2000:]
    assert result["operations"]["tested"] == result["operations"]["total"]
    assert cases["with_failures"] == 0
    assert cases["errored"] == 0
    assert result["failures"] == []
    assert " ERROR " not in log, log[-3000:]


# Valid requests: schemathesis' random language codes are nearly all refused with 400, which leaves the
# translation path itself unfuzzed. These are valid by construction, with hostile texts.
_TEXTS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # lone surrogates are a 400, tested elsewhere
    max_size=400,
)


def test_valid_requests_with_arbitrary_texts_are_always_answered(profile: Profile, report: Report) -> None:
    statuses: Counter[int] = Counter()
    with running_server(ENV) as server, httpx.Client(base_url=server.base_url, timeout=60) as client:
        pairs = [pair.split("-") for pair in client.get("/lang_pairs").json()][:200]

        @settings(
            max_examples=profile.fuzz_valid_examples,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(
            texts=st.one_of(_TEXTS, st.lists(_TEXTS, max_size=8)),
            pair=st.sampled_from(pairs),
            detect=st.booleans(),
            beam=st.integers(min_value=1, max_value=8),
            split=st.booleans(),
        )
        def check(texts: str | list[str], pair: list[str], detect: bool, beam: int, split: bool) -> None:
            body = {
                "text": texts,
                "target_lang": pair[1],
                "source_lang": "" if detect else pair[0],
                "beam_size": beam,
                "perform_sentence_splitting": split,
            }
            response = client.post("/translate", json=body)
            statuses[response.status_code] += 1
            assert response.status_code < 500, response.text
            if response.status_code == 200:
                answer = response.json()
                assert isinstance(answer["translated"], type(texts))
                if isinstance(texts, list):
                    assert len(answer["translated"]) == len(texts)
            else:
                assert response.json()["error"] in {"unsupported_language", "invalid_request"}, response.text

        check()
        log = server.log()
    section = report.section(
        "fuzz-valid",
        "Property-based valid requests (hypothesis)",
        "Valid pairs from `/lang_pairs`, detection on or off, any beam within the limit, and arbitrary "
        "Unicode texts (empty, whitespace, emoji, control characters, right-to-left, up to 8 per request).",
    )
    section.figure("requests", sum(statuses.values()))
    section.figure("status counts", dict(sorted(statuses.items())))
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    section.figure("server errors", server_errors)
    section.headline = (
        f"{sum(statuses.values())} valid requests with arbitrary texts: {server_errors} server errors."
    )
    assert " ERROR " not in log, log[-3000:]
