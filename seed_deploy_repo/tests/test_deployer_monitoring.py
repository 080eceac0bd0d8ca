"""The stage config's monitoring section, the package's baseline, and the schedule in the endpoint template."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from deployer import baseline, deploy
from deployer.errors import DeployerError
from deployer.monitoring_config import DISABLED, MonitoringSettings, parse_monitoring
from deployer.settings import project_settings
from deployer.stage_config import config_path, load_stage_config, parse_stage_config

GOOD = {
    "enabled": True,
    "schedule_expression": "cron(0 * ? * * *)",
    "instance_type": "ml.m5.large",
    "max_runtime_seconds": 1800,
}
BASELINE = baseline.DataQualityBaseline(
    "s3://bucket/baseline/statistics.json", "s3://bucket/baseline/constraints.json"
)
ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1"


@pytest.mark.parametrize(
    "expression", ["cron(0 * ? * * *)", "cron(0 7 ? * * *)", "cron(0 23 ? * * *)", "cron(0 0/6 ? * * *)"]
)
def test_accepts_the_schedule_expressions_model_monitor_documents(expression: str) -> None:
    settings = parse_monitoring({**GOOD, "schedule_expression": expression}, "x", capture_enabled=True)
    assert settings == MonitoringSettings(True, expression, "ml.m5.large", 1800)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schedule_expression": "rate(1 hour)"}, r"is not one Model Monitor accepts"),
        ({"schedule_expression": "cron(30 * ? * * *)"}, r"is not one Model Monitor accepts"),
        ({"schedule_expression": "cron(0 24 ? * * *)"}, r"is not one Model Monitor accepts"),
        ({"schedule_expression": "cron(0 0/25 ? * * *)"}, r"is not one Model Monitor accepts"),
        ({"max_runtime_seconds": 3601}, r"from 1 to 3600 \(an hourly schedule"),
        ({"max_runtime_seconds": True}, r"max_runtime_seconds must be a whole number"),
        ({"enabled": "yes"}, r"monitoring.enabled must be true or false"),
        ({"instance_type": "m5.large"}, r"instance_type must be an instance type"),
        ({"schedul_expression": "x"}, r"unknown key\(s\) in monitoring: schedul_expression"),
    ],
)
def test_refuses_bad_settings_with_what_to_write(change: dict[str, Any], message: str) -> None:
    with pytest.raises(DeployerError, match=message):
        parse_monitoring({**GOOD, **change}, "config/prod.json", capture_enabled=True)


def test_a_daily_schedule_may_run_longer_than_an_hour() -> None:
    daily = {**GOOD, "schedule_expression": "cron(0 3 ? * * *)", "max_runtime_seconds": 7200}
    assert parse_monitoring(daily, "x", capture_enabled=True).max_runtime_seconds == 7200


def test_monitoring_needs_data_capture() -> None:
    with pytest.raises(DeployerError, match=r"needs data_capture\.enabled"):
        parse_monitoring(GOOD, "config/staging.json", capture_enabled=False)
    assert parse_monitoring({**GOOD, "enabled": False}, "x", capture_enabled=False).enabled is False


def test_a_config_without_the_section_has_no_monitoring(repo_root: Path) -> None:
    raw = json.loads((repo_root / "config" / "staging.json").read_text())
    raw.pop("monitoring")
    assert parse_stage_config(raw, "x").monitoring == DISABLED
    assert DISABLED.enabled is False


def test_committed_prod_config_monitors_and_staging_does_not(repo_root: Path) -> None:
    prod = load_stage_config(config_path("prod", repo_root))
    staging = load_stage_config(config_path("staging", repo_root))
    assert prod.monitoring.enabled
    assert prod.data_capture.enabled
    assert not staging.monitoring.enabled


def test_the_baseline_comes_from_drift_check_baselines() -> None:
    description = {
        "ModelPackageArn": ARN,
        "DriftCheckBaselines": {
            "ModelDataQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": "s3://b/stats.json"},
                "Constraints": {"ContentType": "application/json", "S3Uri": "s3://b/constraints.json"},
            }
        },
    }
    assert baseline.from_package(description) == baseline.DataQualityBaseline(
        "s3://b/stats.json", "s3://b/constraints.json"
    )


@pytest.mark.parametrize(
    "baselines",
    [{}, {"ModelQuality": {"Statistics": {"S3Uri": "s3://b/s"}}}, {"ModelDataQuality": {"Statistics": {}}}],
)
def test_a_package_without_a_data_quality_baseline_is_refused(baselines: dict[str, Any]) -> None:
    with pytest.raises(DeployerError, match=r"has no data-quality baseline.*monitoring.enabled"):
        baseline.from_package({"ModelPackageArn": ARN, "DriftCheckBaselines": baselines})


def test_monitoring_changes_do_not_replace_the_model_but_replace_the_job_definition(
    repo_root: Path, project_env: dict[str, str]
) -> None:
    project = project_settings()
    config = load_stage_config(config_path("prod", repo_root))
    daily = copy.replace(
        config, monitoring=copy.replace(config.monitoring, schedule_expression="cron(0 3 ? * * *)")
    )
    first = deploy.stack_parameters(project, "prod", config, ARN, BASELINE)
    other_schedule = deploy.stack_parameters(project, "prod", daily, ARN, BASELINE)
    other_baseline = deploy.stack_parameters(
        project, "prod", config, ARN, baseline.DataQualityBaseline("s3://b/s2.json", "s3://b/c2.json")
    )
    assert first["ResourceSuffix"] == other_schedule["ResourceSuffix"] == other_baseline["ResourceSuffix"]
    assert len({p["MonitoringSuffix"] for p in (first, other_schedule, other_baseline)}) == 3
    assert first["MonitoringEnabled"] == "true"
    assert first["BaselineStatisticsS3Uri"] == BASELINE.statistics_s3_uri
    assert first["BaselineConstraintsS3Uri"] == BASELINE.constraints_s3_uri
    with pytest.raises(DeployerError, match="no data-quality baseline"):
        deploy.stack_parameters(project, "prod", config, ARN)
    staging = load_stage_config(config_path("staging", repo_root))
    assert deploy.stack_parameters(project, "staging", staging, ARN)["MonitoringEnabled"] == "false"


@pytest.fixture
def template(repo_root: Path) -> dict[str, Any]:
    decoded, errors = decode_str((repo_root / "templates" / "endpoint.yaml").read_text())
    assert not errors
    assert decoded is not None
    return dict(decoded)


def test_schedule_and_job_definition_exist_only_with_monitoring(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    assert resources["DataQualityJobDefinition"]["Condition"] == "MonitoringOn"
    assert resources["DataQualityMonitoringSchedule"]["Condition"] == "MonitoringOn"
    # Monitoring without capture would analyse nothing: the condition includes data capture.
    assert {"Condition": "CaptureEnabled"} in template["Conditions"]["MonitoringOn"]["Fn::And"]
    config = resources["DataQualityMonitoringSchedule"]["Properties"]["MonitoringScheduleConfig"]
    assert config["MonitoringType"] == "DataQuality"
    job = resources["DataQualityJobDefinition"]["Properties"]
    assert config["MonitoringJobDefinitionName"] == job["JobDefinitionName"]
    assert job["DataQualityBaselineConfig"] == {
        "StatisticsResource": {"S3Uri": {"Ref": "BaselineStatisticsS3Uri"}},
        "ConstraintsResource": {"S3Uri": {"Ref": "BaselineConstraintsS3Uri"}},
    }


def test_deploy_command_passes_the_packages_own_baseline_to_the_stack(
    project_env: dict[str, str], model_registry: Any, cloudformation: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    arn = model_registry.register("Approved")
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_ARN", arn)
    monkeypatch.chdir(tmp_path)
    assert deploy.main(["--stage", "prod", "--poll-seconds", "0"]) == 0
    stack = cloudformation.describe_stacks(StackName=project_settings().stack_name("prod"))["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    # The URIs the conftest registry registered with the package (as the build pipeline does).
    assert parameters["BaselineStatisticsS3Uri"] == "s3://bucket/baselines/data-quality/statistics.json"
    assert parameters["BaselineConstraintsS3Uri"] == "s3://bucket/baselines/data-quality/constraints.json"
    assert parameters["MonitoringEnabled"] == "true"


def test_deploy_command_refuses_a_package_without_a_baseline_where_monitoring_is_on(
    project_env: dict[str, str],
    model_registry: Any,
    sagemaker: Any,
    monkeypatch: Any,
    tmp_path: Path,
    capsys: Any,
) -> None:
    arn = sagemaker.create_model_package(
        ModelPackageGroupName=model_registry.group,
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": "img", "ModelDataUrl": "s3://bucket/model/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_ARN", arn)
    monkeypatch.chdir(tmp_path)
    assert deploy.main(["--stage", "prod", "--poll-seconds", "0"]) == 1
    assert "has no data-quality baseline" in capsys.readouterr().err
