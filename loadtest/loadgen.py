"""A closed-loop load generator with the k6 script's scenarios, request mix and thresholds.

Each virtual user sends one request, waits for the answer, and sends the next, picking requests by weight
from loadtest/scenarios.json (the file tests/k6-load-test.js reads too). The number of users follows the
scenario's stages, ramping linearly as k6's ramping-vus executor does. Every answer lands in exactly one
bucket: ok (2xx with the expected body), rejected_429, rejected_503, or error (anything else, connection
failures included). Rejections count as failures unless the scenario expects overload (stress).
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

SCENARIOS_FILE = Path(__file__).with_name("scenarios.json")
# How often the controller adjusts the number of running users to the stage's ramp.
_RAMP_TICK_S = 0.1


@dataclass(frozen=True)
class Stage:
    duration_s: float
    vus: int


@dataclass(frozen=True)
class Scenario:
    name: str
    start_vus: int
    stages: tuple[Stage, ...]
    overload_expected: bool
    failed_rate_max: float
    p95_ms_max: float

    @property
    def duration_s(self) -> float:
        return sum(stage.duration_s for stage in self.stages)

    @property
    def peak_vus(self) -> int:
        return max([self.start_vus, *(stage.vus for stage in self.stages)])

    def scaled(self, duration_s: float | None, vus: int | None) -> Scenario:
        """The same shape stretched to `duration_s` in all and `vus` at the peak."""
        time_factor = duration_s / self.duration_s if duration_s else 1.0
        vu_factor = vus / self.peak_vus if vus else 1.0
        stages = tuple(
            Stage(stage.duration_s * time_factor, round(stage.vus * vu_factor)) for stage in self.stages
        )
        return Scenario(
            self.name,
            round(self.start_vus * vu_factor),
            stages,
            self.overload_expected,
            self.failed_rate_max,
            self.p95_ms_max,
        )

    def vus_at(self, elapsed_s: float) -> int:
        """Users that should be running `elapsed_s` into the scenario."""
        previous, start = self.start_vus, 0.0
        for stage in self.stages:
            if elapsed_s < start + stage.duration_s:
                fraction = (elapsed_s - start) / stage.duration_s
                return round(previous + (stage.vus - previous) * fraction)
            previous, start = stage.vus, start + stage.duration_s
        return previous


@dataclass(frozen=True)
class RequestTemplate:
    name: str
    weight: float
    method: str
    path: str
    body: Any = None
    expect_translations: int | None = None
    # The answer's field that holds the translations: EasyNMT's, or LibreTranslate's `translatedText`.
    translations_field: str = "translated"


@dataclass
class Sample:
    name: str
    outcome: str  # ok | rejected_429 | rejected_503 | error
    latency_ms: float | None  # None when no answer came back


@dataclass
class Figures:
    requests: int
    ok: int
    rejected_429: int
    rejected_503: int
    errors: int
    failed: int
    failed_rate: float
    p50_ms: float | None
    p95_ms: float | None
    max_ms: float | None


@dataclass
class ScenarioReport:
    scenario: str
    base_url: str
    source_lang: str
    target_lang: str
    elapsed_s: float
    peak_vus: int
    overload_expected: bool
    requests_per_s: float
    total: Figures
    per_request: dict[str, Figures]
    thresholds: dict[str, bool]
    error_examples: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(self.thresholds.values())


def load_scenarios(path: Path = SCENARIOS_FILE) -> tuple[dict[str, Scenario], list[RequestTemplate]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    scenarios = {
        name: Scenario(
            name=name,
            start_vus=int(spec["start_vus"]),
            stages=tuple(Stage(float(stage["duration_s"]), int(stage["vus"])) for stage in spec["stages"]),
            overload_expected=bool(spec["overload_expected"]),
            failed_rate_max=float(spec["thresholds"]["failed_rate_max"]),
            p95_ms_max=float(spec["thresholds"]["p95_ms_max"]),
        )
        for name, spec in raw["scenarios"].items()
    }
    requests = [
        RequestTemplate(
            name=item["name"],
            weight=float(item["weight"]),
            method=item["method"],
            path=item["path"],
            body=item.get("body"),
            expect_translations=item.get("expect_translations"),
            translations_field=item.get("translations_field", "translated"),
        )
        for item in raw["requests"]
    ]
    return scenarios, requests


def _fill(value: Any, source_lang: str, target_lang: str) -> Any:
    if isinstance(value, str):
        return value.replace("{src}", source_lang).replace("{tgt}", target_lang)
    if isinstance(value, list):
        return [_fill(item, source_lang, target_lang) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, source_lang, target_lang) for key, item in value.items()}
    return value


def _percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (what k6 reports as p(95))."""
    position = (len(sorted_values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def summarise(samples: Sequence[Sample], overload_expected: bool) -> Figures:
    counts = {outcome: 0 for outcome in ("ok", "rejected_429", "rejected_503", "error")}
    for sample in samples:
        counts[sample.outcome] += 1
    rejected = counts["rejected_429"] + counts["rejected_503"]
    failed = counts["error"] + (0 if overload_expected else rejected)
    latencies = sorted(sample.latency_ms for sample in samples if sample.latency_ms is not None)
    return Figures(
        requests=len(samples),
        ok=counts["ok"],
        rejected_429=counts["rejected_429"],
        rejected_503=counts["rejected_503"],
        errors=counts["error"],
        failed=failed,
        failed_rate=failed / len(samples) if samples else 0.0,
        p50_ms=round(statistics.median(latencies), 1) if latencies else None,
        p95_ms=round(_percentile(latencies, 0.95), 1) if latencies else None,
        max_ms=round(latencies[-1], 1) if latencies else None,
    )


def _classify(template: RequestTemplate, response: httpx.Response) -> tuple[str, str | None]:
    """The outcome bucket, and what was wrong for an error."""
    if response.status_code == 429:
        return "rejected_429", None
    if response.status_code == 503:
        return "rejected_503", None
    if not 200 <= response.status_code < 300:
        return "error", f"{template.name}: {response.status_code} {response.text[:160]}"
    try:
        body = response.json()
    except ValueError:
        return "error", f"{template.name}: answer is not JSON"
    if template.expect_translations is not None:
        translated = body.get(template.translations_field) if isinstance(body, dict) else None
        count = 1 if isinstance(translated, str) else len(translated) if isinstance(translated, list) else -1
        if count != template.expect_translations:
            return "error", f"{template.name}: expected {template.expect_translations} translations: {body}"
    return "ok", None


class _Run:
    def __init__(
        self,
        scenario: Scenario,
        templates: Sequence[RequestTemplate],
        client: httpx.AsyncClient,
        source_lang: str,
        target_lang: str,
        seed: int,
    ) -> None:
        self.scenario = scenario
        self.templates = [_fill(asdict(t), source_lang, target_lang) for t in templates]
        self.weights = [t.weight for t in templates]
        self.client = client
        # Seeded so that two runs send the same sequence of requests; nothing here is a secret.
        self.random = random.Random(seed)  # noqa: S311
        self.samples: list[Sample] = []
        self.error_examples: list[str] = []

    async def _one(self) -> None:
        template = RequestTemplate(**self.random.choices(self.templates, weights=self.weights)[0])
        started = time.perf_counter()
        try:
            response = await self.client.request(
                template.method, template.path, json=template.body if template.body is not None else None
            )
        except httpx.HTTPError as exc:
            self.samples.append(Sample(template.name, "error", None))
            self._note(f"{template.name}: {type(exc).__name__}: {exc}")
            return
        latency_ms = (time.perf_counter() - started) * 1000
        outcome, problem = _classify(template, response)
        self.samples.append(Sample(template.name, outcome, latency_ms))
        if problem:
            self._note(problem)

    def _note(self, problem: str) -> None:
        if len(self.error_examples) < 5:
            self.error_examples.append(problem)

    async def _user(self, stop: asyncio.Event) -> None:
        # A user finishes the request it is in before it stops, like a k6 VU at the end of an iteration.
        while not stop.is_set():
            await self._one()

    async def run(self) -> float:
        users: list[tuple[asyncio.Task[None], asyncio.Event]] = []
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < self.scenario.duration_s:
            wanted = self.scenario.vus_at(elapsed)
            while len(users) < wanted:
                stop = asyncio.Event()
                users.append((asyncio.create_task(self._user(stop)), stop))
            while len(users) > wanted:
                users.pop()[1].set()
            await asyncio.sleep(_RAMP_TICK_S)
        for _, stop in users:
            stop.set()
        await asyncio.gather(*(task for task, _ in users))
        return time.perf_counter() - started


async def run_scenario(
    scenario: Scenario,
    templates: Sequence[RequestTemplate],
    *,
    base_url: str,
    source_lang: str = "en",
    target_lang: str = "de",
    timeout_s: float = 60.0,
    seed: int = 1,
) -> ScenarioReport:
    limits = httpx.Limits(
        max_connections=scenario.peak_vus + 1, max_keepalive_connections=scenario.peak_vus + 1
    )
    async with httpx.AsyncClient(base_url=base_url, timeout=timeout_s, limits=limits) as client:
        run = _Run(scenario, templates, client, source_lang, target_lang, seed)
        elapsed_s = await run.run()
    total = summarise(run.samples, scenario.overload_expected)
    names = sorted({sample.name for sample in run.samples})
    per_request = {
        name: summarise([s for s in run.samples if s.name == name], scenario.overload_expected)
        for name in names
    }
    thresholds = {
        f"failed_rate <= {scenario.failed_rate_max}": total.failed_rate <= scenario.failed_rate_max,
        f"p95_ms <= {scenario.p95_ms_max:g}": total.p95_ms is not None
        and total.p95_ms <= scenario.p95_ms_max,
    }
    return ScenarioReport(
        scenario=scenario.name,
        base_url=base_url,
        source_lang=source_lang,
        target_lang=target_lang,
        elapsed_s=round(elapsed_s, 3),
        peak_vus=scenario.peak_vus,
        overload_expected=scenario.overload_expected,
        requests_per_s=round(total.requests / elapsed_s, 2) if elapsed_s else 0.0,
        total=total,
        per_request=per_request,
        thresholds=thresholds,
        error_examples=run.error_examples,
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def render_text(reports: Sequence[ScenarioReport]) -> str:
    lines = []
    for report in reports:
        total = report.total
        lines += [
            f"scenario {report.scenario}: {report.base_url}, {report.source_lang}->{report.target_lang}, "
            f"up to {report.peak_vus} users, {report.elapsed_s:.1f} s",
            f"  requests     {total.requests} ({report.requests_per_s:.2f}/s)",
            f"  ok           {total.ok}",
            f"  429          {total.rejected_429}{' (expected)' if report.overload_expected else ''}",
            f"  503          {total.rejected_503}{' (expected)' if report.overload_expected else ''}",
            f"  errors       {total.errors}",
            f"  failed       {total.failed} ({total.failed_rate:.2%})",
            f"  latency      p50 {_ms(total.p50_ms)}, p95 {_ms(total.p95_ms)}, max {_ms(total.max_ms)}",
            f"  {'request':<28}{'count':>7}{'ok':>7}{'429':>6}{'503':>6}{'errors':>8}{'p50':>10}{'p95':>10}",
        ]
        for name, figures in report.per_request.items():
            lines.append(
                f"  {name:<28}{figures.requests:>7}{figures.ok:>7}{figures.rejected_429:>6}"
                f"{figures.rejected_503:>6}{figures.errors:>8}{_ms(figures.p50_ms):>10}{_ms(figures.p95_ms):>10}"
            )
        for name, passed in report.thresholds.items():
            lines.append(f"  threshold {name}: {'passed' if passed else 'FAILED'}")
        lines += [f"  error: {example}" for example in report.error_examples]
        lines.append("")
    return "\n".join(lines)


def report_json(reports: Sequence[ScenarioReport]) -> dict[str, Any]:
    return {
        "passed": all(report.passed for report in reports),
        "scenarios": [{**asdict(report), "passed": report.passed} for report in reports],
    }
