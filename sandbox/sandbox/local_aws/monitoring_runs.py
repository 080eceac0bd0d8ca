"""A monitoring schedule's execution, "run now" (K3: sandbox code calls it; no background clock yet).

What the built-in analyzer does for a data-quality schedule (SageMaker "Data quality" and "Schedule
monitoring jobs", https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-quality.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-results.html):
- reads the endpoint's captured requests of the analysis window (by default the hour before the run);
- checks them against the job definition's baseline (K4 model_monitor_analyzer.check: the container's
  statistics.json and constraint_violations.json formats);
- writes both reports under `<S3Output.S3Uri>/<endpoint>/<schedule>/yyyy/mm/dd/hh/` (the hour of the
  scheduled time) as the container does;
- with emit_metrics Enabled, publishes `feature_baseline_drift_<feature>` to namespace
  `aws/sagemaker/Endpoints/data-metrics` with dimensions Endpoint and MonitoringSchedule
  ("CloudWatch Metrics for Deployed Models" in the Model Monitor docs);
- ends the execution Completed or CompletedWithViolations (API_MonitoringExecutionSummary.html).
Not emulated: the drift metric is published for features whose drift check found a distance above the
threshold (the value parsed from the violation's description); the container also publishes it, and the
other per-feature metrics, for every feature. Only CSV captures of endpointInput are analysed.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

from sandbox.local_aws import model_monitor_analyzer, monitoring_schedules

NAMESPACE = "aws/sagemaker/Endpoints/data-metrics"
_DISTANCE = re.compile(r"Baseline drift distance: ([0-9.eE+-]+) exceeds")


@dataclass(frozen=True)
class Execution:
    status: str
    statistics_uri: str
    violations_uri: str
    violations: list[dict[str, str]]


def _s3(account_id: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account_id]["aws"]


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _read_json(account_id: str, uri: str) -> Any:
    bucket, key = _split(uri)
    return json.loads(_s3(account_id).get_object(bucket, key).value)


def captured_rows(
    account_id: str, region: str, endpoint: str, start: datetime.datetime, end: datetime.datetime
) -> list[str]:
    """The CSV request lines data capture wrote for `endpoint` with inferenceTime in [start, end)."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[account_id][region]
    config = backend.endpoint_configs[backend.endpoints[endpoint].endpoint_config_name]
    destination = str((config.data_capture_config or {}).get("DestinationS3Uri", ""))
    if not destination:
        return []
    bucket, prefix = _split(destination)
    s3 = _s3(account_id)
    rows: list[str] = []
    for key in sorted(s3.get_bucket(bucket).keys.keys()):
        if not key.startswith(f"{prefix.strip('/')}/{endpoint}/".lstrip("/")):
            continue
        for line in s3.get_object(bucket, key).value.decode().splitlines():
            record = json.loads(line)
            at = datetime.datetime.strptime(record["eventMetadata"]["inferenceTime"], "%Y-%m-%dT%H:%M:%SZ")
            data = record["captureData"].get("endpointInput", {})
            if start <= at.replace(tzinfo=datetime.UTC) < end and data.get("encoding") == "CSV":
                rows.extend(row for row in str(data["data"]).splitlines() if row.strip())
    return rows


def run_now(
    account_id: str,
    region: str,
    schedule_name: str,
    now: datetime.datetime | None = None,
    window: tuple[datetime.datetime, datetime.datetime] | None = None,
) -> Execution:
    """Run one execution of `schedule_name` at `now`, analysing `window` (default: the hour before)."""
    store = monitoring_schedules.store(account_id, region)
    schedule = store.schedule(schedule_name)
    definition = store.job_definition(schedule["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"])
    now = now or datetime.datetime.now(datetime.UTC)
    start, end = window or (now - datetime.timedelta(hours=1), now)
    endpoint = schedule["EndpointName"]
    baseline = definition["DataQualityBaselineConfig"]
    statistics = _read_json(account_id, baseline["StatisticsResource"]["S3Uri"])
    constraints = _read_json(account_id, baseline["ConstraintsResource"]["S3Uri"])
    rows = captured_rows(account_id, region, endpoint, start, end)
    output = definition["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"].rstrip("/")
    folder = f"{output}/{endpoint}/{schedule_name}/{now:%Y/%m/%d/%H}"
    summary: dict[str, Any] = {
        "MonitoringScheduleName": schedule_name,
        "ScheduledTime": now,
        "CreationTime": now,
        "LastModifiedTime": now,
        "EndpointName": endpoint,
        "MonitoringJobDefinitionName": definition["JobDefinitionName"],
        "MonitoringType": "DataQuality",
        "ProcessingJobArn": (
            f"arn:aws:sagemaker:{region}:{account_id}:processing-job/model-monitoring-{now:%Y%m%d%H%M}-"
            f"{schedule_name.lower()[:20]}"
        ),
    }
    if not rows:
        # The container fails an execution that has no captured data to analyse.
        summary.update(MonitoringExecutionStatus="Failed", FailureReason="No data was captured in the window")
        store.record_execution(summary)
        return Execution("Failed", "", "", [])
    frame = model_monitor_analyzer.read_csv("\n".join(rows))
    observed, violations = model_monitor_analyzer.check(frame, statistics, constraints)
    s3 = _s3(account_id)
    for name, document in (("statistics.json", observed), ("constraint_violations.json", violations)):
        bucket, key = _split(f"{folder}/{name}")
        s3.put_object(bucket, key, json.dumps(document, indent=2).encode())
    if constraints.get("monitoring_config", {}).get("emit_metrics", "Enabled") == "Enabled":
        _publish(account_id, region, endpoint, schedule_name, violations["violations"], now)
    status = "CompletedWithViolations" if violations["violations"] else "Completed"
    summary["MonitoringExecutionStatus"] = status
    store.record_execution(summary)
    return Execution(
        status, f"{folder}/statistics.json", f"{folder}/constraint_violations.json", violations["violations"]
    )


def _publish(
    account_id: str,
    region: str,
    endpoint: str,
    schedule: str,
    violations: list[dict[str, str]],
    at: datetime.datetime,
) -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    data = []
    for violation in violations:
        match = _DISTANCE.search(violation.get("description", ""))
        if violation.get("constraint_check_type") == "baseline_drift_check" and match:
            data.append(
                {
                    "MetricName": f"feature_baseline_drift_{violation['feature_name']}",
                    "Dimensions": [
                        {"Name": "Endpoint", "Value": endpoint},
                        {"Name": "MonitoringSchedule", "Value": schedule},
                    ],
                    "Value": float(match.group(1)),
                    "Unit": "None",
                    "Timestamp": at.astimezone(datetime.UTC).replace(tzinfo=None),
                }
            )
    if data:
        cloudwatch_backends[account_id][region].put_metric_data(NAMESPACE, data)
