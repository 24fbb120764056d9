"""Turn the raw measurements of a run into medians, the four ratios, and the result files.

A run holds N repeats of the whole measurement set; every number reported is the median over repeats (with
the range in brackets when there are several), and each ratio is computed inside each repeat, from
measurements taken minutes apart, before its median is taken: the machine is shared and drifts.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Final

from bench import workspace

Run = dict[str, Any]
Repeat = dict[str, Any]

ENGINE_LABELS: Final = {
    "transformers": "transformers fp32, 2 threads",
    "ctranslate2": "CTranslate2 int8, 2 threads",
    "ctranslate2-1thread": "CTranslate2 int8, 1 thread (not used by the ratios)",
}


@dataclass(frozen=True)
class Ratio:
    key: str
    label: str
    target: str
    met: Callable[[float], bool]
    unit: str
    compute: Callable[[Repeat], float | None]


# --------------------------------------------------------------------------------------------- lookups


def engine_rate(repeat: Repeat, engine: str, batch_size: int) -> float | None:
    """Median pass rate (sentences/s) of an engine at a batch size in one repeat."""
    for timing in repeat.get("engines", {}).get(engine, {}).get("batches", []):
        if timing["batch_size"] == batch_size and timing["pass_rates"]:
            return float(statistics.median(timing["pass_rates"]))
    return None


def engine_latency_ms(repeat: Repeat, engine: str) -> float | None:
    """Median per-call latency at batch 1 (ms)."""
    for timing in repeat.get("engines", {}).get(engine, {}).get("batches", []):
        if timing["batch_size"] == 1 and timing["call_seconds"]:
            return float(statistics.median(timing["call_seconds"])) * 1000
    return None


def level(repeat: Repeat, server: str, clients: int) -> dict[str, Any] | None:
    for entry in repeat.get(server, {}).get("levels", []):
        if entry["clients"] == clients:
            return dict(entry)
    return None


def level_value(repeat: Repeat, server: str, clients: int, key: str) -> float | None:
    entry = level(repeat, server, clients)
    if entry is None:
        return None
    if key in ("p50", "p95", "p99", "max"):
        value = entry["latency_ms"][key]
    elif key in entry:
        value = entry[key]
    else:
        value = entry.get("extra", {}).get(key)
    return None if value is None or math.isnan(value) else float(value)


Pick = Callable[[Repeat], float | None]


def rate_of(engine: str, batch_size: int) -> Pick:
    return lambda repeat: engine_rate(repeat, engine, batch_size)


def latency_of(engine: str) -> Pick:
    return lambda repeat: engine_latency_ms(repeat, engine)


def level_of(server: str, clients: int, key: str) -> Pick:
    return lambda repeat: level_value(repeat, server, clients, key)


def field_of(*path: str) -> Pick:
    """A number nested in a repeat's dictionaries, e.g. field_of("server", "rss_mb", "total")."""

    def pick(repeat: Repeat) -> float | None:
        value: Any = repeat
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return float(value) if isinstance(value, int | float) else None

    return pick


def _divide(top: float | None, bottom: float | None) -> float | None:
    if top is None or bottom is None or bottom == 0:
        return None
    return top / bottom


RATIOS: Final = (
    Ratio(
        "P1",
        "our throughput / baseline throughput, 16 clients",
        ">= 20",
        lambda value: value >= 20,
        "x",
        lambda r: _divide(
            level_value(r, "server", 16, "sentences_per_s"), level_value(r, "baseline", 16, "sentences_per_s")
        ),
    ),
    Ratio(
        "P2",
        "our throughput at 16 clients / raw CTranslate2 int8 at batch 16",
        ">= 0.85",
        lambda value: value >= 0.85,
        "",
        lambda r: _divide(level_value(r, "server", 16, "sentences_per_s"), engine_rate(r, "ctranslate2", 16)),
    ),
    Ratio(
        "P3",
        "our p50 latency, 1 client / raw CTranslate2 int8 batch-1 latency",
        "<= 1.15",
        lambda value: value <= 1.15,
        "",
        lambda r: _divide(level_value(r, "server", 1, "p50"), engine_latency_ms(r, "ctranslate2")),
    ),
    Ratio(
        "P4",
        "RSS of our server with one model loaded (master + workers)",
        "<= 600 MB",
        lambda value: value <= 600,
        " MB",
        field_of("server", "rss_mb", "total"),
    ),
)


# ------------------------------------------------------------------------------------------- summaries


def _values(run: Run, pick: Callable[[Repeat], float | None]) -> list[float]:
    picked = (pick(repeat) for repeat in run["repeats"])
    return [value for value in picked if value is not None and not math.isnan(value)]


