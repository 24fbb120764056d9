"""python -m loadtest: run the k6 script's scenarios from this machine, without k6.

    python -m loadtest                                    # smoke against http://localhost:8000
    SCENARIO=load BASE_URL=http://host:8000 python -m loadtest
    python -m loadtest --scenario smoke,stress --duration 20 --vus 8 --json artifacts/loadtest.json

Environment variables as for the k6 script (SCENARIO, BASE_URL, DURATION, VUS, SOURCE_LANG, TARGET_LANG);
flags win over them. Exit status 1 when a scenario misses a threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from loadtest.loadgen import load_scenarios, render_text, report_json, run_scenario


def _parser(scenario_names: list[str]) -> argparse.ArgumentParser:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog="python -m loadtest", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scenario",
        default=env.get("SCENARIO", "smoke"),
        help=f"one or more of {', '.join(scenario_names)}, comma-separated, run in turn (default smoke)",
    )
    parser.add_argument("--base-url", default=env.get("BASE_URL", "http://localhost:8000"))
    parser.add_argument(
        "--duration",
        type=float,
        default=float(env["DURATION"]) if env.get("DURATION") else None,
        help="seconds per scenario; the stages are stretched or shrunk to fit (default: as in scenarios.json)",
    )
    parser.add_argument(
        "--vus",
        type=int,
        default=int(env["VUS"]) if env.get("VUS") else None,
        help="peak virtual users; the stages are scaled to it (default: as in scenarios.json)",
    )
    parser.add_argument("--source-lang", default=env.get("SOURCE_LANG", "en"))
    parser.add_argument("--target-lang", default=env.get("TARGET_LANG", "de"))
    parser.add_argument(
        "--only", help="comma-separated request names from scenarios.json to send (default: all)"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one request may take")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    scenarios, templates = load_scenarios()
    args = _parser(sorted(scenarios)).parse_args(argv)
    chosen = [name.strip() for name in args.scenario.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in scenarios]
    if unknown or not chosen:
        print(
            f"unknown scenario {unknown or args.scenario!r}; choose from {', '.join(scenarios)}",
            file=sys.stderr,
        )
        return 2
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")}
        missing = wanted - {template.name for template in templates}
        if missing:
            print(f"unknown request names: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
        templates = [template for template in templates if template.name in wanted]
    reports = [
        asyncio.run(
            run_scenario(
                scenarios[name].scaled(args.duration, args.vus),
                templates,
                base_url=args.base_url.rstrip("/"),
                source_lang=args.source_lang,
                target_lang=args.target_lang,
                timeout_s=args.timeout,
            )
        )
        for name in chosen
    ]
    print(render_text(reports))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report_json(reports), indent=2) + "\n", encoding="utf-8")
    return 0 if all(report.passed for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
