"""A data-quality schedule run now: captured traffic checked against the baseline, reports, metrics."""

from __future__ import annotations

import datetime
import json
from typing import Any

import numpy as np

from sandbox.local_aws import model_monitor_analyzer, monitoring_runs

ACCOUNT, REGION = "123456789012", "us-east-1"


def _csv(rows: np.ndarray) -> str:
    return "\n".join(",".join(f"{v:.4f}" for v in row) for row in rows)


def _schedule(local_aws: Any, endpoint: str) -> None:
    rng = np.random.default_rng(3)
    training = model_monitor_analyzer.read_csv(_csv(rng.uniform(0, 1, size=(500, 2))))
    statistics, constraints = model_monitor_analyzer.suggest_baseline(training)
    s3 = local_aws.client("s3")
    s3.put_object(Bucket="art", Key="baseline/statistics.json", Body=json.dumps(statistics))
    s3.put_object(Bucket="art", Key="baseline/constraints.json", Body=json.dumps(constraints))
    sagemaker = local_aws.client("sagemaker")
    sagemaker.create_data_quality_job_definition(
        JobDefinitionName="dq-p-1-prod",
        DataQualityAppSpecification={"ImageUri": "monitor"},
        DataQualityBaselineConfig={
            "StatisticsResource": {"S3Uri": "s3://art/baseline/statistics.json"},
            "ConstraintsResource": {"S3Uri": "s3://art/baseline/constraints.json"},
        },
        DataQualityJobInput={
            "EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input"}
        },
        DataQualityJobOutputConfig={
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": "s3://art/monitoring/prod", "LocalPath": "/opt/ml/out"}}
            ]
        },
        JobResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
        },
        RoleArn="arn:aws:iam::123456789012:role/model",
    )
    sagemaker.create_monitoring_schedule(
        MonitoringScheduleName="sched",
        MonitoringScheduleConfig={
            "MonitoringJobDefinitionName": "dq-p-1-prod",
            "MonitoringType": "DataQuality",
        },
    )


def _send(local_aws: Any, endpoint: str, rows: np.ndarray) -> None:
    runtime = local_aws.client("sagemaker-runtime")
    for row in rows:
        runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=_csv(row[None, :]))


def test_traffic_like_the_training_data_completes_without_violations(
    local_aws: Any, capturing_endpoint: Any
) -> None:
    endpoint = capturing_endpoint("ep-prod")
    _schedule(local_aws, endpoint)
    _send(local_aws, endpoint, np.random.default_rng(4).uniform(0, 1, size=(60, 2)))
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)
    execution = monitoring_runs.run_now(ACCOUNT, REGION, "sched", now=later)
    assert execution.status == "Completed"
    assert execution.violations == []
    s3 = local_aws.client("s3")
    key = execution.violations_uri.removeprefix("s3://art/")
    assert key.startswith(f"monitoring/prod/ep-prod/sched/{later:%Y/%m/%d/%H}/")
    assert json.loads(s3.get_object(Bucket="art", Key=key)["Body"].read()) == {"violations": []}
    stats = json.loads(
        s3.get_object(Bucket="art", Key=execution.statistics_uri.removeprefix("s3://art/"))["Body"].read()
    )
    assert stats["dataset"]["item_count"] == 60


def test_shifted_traffic_names_the_drifted_feature_and_publishes_its_metric(
    local_aws: Any, capturing_endpoint: Any
) -> None:
    endpoint = capturing_endpoint("ep-prod")
    _schedule(local_aws, endpoint)
    rows = np.random.default_rng(5).uniform(0, 1, size=(60, 2))
    rows[:, 1] += 3.0  # the second feature moves far outside what the model learned from
    _send(local_aws, endpoint, rows)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)
    execution = monitoring_runs.run_now(ACCOUNT, REGION, "sched", now=later)
    assert execution.status == "CompletedWithViolations"
    drifted = {
        v["feature_name"]
        for v in execution.violations
        if v["constraint_check_type"] == "baseline_drift_check"
    }
    assert drifted == {"_c1"}
    sagemaker = local_aws.client("sagemaker")
    [summary] = sagemaker.list_monitoring_executions(MonitoringScheduleName="sched")[
        "MonitoringExecutionSummaries"
    ]
    assert summary["MonitoringExecutionStatus"] == "CompletedWithViolations"
    points = local_aws.client("cloudwatch").get_metric_statistics(
        Namespace="aws/sagemaker/Endpoints/data-metrics",
        MetricName="feature_baseline_drift__c1",
        Dimensions=[
            {"Name": "Endpoint", "Value": "ep-prod"},
            {"Name": "MonitoringSchedule", "Value": "sched"},
        ],
        StartTime=later - datetime.timedelta(minutes=5),
        EndTime=later + datetime.timedelta(minutes=5),
        Period=600,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert len(points) == 1
    assert points[0]["Maximum"] > 0.1  # above the suggested comparison_threshold


def test_a_window_without_captured_data_fails_the_execution(local_aws: Any, capturing_endpoint: Any) -> None:
    endpoint = capturing_endpoint("ep-prod")
    _schedule(local_aws, endpoint)
    assert monitoring_runs.run_now(ACCOUNT, REGION, "sched").status == "Failed"
