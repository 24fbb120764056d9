"""Figures the reliability tests measured, and the REPORT.md written from them."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
# The order sections appear in, whatever order the tests ran in.
SECTION_ORDER = ["overload", "fuzz", "fuzz-valid", "faults", "shutdown", "memory", "slow-clients"]


@dataclass
class Section:
    title: str
    summary: str = ""
    figures: dict[str, Any] = field(default_factory=dict)
    tables: list[tuple[str, list[str], list[list[Any]]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    headline: str = ""  # one line for the summary at the top of the report

    def figure(self, name: str, value: Any) -> None:
        self.figures[name] = value

    def table(self, caption: str, header: list[str], rows: list[list[Any]]) -> None:
        self.tables.append((caption, header, rows))

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass
class Report:
    profile: str
    sections: dict[str, Section] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def section(self, key: str, title: str, summary: str = "") -> Section:
        if key not in self.sections:
            self.sections[key] = Section(title, summary)
        return self.sections[key]

    def to_json(self) -> str:
        return json.dumps(
            {
                "profile": self.profile,
                "outcomes": self.outcomes,
                "sections": {key: section.__dict__ for key, section in self.sections.items()},
            },
            indent=2,
            default=str,
        )

    def to_markdown(self) -> str:
        finished = datetime.now(UTC)
        passed = sum(1 for outcome in self.outcomes.values() if outcome == "passed")
        lines = [
            "# Reliability report",
            "",
            f"Written by `make reliability` (profile `{self.profile}`) on {finished:%Y-%m-%d %H:%M} UTC, "
            f"commit `{_git_commit()}`; the run took {(finished - self.started_at).total_seconds():.0f} s. "
            f"{passed} of {len(self.outcomes)} tests passed.",
            "",
            f"Machine: {_machine()}, load average {_load_average()} at the end of the run. Latencies and rates "
            "depend on the machine and whatever else ran on it; the pass/fail figures (lost requests, 5xx, fuzz "
            "errors) do not.",
            "",
            "| test | outcome |",
            "|---|---|",
            *(f"| `{name}` | {outcome} |" for name, outcome in sorted(self.outcomes.items())),
            "",
        ]
        ordered = sorted(
            self.sections.items(),
            key=lambda item: SECTION_ORDER.index(item[0]) if item[0] in SECTION_ORDER else len(SECTION_ORDER),
        )
        headlines = [
            f"- **{section.title}**: {section.headline}" for _, section in ordered if section.headline
        ]
        if headlines:
            lines += ["## Summary", "", *headlines, ""]
        for _, section in ordered:
            lines += [f"## {section.title}", ""]
            if section.summary:
                lines += [section.summary, ""]
            if section.figures:
                lines += ["| figure | value |", "|---|---|"]
                lines += [f"| {name} | {_format(value)} |" for name, value in section.figures.items()]
                lines.append("")
            for caption, header, rows in section.tables:
                if caption:
                    lines += [caption, ""]
                lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                lines += ["| " + " | ".join(_format(cell) for cell in row) + " |" for row in rows]
                lines.append("")
            for note in section.notes:
                lines += [note, ""]
        return "\n".join(lines).rstrip() + "\n"


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def _load_average() -> str:
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores ({model}), Python {platform.python_version()}, {platform.system()}"
