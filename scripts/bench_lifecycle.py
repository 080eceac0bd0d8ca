"""Benchmark: wall time of the whole sandbox lifecycle (scripts/run-sandbox), per stage and in total.

    .venv/bin/python scripts/bench_lifecycle.py [--runs N] [--data PATH]

Runs the README's main command N times (default 1; it takes about a minute) and prints the median per
stage and overall, from each run's JSON report. Exit status 1 when any run failed. Not a test: the figure
goes into the README.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--data", help="Abalone CSV (default: $ABALONE_CSV, as scripts/run-sandbox)")
    args = parser.parse_args(argv)
    walls: list[float] = []
    lifecycles: list[float] = []
    stages: dict[str, list[float]] = {}
    failed = 0
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            report_path = Path(tmp) / "report.json"
            command = [str(ROOT / "scripts" / "run-sandbox"), "--report", str(report_path)]
            if args.data:
                command += ["--data", args.data]
            started = time.monotonic()
            process = subprocess.run(
                command, capture_output=True, text=True, env=dict(os.environ), check=False
            )
            wall = time.monotonic() - started
            if not report_path.exists():
                print(
                    f"run {run}: no report (exit {process.returncode})\n{process.stdout[-3000:]}{process.stderr[-3000:]}"
                )
                failed += 1
                continue
            report = json.loads(report_path.read_text(encoding="utf-8"))
        walls.append(wall)
        lifecycles.append(report["duration_s"])
        for stage in report["stages"]:
            stages.setdefault(stage["name"], []).append(stage["duration_s"])
        print(f"run {run}: {report['result']} in {wall:.1f} s (lifecycle {report['duration_s']:.1f} s)")
        if report["result"] != "passed":
            failed += 1
    if walls:
        print(f"\nmedian over {len(walls)} run(s) on {os.cpu_count()} CPU(s):")
        for name, values in stages.items():
            print(f"  {name:<16} {statistics.median(values):6.1f} s")
        print(
            f"  {'lifecycle':<16} {statistics.median(lifecycles):6.1f} s  (the report's duration_s: cloud start + stages)"
        )
        print(
            f"  {'total (wall)':<16} {statistics.median(walls):6.1f} s  (scripts/run-sandbox, bootstrap included)"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
