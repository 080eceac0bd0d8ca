"""``python -m deployer.smoke_test --stage staging``: invoke the stage's endpoint for real and judge it.

The endpoint name comes from the stage stack's Outputs. Every sample row is sent on its own, ``rounds``
times (these requests give the latency figures), then all rows once as one batch. The test fails unless
every response parses, holds one prediction per row, every prediction is finite and inside the configured
range, and the p50/p95/p99 client-side latencies (network included) are within the configured budget.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.exceptions import ClientError

from deployer import settings, superseded
from deployer.cli import run
from deployer.errors import DeployerError
from deployer.latency import percentiles
from deployer.serving import CONTENT_TYPE, load_sample_rows, parse_predictions
from deployer.stack import describe as describe_stack
from deployer.stack import outputs_of
from deployer.stage_config import PERCENTILES, SmokeTestSettings, config_path, load_stage_config

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_LISTED_PROBLEMS = 20

Invoke = Callable[[str], str]


@dataclass
class SmokeReport:
    endpoint: str
    stage: str
    requests: int = 0
    predictions: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    percentiles_ms: dict[str, float] = field(default_factory=dict)
    budget_ms: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def prediction_problems(predictions: Sequence[float], low: float, high: float) -> list[str]:
    problems: list[str] = []
    for index, value in enumerate(predictions):
        if not math.isfinite(value):
            problems.append(f"prediction #{index + 1} is not a finite number: {value}")
        elif not low <= value <= high:
            problems.append(
                f"prediction #{index + 1} = {value:g} is outside the plausible range [{low:g}, {high:g}]"
            )
    return problems


def latency_problems(measured: dict[str, float], budget: dict[str, float]) -> list[str]:
    return [
        f"{name} latency {measured[name]:.1f} ms exceeds its budget of {budget[name]:g} ms"
        for name in budget
        if name in measured and measured[name] > budget[name]
    ]


def exercise(
    invoke: Invoke,
    rows: Sequence[str],
    config: SmokeTestSettings,
    report: SmokeReport,
    clock: Callable[[], float] = time.perf_counter,
) -> SmokeReport:
    """Send the requests and fill ``report``; ``invoke`` sends one ``text/csv`` body and returns the reply."""

    def send(body: str, expected: int, label: str) -> float | None:
        report.requests += 1
        started = clock()
        try:
            reply = invoke(body)
        except ClientError as error:
            details = error.response.get("Error", {})
            report.problems.append(f"{label}: {details.get('Code', '?')}: {details.get('Message', '')}")
            return None
        elapsed_ms = (clock() - started) * 1000
        try:
            values = parse_predictions(reply)
        except ValueError as error:
            report.problems.append(f"{label}: {error}")
            return None
        if len(values) != expected:
            report.problems.append(f"{label}: expected {expected} prediction(s), got {len(values)}")
        report.predictions.extend(values)
        return elapsed_ms

    for round_number in range(1, config.rounds + 1):
        for row_number, row in enumerate(rows, start=1):
            elapsed = send(row, 1, f"row {row_number} (round {round_number})")
            if elapsed is not None:
                report.latencies_ms.append(elapsed)
    send("\n".join(rows), len(rows), f"batch of {len(rows)} rows")

    report.problems += prediction_problems(report.predictions, config.prediction_min, config.prediction_max)
    report.budget_ms = dict(config.latency_budget_ms)
    if report.latencies_ms:
        report.percentiles_ms = percentiles(report.latencies_ms, PERCENTILES)
        report.problems += latency_problems(report.percentiles_ms, report.budget_ms)
    else:
        report.problems.append("no request succeeded, so there is no latency to report")
    return report


def summary(report: SmokeReport, config: SmokeTestSettings) -> list[str]:
    lines = [
        f"Smoke test of endpoint {report.endpoint} (stage {report.stage})",
        f"  requests     : {report.requests} ({config.rounds} round(s) of single rows, then one batch)",
    ]
    finite = [value for value in report.predictions if math.isfinite(value)]
    if finite:
        lines.append(
            f"  predictions  : {len(report.predictions)}, from {min(finite):g} to {max(finite):g} "
            f"(plausible range [{config.prediction_min:g}, {config.prediction_max:g}])"
        )
    if report.percentiles_ms:
        lines.append(
            "  latency (ms) : "
            + "  ".join(
                f"{name} {report.percentiles_ms[name]:.1f} / budget {report.budget_ms[name]:g}"
                for name in PERCENTILES
            )
        )
    lines.append(f"  result       : {'PASSED' if report.passed else 'FAILED'}")
    shown = report.problems[:MAX_LISTED_PROBLEMS]
    lines += [f"  problem      : {problem}" for problem in shown]
    if len(report.problems) > len(shown):
        lines.append(f"  ... and {len(report.problems) - len(shown)} more problem(s)")
    return lines


def endpoint_of_stage(
    cfn: CloudFormationClient, sagemaker: SageMakerClient, stack_name: str, expected_package: str = ""
) -> str:
    """The stage's endpoint, once it is InService and (if given) serving ``expected_package``."""
    stack = describe_stack(cfn, stack_name)
    if stack is None:
        raise DeployerError(f"stack {stack_name} does not exist: deploy this stage first")
    outputs = outputs_of(stack)
    endpoint = outputs.get("EndpointName")
    if not endpoint:
        raise DeployerError(f"stack {stack_name} ({stack['StackStatus']}) has no EndpointName output")
    serving = outputs.get("ModelPackageArn", "")
    if expected_package and serving != expected_package:
        # Resource groups serialise jobs, not job pairs: another pipeline may have deployed in between.
        raise DeployerError(
            f"stack {stack_name} now serves {serving or 'an unknown package'}, not {expected_package} that this "
            "pipeline deployed (another pipeline deployed meanwhile). This pipeline's model was not tested; "
            "run the pipeline again to test and promote it."
        )
    described = sagemaker.describe_endpoint(EndpointName=endpoint)
    if described["EndpointStatus"] != "InService":
        raise DeployerError(
            f"endpoint {endpoint} is {described['EndpointStatus']}, not InService"
            + (f": {described['FailureReason']}" if described.get("FailureReason") else "")
        )
    return endpoint


