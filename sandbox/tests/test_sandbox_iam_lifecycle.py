"""A denial stops the lifecycle under enforce (even when the code that got it carried on), not under audit;
a tolerated denial never does. The report's iam section and timeline name principal, action, resource."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from sandbox.lifecycle import runner
from sandbox.local_aws.iam_enforcement import CallLog, Denial
from sandbox.report import Report, timeline

ROLE = "arn:aws:iam::123456789012:role/sagemaker-gitlab/p-build"
SESSION = "arn:aws:sts::123456789012:assumed-role/p-build/job-1"


def run_two_stages(monkeypatch: pytest.MonkeyPatch, mode: str, denial: Denial) -> Report:
    log = CallLog(mode=mode)

    def first(ctx: Any) -> dict[str, Any]:
        log.record(ROLE, denial.action, denial)  # the call was refused, but the stage's code carried on
        return {}

    def second(ctx: Any) -> dict[str, Any]:
        return {}

    monkeypatch.setattr(runner, "STAGES", [("one", "stage one", first), ("two", "stage two", second)])
    ctx = SimpleNamespace(cloud=SimpleNamespace(aws=SimpleNamespace(iam_log=log)), log=lambda message: None)
    report = Report()
    runner.run(ctx, report)  # type: ignore[arg-type]
    report.iam = log.summary()
    report.finish()
    return report


def test_enforce_fails_the_stage_and_skips_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    denial = Denial(
        SESSION,
        "sagemaker:CreatePipeline",
        "arn:aws:sagemaker:us-east-1:123456789012:pipeline/x",
        "no identity-based policy allows it",
    )
    report = run_two_stages(monkeypatch, "enforce", denial)
    assert [s.result for s in report.stages] == ["failed", "skipped"]
    error = report.stages[0].error or ""
    assert SESSION in error
    assert "sagemaker:CreatePipeline" in error
    assert "pipeline/x" in error
    assert report.iam["denials"][0]["action"] == "sagemaker:CreatePipeline"
    assert "DENIED " + SESSION + " sagemaker:CreatePipeline on" in timeline(report)


def test_audit_only_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    denial = Denial(SESSION, "sagemaker:CreatePipeline", "*", "no identity-based policy allows it")
    report = run_two_stages(monkeypatch, "audit", denial)
    assert [s.result for s in report.stages] == ["passed", "passed"]
    assert len(report.iam["denials"]) == 1
    assert report.iam["calls_per_role"] == {ROLE: 1}


def test_tolerated_denial_does_not_fail_enforce(monkeypatch: pytest.MonkeyPatch) -> None:
    denial = Denial(
        SESSION, "s3:ListAllMyBuckets", "arn:aws:s3:::*", "no permissions boundary allows it", True
    )
    report = run_two_stages(monkeypatch, "enforce", denial)
    assert [s.result for s in report.stages] == ["passed", "passed"]
