"""Run the stages in order into a Report; the first failure skips the rest, and the report says why.

Ctrl-C or SIGTERM (raised as KeyboardInterrupt by sandbox.__main__) during a stage marks that stage
`interrupted` and every later one `not run`, then propagates so the cloud is stopped: a person reading the
report sees where the run was cut, not a stage that seemed skipped on purpose.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

from sandbox.lifecycle.context import Context, StageError
from sandbox.lifecycle.stages import STAGES
from sandbox.report import Report, Stage


def _new_denials(ctx: Context, seen: list[int]) -> list[Any]:
    """The IAM denials (iam_enforcement.Denial) since the last call; `seen` holds how many were seen."""
    log = ctx.cloud.aws.iam_log
    if log is None:
        return []
    denials = list(log.denials[seen[0] :])
    seen[0] += len(denials)
    return [d for d in denials if not d.tolerated]


def _later(index: int, until: str | None) -> list[tuple[str, str]]:
    """The stages after ``index`` this run would have reached (up to ``until``)."""
    later: list[tuple[str, str]] = []
    for name, title, _ in STAGES[index + 1 :]:
        if index >= 0 and STAGES[index][0] == until:
            break
        later.append((name, title))
        if name == until:
            break
    return later


def run(ctx: Context, report: Report, until: str | None = None) -> None:
    failed = False
    seen = [0]
    for index, (name, title, function) in enumerate(STAGES):
        stage = Stage(name=name, title=title)
        report.stages.append(stage)
        if failed:
            continue
        started = time.monotonic()
        try:
            ctx.log(f"▶ {title}")
            stage.facts = function(ctx)
            stage.result = "passed"
        except KeyboardInterrupt:
            stage.result, stage.duration_s = "interrupted", round(time.monotonic() - started, 2)
            ctx.log(f"  interrupted after {stage.duration_s:.1f} s (Ctrl-C or SIGTERM); later stages not run")
            report.stages.extend(Stage(name=n, title=t, result="not run") for n, t in _later(index, until))
            raise
        except StageError as exc:
            stage.result, stage.error, failed = "failed", str(exc), True
        except Exception as exc:  # an unexpected error still ends in the report, with its place
            stage.result, failed = "failed", True
            stage.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"
        refused = _new_denials(ctx, seen)
        if refused and stage.result == "passed" and ctx.cloud.aws.iam_log.mode == "enforce":
            # A denial stops the run even when the code that got it carried on (issue 11).
            stage.result, failed = "failed", True
            stage.error = "IAM denied: " + "; ".join(d.text() for d in refused)
        stage.duration_s = round(time.monotonic() - started, 2)
        ctx.log(
            f"  {stage.result} in {stage.duration_s:.1f} s"
            + (f": {stage.error.splitlines()[0]}" if stage.error else "")
        )
        if name == until:
            break