def median_of(run: Run, pick: Callable[[Repeat], float | None]) -> float | None:
    values = _values(run, pick)
    return float(statistics.median(values)) if values else None


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def cell(run: Run, pick: Callable[[Repeat], float | None], unit: str = "") -> str:
    """The median, with the range over repeats in brackets when there are several."""
    values = _values(run, pick)
    if not values:
        return "–"
    text = _number(float(statistics.median(values))) + unit
    if len(values) > 1:
        text += f" ({_number(min(values))}–{_number(max(values))})"
    return text


def summarise(run: Run) -> dict[str, Any]:
    """Medians of everything the Markdown shows, for the JSON file and for scripts."""
    summary: dict[str, Any] = {"engines": {}, "servers": {}, "ratios": {}}
    for engine in ENGINE_LABELS:
        rates = {str(size): median_of(run, rate_of(engine, size)) for size in run["options"]["batches"]}
        summary["engines"][engine] = {
            "sentences_per_s": rates,
            "batch1_latency_ms": median_of(run, latency_of(engine)),
        }
    for server in ("server", "baseline"):
        summary["servers"][server] = {
            str(clients): {
                key: median_of(run, level_of(server, clients, key))
                for key in (
                    "sentences_per_s",
                    "p50",
                    "p95",
                    "errors",
                    "server_cpu_cores",
                    "loadgen_cpu_cores",
                )
            }
            for clients in run["options"]["clients"]
        }
    summary["rss_mb"] = {
        "server_total": median_of(run, field_of("server", "rss_mb", "total")),
        "server_worker_max": median_of(run, field_of("server", "rss_mb", "worker_max")),
        "baseline": median_of(run, field_of("baseline", "rss_mb", "total")),
    }
    for ratio in RATIOS:
        value = median_of(run, ratio.compute)
        summary["ratios"][ratio.key] = {
            "label": ratio.label,
            "value": value,
            "target": ratio.target,
            "met": None if value is None else ratio.met(value),
        }
    return summary


# -------------------------------------------------------------------------------------------- machine


def machine_info() -> dict[str, Any]:
    cpu_model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu_model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gib = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            memory_gib = round(int(handle.readline().split()[1]) / 1024**2, 1)
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for package in ("torch", "transformers", "ctranslate2", "gunicorn", "uvicorn", "httpx"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu_model": cpu_model,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
    }


def load_average() -> list[float]:
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            return [float(value) for value in handle.read().split()[:3]]
    except OSError:
        return []


# ------------------------------------------------------------------------------------------- markdown


def _engine_table(run: Run) -> list[str]:
    sizes: Sequence[int] = run["options"]["batches"]
    lines = [
        "| engine | " + " | ".join(f"batch {size}" for size in sizes) + " | batch-1 latency | peak RSS |",
        "|---|" + "---:|" * (len(sizes) + 2),
    ]
    for engine, label in ENGINE_LABELS.items():
        if not any(engine in repeat.get("engines", {}) for repeat in run["repeats"]):
            continue
        rates = [cell(run, rate_of(engine, size)) for size in sizes]
        latency = cell(run, latency_of(engine), " ms")
        rss = cell(run, field_of("engines", engine, "peak_rss_mb"), " MB")
        lines.append(f"| {label} | " + " | ".join(rates) + f" | {latency} | {rss} |")
    return lines


