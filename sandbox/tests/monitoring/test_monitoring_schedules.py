"""Model Monitor schedules in the local AWS: the deploy stack's job definition and schedule, their API shapes,
replacement on a new baseline, removal with the stack, and SageMaker's refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sandbox.local_aws import monitoring_schedules

ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/model"


def job_definition(name: str, endpoint: str, baseline: str) -> dict[str, Any]:
    return {
        "JobDefinitionName": name,
        "DataQualityAppSpecification": {
            "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
        },
        "DataQualityBaselineConfig": {
            "StatisticsResource": {"S3Uri": f"s3://art/{baseline}/statistics.json"},
            "ConstraintsResource": {"S3Uri": f"s3://art/{baseline}/constraints.json"},
        },
        "DataQualityJobInput": {
            "EndpointInput": {"EndpointName": endpoint, "LocalPath": "/opt/ml/processing/input/endpoint"}
        },
        "DataQualityJobOutputConfig": {
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": "s3://art/monitoring/prod", "LocalPath": "/opt/ml/processing/output"}}
            ]
        },
        "JobResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
        },
        "RoleArn": ROLE,
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
    }


def template(definition: str, baseline: str) -> str:
    properties = job_definition(definition, "ep-p-1-prod", baseline)
    return json.dumps(
        {
            "Resources": {
                "Job": {"Type": "AWS::SageMaker::DataQualityJobDefinition", "Properties": properties},
                "Schedule": {
                    "Type": "AWS::SageMaker::MonitoringSchedule",
                    "DependsOn": "Job",
                    "Properties": {
                        "MonitoringScheduleName": "ep-p-1-prod",
                        "EndpointName": "ep-p-1-prod",
                        "MonitoringScheduleConfig": {
                            "MonitoringType": "DataQuality",
                            "MonitoringJobDefinitionName": definition,
                            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"},
                        },
                    },
                },
            },
            "Outputs": {"Schedule": {"Value": {"Ref": "Schedule"}}, "Job": {"Value": {"Ref": "Job"}}},
        }
    )


@pytest.fixture
def sagemaker(local_aws: Any, capturing_endpoint: Any) -> Any:
    capturing_endpoint("ep-p-1-prod")
    return local_aws.client("sagemaker")


def test_the_stack_creates_replaces_and_removes_the_schedule(local_aws: Any, sagemaker: Any) -> None:
    cloudformation = local_aws.client("cloudformation")
    cloudformation.create_stack(StackName="deploy-prod", TemplateBody=template("dq-p-1-prod-aaa", "v1"))
    schedule = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="ep-p-1-prod")
    assert (
        schedule["MonitoringScheduleArn"]
        == f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/ep-p-1-prod"
    )
    assert schedule["MonitoringScheduleStatus"] == "Scheduled"
    assert schedule["MonitoringType"] == "DataQuality"
    assert schedule["EndpointName"] == "ep-p-1-prod"
    assert schedule["MonitoringScheduleConfig"]["ScheduleConfig"] == {
        "ScheduleExpression": "cron(0 * ? * * *)"
    }
    definition = sagemaker.describe_data_quality_job_definition(JobDefinitionName="dq-p-1-prod-aaa")
    assert definition["DataQualityBaselineConfig"]["StatisticsResource"] == {
        "S3Uri": "s3://art/v1/statistics.json"
    }
    assert definition["JobDefinitionArn"].endswith(":data-quality-job-definition/dq-p-1-prod-aaa")
    listed = sagemaker.list_monitoring_schedules(EndpointName="ep-p-1-prod")["MonitoringScheduleSummaries"]
    assert [(s["MonitoringScheduleName"], s["MonitoringJobDefinitionName"]) for s in listed] == [
        ("ep-p-1-prod", "dq-p-1-prod-aaa")
    ]
    assert (
        sagemaker.list_monitoring_executions(MonitoringScheduleName="ep-p-1-prod")[
            "MonitoringExecutionSummaries"
        ]
        == []
    )

    # A new model's baseline: a new job definition; the old one goes once the schedule names the new one.
    cloudformation.update_stack(StackName="deploy-prod", TemplateBody=template("dq-p-1-prod-bbb", "v2"))
    schedule = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="ep-p-1-prod")
    assert schedule["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == "dq-p-1-prod-bbb"
    assert sorted(monitoring_schedules.store(ACCOUNT, REGION).job_definitions) == ["dq-p-1-prod-bbb"]

    cloudformation.delete_stack(StackName="deploy-prod")
    with pytest.raises(ClientError) as missing:
        sagemaker.describe_monitoring_schedule(MonitoringScheduleName="ep-p-1-prod")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"
    assert monitoring_schedules.store(ACCOUNT, REGION).job_definitions == {}


def test_sagemaker_refusals(sagemaker: Any) -> None:
    with pytest.raises(ClientError, match="Endpoint nope does not exist"):
        sagemaker.create_data_quality_job_definition(**job_definition("dq-x", "nope", "v1"))
    with pytest.raises(ClientError, match="failed to satisfy constraint"):
        sagemaker.create_data_quality_job_definition(**job_definition("dq_x", "ep-p-1-prod", "v1"))
    with pytest.raises(ClientError, match="does not exist"):
        sagemaker.create_monitoring_schedule(
            MonitoringScheduleName="s",
            MonitoringScheduleConfig={
                "MonitoringJobDefinitionName": "dq-missing",
                "MonitoringType": "DataQuality",
            },
        )
    sagemaker.create_data_quality_job_definition(**job_definition("dq-x", "ep-p-1-prod", "v1"))
    sagemaker.create_monitoring_schedule(
        MonitoringScheduleName="s",
        MonitoringScheduleConfig={"MonitoringJobDefinitionName": "dq-x", "MonitoringType": "DataQuality"},
    )
    with pytest.raises(ClientError, match="is used by monitoring schedule"):
        sagemaker.delete_data_quality_job_definition(JobDefinitionName="dq-x")
    with pytest.raises(ClientError) as missing:
        sagemaker.describe_data_quality_job_definition(JobDefinitionName="dq-none")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFound"


def test_executions_are_listed_newest_first_and_become_the_last_summary(sagemaker: Any) -> None:
    import datetime

    sagemaker.create_data_quality_job_definition(**job_definition("dq-x", "ep-p-1-prod", "v1"))
    sagemaker.create_monitoring_schedule(
        MonitoringScheduleName="s",
        MonitoringScheduleConfig={"MonitoringJobDefinitionName": "dq-x", "MonitoringType": "DataQuality"},
    )
    store = monitoring_schedules.store(ACCOUNT, REGION)
    for hour, status in ((1, "Completed"), (2, "CompletedWithViolations")):
        at = datetime.datetime(2026, 1, 1, hour, tzinfo=datetime.UTC)
        store.record_execution(
            {
                "MonitoringScheduleName": "s",
                "ScheduledTime": at,
                "CreationTime": at,
                "LastModifiedTime": at,
                "MonitoringExecutionStatus": status,
                "EndpointName": "ep-p-1-prod",
                "MonitoringJobDefinitionName": "dq-x",
                "MonitoringType": "DataQuality",
            }
        )
    listed = sagemaker.list_monitoring_executions(MonitoringScheduleName="s")["MonitoringExecutionSummaries"]
    assert [e["MonitoringExecutionStatus"] for e in listed] == ["CompletedWithViolations", "Completed"]
    last = sagemaker.describe_monitoring_schedule(MonitoringScheduleName="s")[
        "LastMonitoringExecutionSummary"
    ]
    assert last["MonitoringExecutionStatus"] == "CompletedWithViolations"
    with pytest.raises(ValueError, match="not a MonitoringExecutionStatus"):
        store.record_execution({"MonitoringExecutionStatus": "Done", "MonitoringScheduleName": "s"})
