"""Issue 16: an interrupted stage is reported as `interrupted` (terminal and report), later stages `not run`.

The signal test runs `sandbox.__main__.main` in a child process with the real signal handling, the real
runner, report and timeline; only the cloud and the stages are stand-ins (a stage that blocks until the
signal arrives), so a Ctrl-C or SIGTERM lands inside a stage exactly as in a real run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from sandbox.lifecycle import runner
from sandbox.report import Report, timeline

ROOT = Path(__file__).resolve().parents[3]
GOOD_ROW = "M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\n"

DRIVER = """
import sys, threading
from types import SimpleNamespace
from sandbox import __main__ as cli
from sandbox.lifecycle import runner

class Cloud:
    console = SimpleNamespace(url="http://127.0.0.1:1")
    iam_log = SimpleNamespace(listeners=[], denials=[], mode="enforce", summary=lambda: {})
    aws = SimpleNamespace(endpoint_url="http://127.0.0.1:2", iam_log=iam_log)
    gitlab_url, workdir = "http://127.0.0.1:3", "/nonexistent"
    def __init__(self, **kwargs): pass
    def start(self): pass
    def platform_prerequisites(self, dataset): pass
    def stop(self): print("cloud stopped", flush=True)

class Progress:
    def __init__(self, *args): pass
    def start(self): return self
    def stop(self, flush=True): pass
    def tick(self): pass

def block(ctx):
    print("stage running", flush=True)
    threading.Event().wait()  # until the signal's KeyboardInterrupt

cli.LocalCloud, cli.Progress, cli.sources_for = Cloud, Progress, lambda cloud: None
runner.STAGES = [
    ("first", "First stage", lambda ctx: {"fact": 1}),
    ("second", "Second stage", block),
    ("third", "Third stage", lambda ctx: {}),
    ("fourth", "Fourth stage", lambda ctx: {}),
]
sys.exit(cli.main(["--data", sys.argv[1], "--report", sys.argv[2]]))
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_signal_during_a_stage_reports_it_interrupted_and_the_rest_not_run(
    tmp_path: Path, signum: int
) -> None:
    csv = tmp_path / "abalone.csv"
    csv.write_text(GOOD_ROW * 120, encoding="utf-8")
    report_path = tmp_path / "report.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("sandbox", "contracts"))}
    child = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(csv), str(report_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert child.stdout is not None
    seen = []
    for line in child.stdout:  # read until the second stage is inside its function
        seen.append(line)
        if line.strip() == "stage running":
            break
    else:
        pytest.fail("the child never reached the second stage:\n" + "".join(seen))
    child.send_signal(signum)
    rest, _ = child.communicate(timeout=60)
    out = "".join(seen) + rest

    assert child.returncode == 130, out
    assert "  interrupted after" in out
    assert "later stages not run" in out
    assert "skip" not in out
    lines = out.splitlines()
    assert any(line.startswith("[INT ] Second stage") and line.endswith("interrupted") for line in lines), out
    assert any(line.startswith("[----] Third stage") and line.endswith("not run") for line in lines), out
    assert "cloud stopped" in out
    document = json.loads(report_path.read_text(encoding="utf-8"))
    assert document["result"] == "failed"
    assert [(s["name"], s["result"]) for s in document["stages"]] == [
        ("first", "passed"),
        ("second", "interrupted"),
        ("third", "not run"),
        ("fourth", "not run"),
    ]
    assert document["stages"][0]["facts"] == {"fact": 1}


def _interrupt(ctx: Any) -> dict[str, Any]:
    raise KeyboardInterrupt


def test_not_run_stops_at_until_and_a_failure_still_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    logged: list[str] = []
    cloud = SimpleNamespace(aws=SimpleNamespace(iam_log=SimpleNamespace(denials=[], mode="enforce")))
    ctx: Any = type("Ctx", (), {"log": staticmethod(logged.append), "cloud": cloud})()
    monkeypatch.setattr(
        runner,
        "STAGES",
        [("a", "A", _interrupt), ("b", "B", lambda c: {}), ("c", "C", lambda c: {})],
    )
    report = Report()
    with pytest.raises(KeyboardInterrupt):
        runner.run(ctx, report, until="b")
    assert [(s.name, s.result) for s in report.stages] == [("a", "interrupted"), ("b", "not run")]
    report.finish()
    assert report.result == "failed"

    def fail(c: Any) -> dict[str, Any]:
        raise runner.StageError("boom")

    monkeypatch.setattr(runner, "STAGES", [("a", "A", fail), ("b", "B", lambda c: {})])
    report = Report()
    runner.run(ctx, report)
    assert [(s.name, s.result) for s in report.stages] == [("a", "failed"), ("b", "skipped")]
    assert "[skip] B" in timeline(report)
