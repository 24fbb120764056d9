"""The Prometheus observer: what each core event does to the exposition, route templates, timing headers."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from mostlylucid_nmt.api.metrics import UNMATCHED_PATH, HttpMetricsMiddleware, _timing_headers, route_template
from mostlylucid_nmt.metrics.exporter import ServiceMetrics


def samples(metrics: ServiceMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def value(metrics: ServiceMetrics, name: str, **labels: str) -> float:
    return samples(metrics)[(name, tuple(sorted(labels.items())))]


def test_core_events_become_metrics() -> None:
    metrics = ServiceMetrics()
    metrics.model_loaded(1.5)
    metrics.model_loaded(0.5)
    metrics.model_load_failed()
    metrics.model_evicted()
    metrics.models_resident(1)
    metrics.batch_started(sentences=3, padded_tokens=30)
    metrics.batch_started(sentences=40, padded_tokens=4000)
    metrics.batcher_state(queued_sentences=7, running_batches=1)
    metrics.admission_state(waiting_requests=2, active_requests=3)
    metrics.request_rejected("overloaded")
    metrics.cache_lookups(hits=9, misses=1)
    metrics.cache_lookups(hits=0, misses=2)
    metrics.cache_entries(3)
    assert value(metrics, "nmt_model_loads_total") == 2
    assert value(metrics, "nmt_model_load_failures_total") == 1
    assert value(metrics, "nmt_model_evictions_total") == 1
    assert value(metrics, "nmt_models_loaded") == 1
    assert value(metrics, "nmt_batch_sentences_count") == 2
    assert value(metrics, "nmt_batch_sentences_sum") == 43
    assert value(metrics, "nmt_batch_sentences_bucket", le="4.0") == 1
    assert value(metrics, "nmt_batch_tokens_sum") == 4030
    assert value(metrics, "nmt_batch_tokens_bucket", le="4096.0") == 2
    assert value(metrics, "nmt_queue_sentences") == 7
    assert value(metrics, "nmt_running_batches") == 1
    assert value(metrics, "nmt_queue_waiting_requests") == 2
    assert value(metrics, "nmt_inflight_requests") == 3
    assert value(metrics, "nmt_rejected_requests_total", reason="overloaded") == 1
    assert value(metrics, "nmt_rejected_requests_total", reason="busy") == 0  # known reasons start at 0
    assert value(metrics, "nmt_translation_cache_hits_total") == 9
    assert value(metrics, "nmt_translation_cache_misses_total") == 3
    assert value(metrics, "nmt_translation_cache_entries") == 3


def test_http_requests_are_counted_and_timed_by_template() -> None:
    metrics = ServiceMetrics()
    metrics.observe_request("GET", "/discover/{family}", 200, 0.02)
    metrics.observe_request("GET", "/discover/{family}", 200, 0.2)
    metrics.observe_request("POST", "/translate", 429, 0.001)
    assert value(metrics, "http_requests_total", method="GET", path="/discover/{family}", status="200") == 2
    assert value(metrics, "http_requests_total", method="POST", path="/translate", status="429") == 1
    assert value(metrics, "http_request_duration_seconds_count", method="GET", path="/discover/{family}") == 2
    bucket = value(
        metrics, "http_request_duration_seconds_bucket", method="GET", path="/discover/{family}", le="0.1"
    )
    assert bucket == 1


def test_each_instance_has_its_own_registry() -> None:
    first, second = ServiceMetrics(), ServiceMetrics()
    first.model_evicted()
    assert value(first, "nmt_model_evictions_total") == 1
    assert value(second, "nmt_model_evictions_total") == 0


def test_openmetrics_when_the_scraper_asks_for_it() -> None:
    body, content_type = ServiceMetrics().render("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith(b"# EOF")


def _endpoint() -> None:
    """Never called: routes need an endpoint to be built."""


def test_route_template_is_the_matched_route_never_the_raw_path() -> None:
    route = Route("/discover/{family}", _endpoint)
    assert (
        route_template({"route": route, "path": "/discover/opus-mt", "root_path": ""}) == "/discover/{family}"
    )
    assert route_template({"path": "/no/such/thing"}) == UNMATCHED_PATH


def test_a_mounted_app_is_labelled_with_its_prefix_and_route_template() -> None:
    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request.path_params["name"])

    metrics = ServiceMetrics()
    inner = Starlette(routes=[Route("/hello/{name}", hello)])
    app = HttpMetricsMiddleware(Starlette(routes=[Mount("/sub", app=inner)]), metrics=metrics)
    with TestClient(app) as client:
        assert client.get("/sub/hello/world").text == "world"
        assert client.get("/elsewhere").status_code == 404
    assert value(metrics, "http_requests_total", method="GET", path="/sub/hello/{name}", status="200") == 1
    assert value(metrics, "http_requests_total", method="GET", path=UNMATCHED_PATH, status="404") == 1


def test_timing_headers_repeat_queue_and_inference_in_server_timing() -> None:
    headers = [(b"x-queue-time-ms", b"1.5"), (b"x-inference-time-ms", b"20.0")]
    added = dict(_timing_headers(headers, 25.04))
    assert added[b"x-total-time-ms"] == b"25.0"
    assert added[b"server-timing"] == b"queue;dur=1.5, inference;dur=20.0, total;dur=25.0"
    assert dict(_timing_headers([], 3.0))[b"server-timing"] == b"total;dur=3.0"
