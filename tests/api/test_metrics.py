"""GET /metrics after real traffic, read with prometheus_client's own parser.

The real server runs two gunicorn workers: counts must add up over both, labels must be route templates, and
a dead worker's gauges must go while its counters stay. Also: the separate METRICS_PORT, the in-process
fallback without gunicorn, and the timing headers.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from mostlylucid_nmt.main import create_app
from mostlylucid_nmt.settings import load_settings
from tests.support.server import REPO_ROOT, RunningServer, free_port, running_server

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

_ACCESS_LINE = re.compile(r"\[(\d+)\] mostlylucid_nmt\.access \[[^\]]*\] POST /translate 200 ")


def parse(text: str) -> list[Sample]:
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def as_dict(samples: list[Sample]) -> Samples:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value for sample in samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def translate(server: RunningServer, text: str) -> httpx.Response:
    # A new connection per request, so that both workers get some (each accepts connections on its own).
    with server.client() as client:
        return client.post("/translate", json={"text": text, "target_lang": "de", "source_lang": "en"})


def translating_workers(server: RunningServer) -> set[str]:
    return set(_ACCESS_LINE.findall(server.log()))


def scrape_when_counted(url: str, name: str, expected: float, **labels: str) -> list[Sample]:
    """Scrape until `name{labels}` reaches `expected`: a request is counted just after its response is sent,
    so a client can see the response a moment before the count (on another worker's connection, say)."""
    samples: list[Sample] = []

    def counted() -> bool:
        nonlocal samples
        samples = parse(httpx.get(url, timeout=10).text)
        return value(as_dict(samples), name, **labels) >= expected

    wait_for(counted)
    return samples


def wait_for(condition: Callable[[], bool], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


@pytest.mark.integration
def test_two_workers_add_up_with_route_templates_and_dead_workers_drop_their_gauges() -> None:
    env = {"TRANSLATION_BACKEND": "fake", "WEB_CONCURRENCY": "2", "LOG_LEVEL": "INFO"}
    with running_server(env) as server:
        sent = 0
        with ThreadPoolExecutor(max_workers=8) as pool:
            # Until both workers have translated something (a few rounds at most: they race for connections).
            while len(translating_workers(server)) < 2 and sent < 400:
                responses = list(
                    pool.map(lambda index: translate(server, f"Sentence {index}."), range(sent, sent + 16))
                )
                assert {response.status_code for response in responses} == {200}
                sent += len(responses)
        workers = translating_workers(server)
        assert len(workers) == 2, "one worker took every connection"
        with server.client() as client:
            assert client.get("/discover/opus-mt").status_code == 200
            assert client.get("/discover/m2m100").status_code == 200
            assert client.get("/no/such/path/12345").status_code == 404
            assert client.request("PURGE", "/translate").status_code == 405
        samples = scrape_when_counted(
            f"{server.base_url}/metrics",
            "http_requests_total",
            1,
            method="other",
            path="/translate",
            status="405",
        )
        samples = scrape_when_counted(
            f"{server.base_url}/metrics",
            "http_requests_total",
            sent,
            method="POST",
            path="/translate",
            status="200",
        )
        metrics = as_dict(samples)

        # Every request of both workers, whichever worker answered the scrape.
        assert value(metrics, "http_requests_total", method="POST", path="/translate", status="200") == sent
        assert value(metrics, "http_request_duration_seconds_count", method="POST", path="/translate") == sent
        assert (
            value(metrics, "http_requests_total", method="GET", path="/discover/{family}", status="200") == 2
        )
        assert value(metrics, "http_requests_total", method="GET", path="<unmatched>", status="404") == 1
        assert value(metrics, "http_requests_total", method="other", path="/translate", status="405") == 1
        # Each worker loaded the model itself: gauges add up over the live workers.
        assert value(metrics, "nmt_models_loaded") == 2
        assert value(metrics, "nmt_model_loads_total") == 2
        assert value(metrics, "nmt_translation_cache_misses_total") == sent  # all texts differ
        assert value(metrics, "nmt_batch_sentences_sum") == sent
        assert value(metrics, "nmt_inflight_requests") == 0
        assert value(metrics, "nmt_queue_waiting_requests") == 0

        # Labels: route templates only, never a raw path or a client's address.
        http = [sample for sample in samples if sample.name.startswith("http_request")]
        # (/healthz: the test helper's start-up probes; /metrics: the scrapes before this one.)
        paths = {sample.labels["path"] for sample in http}
        expected = {"/healthz", "/translate", "/discover/{family}", "<unmatched>"}
        assert expected <= paths <= expected | {"/metrics"}
        label_values = {value for sample in samples for value in sample.labels.values()}
        assert not {"/discover/opus-mt", "/discover/m2m100", "/no/such/path/12345"} & label_values
        assert not any("127.0.0.1" in label for label in label_values)
        assert {name for sample in http for name in sample.labels} <= {"method", "path", "status", "le"}

        # A worker dies: gunicorn replaces it; its gauges go, its counts stay.
        os.kill(int(sorted(workers)[0]), signal.SIGKILL)

        def dead_worker_forgotten() -> bool:
            with server.client() as client:
                return value(as_dict(parse(client.get("/metrics").text)), "nmt_models_loaded") == 1

        wait_for(dead_worker_forgotten)
        with server.client() as client:
            after = as_dict(parse(client.get("/metrics").text))
        assert value(after, "http_requests_total", method="POST", path="/translate", status="200") == sent
        assert value(after, "nmt_model_loads_total") == 2


@pytest.mark.integration
def test_metrics_port_serves_every_worker_and_the_main_port_has_none() -> None:
    metrics_port = free_port()
    env = {"TRANSLATION_BACKEND": "fake", "WEB_CONCURRENCY": "2", "METRICS_PORT": str(metrics_port)}
    with running_server(env) as server:
        for index in range(6):
            assert translate(server, f"Text {index}.").status_code == 200
        with server.client() as client:
            assert client.get("/metrics").status_code == 404
        url = f"http://127.0.0.1:{metrics_port}/metrics"
        assert httpx.get(url, timeout=10).status_code == 200
        scrape_when_counted(url, "http_requests_total", 6, method="POST", path="/translate", status="200")
        metrics = as_dict(
            scrape_when_counted(url, "http_requests_total", 1, method="GET", path="<unmatched>", status="404")
        )
        assert value(metrics, "http_requests_total", method="POST", path="/translate", status="200") == 6
        assert value(metrics, "http_requests_total", method="GET", path="<unmatched>", status="404") == 1


def test_without_gunicorn_the_process_serves_its_own_metrics_and_timing_headers() -> None:
    app = create_app(load_settings({"TRANSLATION_BACKEND": "fake"}))
    with TestClient(app) as client:
        response = client.post(
            "/translate", json={"text": "Hello.", "target_lang": "de", "source_lang": "en"}
        )
        assert response.status_code == 200
        timing = response.headers["server-timing"]
        assert re.fullmatch(r"queue;dur=[\d.]+, inference;dur=[\d.]+, total;dur=[\d.]+", timing), timing
        total_ms = float(response.headers["x-total-time-ms"])
        assert total_ms >= float(response.headers["x-inference-time-ms"])
        assert timing.endswith(f"total;dur={response.headers['x-total-time-ms']}")
        health = client.get("/healthz")
        assert re.fullmatch(r"total;dur=[\d.]+", health.headers["server-timing"])
        assert "x-total-time-ms" in health.headers

        app.state.services.readiness.draining = True
        assert client.get("/lang_pairs").status_code == 503
        app.state.services.readiness.draining = False

        metrics = as_dict(parse(client.get("/metrics").text))
    assert value(metrics, "http_requests_total", method="POST", path="/translate", status="200") == 1
    # Turned away before routing: no route matched.
    assert value(metrics, "http_requests_total", method="GET", path="<unmatched>", status="503") == 1
    assert value(metrics, "nmt_rejected_requests_total", reason="shutting_down") == 1
    assert value(metrics, "nmt_batch_sentences_count") == 1
    assert value(metrics, "nmt_models_loaded") == 1


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_documents_exactly_the_exported_metrics_and_its_queries_use_them() -> None:
    app = create_app(load_settings({"TRANSLATION_BACKEND": "fake"}))
    with TestClient(app) as client:
        client.post("/translate", json={"text": "Hello.", "target_lang": "de", "source_lang": "en"})
        families = list(text_string_to_metric_families(client.get("/metrics").text))
    # (Outside multiprocess mode prometheus_client adds a `_created` series per counter and histogram.)
    exported = {family.name for family in families if not family.name.endswith("_created")}
    sample_names = {sample.name for family in families for sample in family.samples}
    label_names = {label for family in families for sample in family.samples for label in sample.labels}
    text = README.read_text()
    section = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    # The table names counters with their _total suffix, as Prometheus shows them.
    documented = {
        name.removesuffix("_total")
        for row in section.splitlines()
        if row.startswith("| `")
        for name in re.findall(r"`((?:http|nmt)_[a-z_]+)`", row.split("|")[1])
    }
    assert documented == exported
    queries = section.split("```promql", 1)[1].split("```", 1)[0]
    assert set(re.findall(r"\b(?:http|nmt)_[a-z_]+", queries)) <= sample_names
    used_labels = set(re.findall(r"(\w+)=~?\"", queries)) | set(re.findall(r"by \((\w+)\)", queries))
    assert used_labels <= label_names


@pytest.mark.integration
def test_a_bad_metrics_setting_stops_the_server_with_a_clear_message(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy_port = str(taken.getsockname()[1])
        for variable, value_ in [
            ("PROMETHEUS_MULTIPROC_DIR", str(not_a_directory)),
            ("METRICS_PORT", busy_port),
        ]:
            env = {
                **os.environ,
                "TRANSLATION_BACKEND": "fake",
                "HOST": "127.0.0.1",
                "PORT": str(free_port()),
                variable: value_,
            }
            result = subprocess.run(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:app"],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert result.returncode == 2, result.stderr
            assert f"mostlylucid-nmt: {variable}" in result.stderr