def runtime_invoker(runtime: SageMakerRuntimeClient, endpoint: str) -> Invoke:
    def invoke(body: str) -> str:
        response = runtime.invoke_endpoint(
            EndpointName=endpoint, ContentType=CONTENT_TYPE, Accept=CONTENT_TYPE, Body=body.encode("utf-8")
        )
        return response["Body"].read().decode("utf-8")

    return invoke


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deployer.smoke_test", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--stage", required=True, choices=settings.STAGES)
    parser.add_argument("--config", type=Path, help="stage config (default: config/<stage>.json)")
    parser.add_argument("--report", type=Path, help="JSON report to write (default: smoke-test-<stage>.json)")
    parser.add_argument(
        "--expect-model-package-arn",
        default=os.environ.get("RESOLVED_MODEL_PACKAGE_ARN", ""),
        help="fail unless the stage serves this package (default: $RESOLVED_MODEL_PACKAGE_ARN; empty: any)",
    )
    args = parser.parse_args(argv)

    def body() -> int:
        project = settings.project_settings()
        target = args.report or Path(f"smoke-test-{args.stage}.json")
        expected = args.expect_model_package_arn.strip()
        sagemaker = boto3.client("sagemaker")
        newer = (
            superseded.check(
                sagemaker,
                expected,
                project.model_package_group,
                superseded.resolved_reason(os.environ),
            )
            if expected
            else None
        )
        if newer is not None:
            for line in superseded.message(f"smoke test of {args.stage}", expected, newer):
                print(line)
            record = {"stage": args.stage, "expected_package": expected, "superseded_by": newer.arn}
            target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            return 0
        config = load_stage_config(args.config or config_path(args.stage, REPO_ROOT)).smoke_test
        rows = load_sample_rows(REPO_ROOT / config.sample_rows_file)
        endpoint = endpoint_of_stage(
            boto3.client("cloudformation"),
            sagemaker,
            project.stack_name(args.stage),
            args.expect_model_package_arn.strip(),
        )
        report = exercise(
            runtime_invoker(boto3.client("sagemaker-runtime"), endpoint),
            rows,
            config,
            SmokeReport(endpoint=endpoint, stage=args.stage),
        )
        for line in summary(report, config):
            print(line)
        record = {**asdict(report), "passed": report.passed}
        # NaN/inf are not JSON: keep them readable as strings.
        record["predictions"] = [
            value if math.isfinite(value) else str(value) for value in report.predictions
        ]
        target.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        return 0 if report.passed else 1

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