def _server_table(run: Run) -> list[str]:
    lines = [
        "| server | clients | sentences/s | p50 | p95 | errors | mean batch | server CPU | load generator CPU "
        "| machine busy |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"server": "ours", "baseline": "EasyNMT-style baseline"}
    for server, name in names.items():
        if not any(server in repeat for repeat in run["repeats"]):
            continue
        for clients in run["options"]["clients"]:
            cells = [
                cell(run, level_of(server, clients, "sentences_per_s")),
                cell(run, level_of(server, clients, "p50"), " ms"),
                cell(run, level_of(server, clients, "p95"), " ms"),
                str(int(sum(_values(run, level_of(server, clients, "errors"))))),
                cell(run, level_of(server, clients, "mean_batch_size")) if server == "server" else "1",
                *(
                    cell(run, level_of(server, clients, key))
                    for key in ("server_cpu_cores", "loadgen_cpu_cores", "machine_busy_cores")
                ),
            ]
            lines.append(f"| {name} | {clients} | " + " | ".join(cells) + " |")
    return lines


def _memory_table(run: Run) -> list[str]:
    lines = ["| process | RSS |", "|---|---:|"]

    def rss(server: str, key: str) -> Pick:
        return field_of(server, "rss_mb", key)

    if any("server" in repeat for repeat in run["repeats"]):
        workers = median_of(run, field_of("server", "workers"))
        lines += [
            f"| ours: gunicorn master | {cell(run, rss('server', 'master'), ' MB')} |",
            f"| ours: each worker ({workers or 0:.0f} workers; the largest) | {cell(run, rss('server', 'worker_max'), ' MB')} |",
            f"| ours: total | {cell(run, rss('server', 'total'), ' MB')} |",
        ]
    if any("baseline" in repeat for repeat in run["repeats"]):
        lines.append(f"| baseline (one process) | {cell(run, rss('baseline', 'total'), ' MB')} |")
    return lines


def _ratio_table(run: Run) -> list[str]:
    lines = ["| | ratio | measured | target | |", "|---|---|---:|---|---|"]
    for ratio in RATIOS:
        value = median_of(run, ratio.compute)
        verdict = "n/a" if value is None else ("met" if ratio.met(value) else "missed")
        lines.append(
            f"| {ratio.key} | {ratio.label} | {cell(run, ratio.compute, ratio.unit)} | {ratio.target} | {verdict} |"
        )
    return lines


def markdown(run: Run) -> str:
    options = run["options"]
    machine = run["machine"]
    versions = machine["versions"]
    backends = sorted({str(r["server"].get("backend")) for r in run["repeats"] if "server" in r})
    workers = sorted({int(r["server"]["workers"]) for r in run["repeats"] if "server" in r})
    matches = {r["server"].get("sample_matches_raw_engine") for r in run["repeats"] if "server" in r}
    same_output = {frozenset({True}): "yes", frozenset({False}): "NO"}.get(frozenset(matches), "–")
    lines = [
        f"# Benchmark {run['started_utc']}",
        "",
        f"Mode: {run['mode']}, {len(run['repeats'])} repeat(s), {run['elapsed_s'] / 60:.1f} min. Each number is "
        "the median over repeats, with the range in brackets. Model: Opus-MT-shaped (d_model 512, 6+6 layers, "
        f"58,101-token vocabulary, random weights), {workspace.TARGET_INPUT_TOKENS}±1 tokens in, exactly "
        f"{workspace.NEW_TOKENS} tokens out, greedy.",
        "",
        f"Our server: backend {', '.join(backends) or '–'}, {', '.join(map(str, workers)) or '–'} worker(s), "
        f"production defaults plus {json.dumps(options['server_env']) if options['server_env'] else 'nothing'}. "
        f"Its translation of sentence 0 equals the raw engine's (the same {workspace.NEW_TOKENS} tokens): "
        f"{same_output}.",
        "",
        f"Service code: commit {run['service']['commit']}"
        + (
            " with uncommitted changes to the service's files"
            if run["service"]["service_files_changed"]
            else ""
        )
        + ".",
        "",
        "## Ratios",
        "",
        *_ratio_table(run),
        "",
        "## Raw engines, in-process (sentences/s)",
        "",
        *_engine_table(run),
        "",
        "## Servers under closed-loop load, one sentence per request",
        "",
        f"Window {options['duration_s']:g} s per level after warm-up. CPU columns are cores busy during the "
        "window (2.0 = both cores); 'machine busy' includes everything, so machine − server − load generator "
        "is what other processes took.",
        "",
        *_server_table(run),
        "",
        "## Memory (VmRSS after warm-up and load)",
        "",
        *_memory_table(run),
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu_model']}, {machine['cores']} cores, {machine['memory_gib']} GiB",
        f"- Kernel {machine['kernel']}, Python {machine['python']}, torch {versions['torch']}, transformers "
        f"{versions['transformers']}, ctranslate2 {versions['ctranslate2']}, gunicorn {versions['gunicorn']}",
        f"- Load average at start {run['load_before']}, at end {run['load_after']}",
        f"- Date: {run['started_utc']} – {run['finished_utc']}",
    ]
    notes = run.get("notes") or []
    if notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in notes)]
    return "\n".join(lines) + "\n"


def write(run: Run, results_dir: Path, *, latest: bool) -> list[Path]:
    """Write `<timestamp>[-suffix].json/.md` (and latest.* for a complete full run); return the paths."""
    results_dir.mkdir(parents=True, exist_ok=True)
    suffix = "" if run["mode"] == "full" else f"-{run['mode']}"
    stem = run["started_utc"].replace(":", "").replace("-", "") + suffix
    text = markdown(run)
    data = json.dumps({**run, "summary": summarise(run)}, indent=2, default=str) + "\n"
    paths = [results_dir / f"{stem}.json", results_dir / f"{stem}.md"]
    paths[0].write_text(data, encoding="utf-8")
    paths[1].write_text(text, encoding="utf-8")
    if latest:
        for name, content in (("latest.json", data), ("latest.md", text)):
            (results_dir / name).write_text(content, encoding="utf-8")
            paths.append(results_dir / name)
    return paths


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
