"""The sandbox's timeline (printed) and machine-readable report (JSON).

Report schema (`schema` = "sagemaker-gitlab-sandbox-report/1"), written to `.sandbox/report.json` unless
`--report PATH` says otherwise:

    {
      "schema": "sagemaker-gitlab-sandbox-report/1",
      "result": "passed" | "failed",
      "started_at": "2026-01-01T00:00:00Z",       # UTC
      "duration_s": 48.2,
      "data": {"source": "...", "rows": 4177, "synthetic": false},
      "project": {"name": "abalone", "id": "p-..."},
      "iam": {"mode": "enforce" | "audit", "calls_per_role": {"<role ARN>": 12}, "admin_calls": 40,
              "admin_actions": {"s3:PutObject": 3}, "denials": [{"principal", "action", "resource", "reason", "tolerated"}]},
      "stages": [
        {"name": "package", "title": "...", "result": "passed" | "failed" | "skipped"
         | "interrupted" | "not run",
         "duration_s": 3.1, "facts": {...stage-specific key facts...}, "error": null | "message"}
      ]
    }

A stage after a failed one is `skipped`; a stage cut by Ctrl-C/SIGTERM is `interrupted` and those after it
`not run` (the run's `result` is then `failed`).

Facts per stage are documented in sandbox/README.md (e.g. build: `test_mse`, `model_package_arn`; staging:
`endpoint_name`, `predictions`, `promotion_tag`; production: `main_token_to_prod_role`, `tag`, `tag_pipeline`,
`jobs`, `endpoint_name`).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = "sagemaker-gitlab-sandbox-report/1"


@dataclass
class Stage:
    name: str
    title: str
    result: str = "skipped"
    duration_s: float = 0.0
    facts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Report:
    started_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    result: str = "failed"
    duration_s: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    project: dict[str, Any] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
    # IAM (sandbox.local_aws.iam_enforcement.CallLog.summary): mode, calls_per_role, admin_calls,
    # admin_actions, denials [{principal, action, resource, reason, tolerated}].
    iam: dict[str, Any] = field(default_factory=dict)
    _t0: float = field(default_factory=time.monotonic, repr=False)

    def finish(self) -> None:
        self.duration_s = round(time.monotonic() - self._t0, 2)
        ran = [s for s in self.stages if s.result not in ("skipped", "not run")]
        self.result = "passed" if ran and all(s.result == "passed" for s in self.stages) else "failed"

    def to_json(self) -> dict[str, Any]:
        document = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        return {"schema": SCHEMA, **document}

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n", encoding="utf-8")


def _fact_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(_fact_text(v) for v in value[:5]) + (" …" if len(value) > 5 else "")
    return str(value)


def timeline(report: Report) -> str:
    """A readable summary: one line per stage, then its key facts."""
    marks = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip", "interrupted": "INT ", "not run": "----"}
    lines = ["", "Sandbox lifecycle timeline", "=" * 26]
    for stage in report.stages:
        note = f"  {stage.result}" if stage.result in ("interrupted", "not run") else ""
        lines.append(f"[{marks[stage.result]}] {stage.title:<46} {stage.duration_s:7.1f} s{note}")
        for key, value in stage.facts.items():
            lines.append(f"         {key}: {_fact_text(value)}")
        if stage.error:
            lines.append(f"         error: {stage.error}")
    if report.iam:
        iam = report.iam
        per_role = iam.get("calls_per_role", {})
        lines.append(
            f"IAM ({iam.get('mode')}): {sum(per_role.values())} calls authorised for {len(per_role)} roles, "
            f"{iam.get('admin_calls', 0)} admin calls, {len(iam.get('denials', []))} denials"
        )
        for role, count in per_role.items():
            lines.append(f"         {role}: {count}")
        for denial in iam.get("denials", [])[:20]:
            mark = "refused, handled by the client:" if denial.get("tolerated") else "DENIED"
            lines.append(
                f"         {mark} {denial['principal']} {denial['action']} on {denial['resource']} ({denial['reason']})"
            )
    lines.append(f"Result: {report.result.upper()} in {report.duration_s:.1f} s")
    return "\n".join(lines)
