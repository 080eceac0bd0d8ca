#!/usr/bin/env python3
"""Benchmark the trigger Lambda: approval-to-pipeline-created latency and GitLab calls per approval.

Runs the real handler (``trigger.handler.lambda_handler``) in-process against the GitLab emulator
(``sandbox/sandbox/gitlab_emulator``, real python-gitlab client) and moto (SageMaker registry, Secrets
Manager, SNS). For each approval event it measures the time from invoking the handler until the pipeline
exists in GitLab (the handler returns after GitLab answered 201 with the pipeline), checks the pipeline's
variables through the API afterwards, and counts GitLab requests from the emulator's request log.

    .venv/bin/python scripts/bench_trigger.py [--runs 200] [--packages 250]

Figures are for this machine with local fakes: they measure the function's own overhead and call
pattern, not AWS or GitLab.com network latency. Nothing here is a test; it prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for extra in (ROOT / "sandbox", ROOT / "trigger_lambda"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

GROUP = "abalone-p-benchmark0001"
SECRET_NAME = f"sagemaker-gitlab/{GROUP}/deploy-trigger"
TRIGGER_ROUTE = "POST /projects/:id/trigger/pipeline"
CI_FILE = 'deploy:\n  script: echo "$MODEL_PACKAGE_ARN"\n'


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def event(event_id: str, arn: str, version: int, status: str) -> dict[str, Any]:
    """An event in the documented shape (see trigger_lambda/tests/events/)."""
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": "123456789012",
        "time": "2026-11-20T17:00:14Z",
        "region": "us-east-1",
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": GROUP,
            "ModelPackageVersion": version,
            "ModelPackageArn": arn,
            "CreationTime": "2026-11-20T16:55:02Z",
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": status,
            "UpdatedModelPackageFields": ["ModelApprovalStatus"],
            "LastModifiedTime": "2026-11-20T17:00:14Z",
        },
    }


def timed(call: Callable[[], dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    result = call()
    return (time.perf_counter() - start) * 1000.0, result


def summary(label: str, millis: list[float]) -> str:
    return (
        f"{label:<34} n={len(millis):<4} p50={statistics.median(millis):7.2f} ms  "
        f"p95={percentile(millis, 0.95):7.2f} ms  max={max(millis):7.2f} ms"
    )


def run(runs: int, packages: int) -> int:
    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "benchmark",
        "AWS_SECRET_ACCESS_KEY": "benchmark",
    }.items():
        os.environ[key] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)

    import boto3
    import gitlab
    from moto import mock_aws

    from sandbox.gitlab_emulator.seed import seed
    from sandbox.gitlab_emulator.server import GitLabEmulator

    with tempfile.TemporaryDirectory(prefix="bench-trigger-") as tmp, GitLabEmulator(Path(tmp)) as emulator:
        seeded = seed(emulator.state, "ml/team")
        gl = gitlab.Gitlab(emulator.url, private_token=seeded.group_token.value, timeout=10)
        group = gl.groups.get("ml/team")
        project = gl.projects.create(
            {"name": f"{GROUP}-model-deploy", "path": f"{GROUP}-model-deploy", "namespace_id": group.id}
        )
        project.commits.create(
            {
                "branch": "main",
                "commit_message": "seed",
                "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": CI_FILE}],
            }
        )
        token = project.triggers.create({"description": "benchmark"}).token

        with mock_aws():
            sm = boto3.client("sagemaker")
            sm.create_model_package_group(ModelPackageGroupName=GROUP)
            spec = {
                "Containers": [{"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgb:1.7-1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            }
            arns = [
                sm.create_model_package(
                    ModelPackageGroupName=GROUP,
                    ModelApprovalStatus="Approved" if i < packages - 1 else "Rejected",
                    InferenceSpecification=spec,  # type: ignore[arg-type]
                )["ModelPackageArn"]
                for i in range(packages)
            ]
            secret = {"gitlab_url": emulator.url, "project_id": project.id, "ref": "main", "token": token}
            boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps(secret))
            topic = boto3.client("sns").create_topic(Name="bench")["TopicArn"]
            os.environ.update(
                {
                    "TRIGGER_SECRET_NAME": SECRET_NAME,
                    "MODEL_PACKAGE_GROUP_NAME": GROUP,
                    "NOTIFICATION_TOPIC_ARN": topic,
                }
            )
            import trigger.handler as handler

            handler._runtime = None
            approved_arn, approved_version = arns[packages - 2], packages - 1
            calls: list[int] = []
            routes: set[str] = set()
            cold: list[float] = []
            warm: list[float] = []
            for i in range(runs):
                emulator.faults.clear_log()
                ev = event(f"bench-approve-{i}", approved_arn, approved_version, "Approved")
                millis, result = timed(lambda ev=ev: handler.lambda_handler(ev, None))  # type: ignore[misc]
                assert result["action"] == "deploy", result
                (cold if i == 0 else warm).append(millis)
                calls.append(emulator.faults.count())
                routes.update(r.endpoint for r in emulator.faults.requests())
                pipeline = project.pipelines.get(result["pipeline_id"])
                variables = {v.key: v.value for v in pipeline.variables.list(get_all=True)}
                assert variables["APPROVAL_EVENT_ID"] == ev["id"], variables
                assert variables["MODEL_PACKAGE_ARN"] == approved_arn, variables

            rollback_ms: list[float] = []
            rollback_calls: list[int] = []
            list_calls: list[int] = []
            withdrawn_arn = arns[packages - 1]
            runtime = handler._runtime
            assert runtime is not None
            counted: list[int] = []
            runtime.sagemaker.meta.events.register(
                "before-call.sagemaker.ListModelPackages", lambda **_: counted.append(1)
            )
            for i in range(max(1, runs // 10)):
                emulator.faults.clear_log()
                before = len(counted)
                ev = event(f"bench-rollback-{i}", withdrawn_arn, packages, "Rejected")
                millis, result = timed(lambda ev=ev: handler.lambda_handler(ev, None))
                assert result["action"] == "deploy", result
                assert result["reason"] == "rollback", result
                assert result["variables"]["MODEL_PACKAGE_ARN"] == arns[packages - 2], result
                rollback_ms.append(millis)
                rollback_calls.append(emulator.faults.count())
                routes.update(r.endpoint for r in emulator.faults.requests())
                list_calls.append(len(counted) - before)

            # Baseline: the same POST made directly with python-gitlab, to separate the handler's own
            # overhead from the emulator's time to create a pipeline.
            raw_ms: list[float] = []
            direct = gitlab.Gitlab(emulator.url, timeout=10).projects.get(project.id, lazy=True)
            variables = {"MODEL_PACKAGE_ARN": approved_arn, "DEPLOY_REASON": "approved"}
            for _ in range(max(1, runs // 4)):
                start = time.perf_counter()
                direct.trigger_pipeline("main", token, variables=variables)
                raw_ms.append((time.perf_counter() - start) * 1000.0)

            triggered = len(project.pipelines.list(get_all=True, source="trigger"))
            expected = runs + len(rollback_ms) + len(raw_ms)

    print("trigger Lambda benchmark (GitLab emulator + moto, in-process; this machine)")
    print(summary("approval -> pipeline created, cold", cold))
    if warm:
        print(summary("approval -> pipeline created, warm", warm))
    print(summary(f"rollback ({packages} packages), warm", rollback_ms))
    print(summary("baseline: bare trigger POST", raw_ms))
    print(
        f"GitLab calls per approval: min={min(calls)} max={max(calls)} "
        f"(endpoints called: {', '.join(sorted(routes))})"
    )
    print(
        f"GitLab calls per rollback: min={min(rollback_calls)} max={max(rollback_calls)}; "
        f"ListModelPackages calls per rollback: {max(list_calls)} ({packages - 1} Approved, pages of 100)"
    )
    print(f"triggered pipelines in GitLab: {triggered} (expected {expected})")
    ok = triggered == expected and routes == {TRIGGER_ROUTE} and all(c == 1 for c in calls + rollback_calls)
    print("RESULT:", "ok" if ok else "MISMATCH")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200, help="approval events to send (default 200)")
    parser.add_argument(
        "--packages",
        type=int,
        default=250,
        help="model packages in the group for the rollback look-up (default 250)",
    )
    args = parser.parse_args(argv)
    if args.runs < 2 or args.packages < 2:
        parser.error("--runs and --packages must be at least 2")
    return run(args.runs, args.packages)


if __name__ == "__main__":
    sys.exit(main())
