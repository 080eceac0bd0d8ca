"""templates/endpoint.yaml: cfn-lint clean as committed, and what it creates in moto's CloudFormation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode_str

from deployer import deploy
from deployer.baseline import DataQualityBaseline
from deployer.settings import project_settings
from deployer.stack import StackRequest, Waiting, deploy_stack
from deployer.stage_config import config_path, load_stage_config

NO_WAIT = Waiting(poll_seconds=0, sleep=lambda _seconds: None)
BASELINE = DataQualityBaseline("s3://b/baseline/statistics.json", "s3://b/baseline/constraints.json")
TAG_KEYS = {"sagemaker:project-name", "sagemaker:project-id", "sagemaker:deployment-stage"}


@pytest.fixture
def template(repo_root: Path) -> dict[str, Any]:
    decoded, errors = decode_str((repo_root / "templates" / "endpoint.yaml").read_text())
    assert not errors
    assert decoded is not None
    return dict(decoded)


def test_cfn_lint_finds_nothing(repo_root: Path) -> None:
    matches = lint_file(
        repo_root / "templates" / "endpoint.yaml", config=ManualArgs(regions=["us-east-1", "eu-west-1"])
    )
    assert [str(match) for match in matches] == []


def test_endpoint_name_fits_63_characters_for_the_longest_names(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    sub = template["Resources"]["Endpoint"]["Properties"]["EndpointName"]["Fn::Sub"]
    longest = sub.replace("${SageMakerProjectName}", "n" * parameters["SageMakerProjectName"]["MaxLength"])
    longest = longest.replace("${SageMakerProjectId}", "i" * parameters["SageMakerProjectId"]["MaxLength"])
    longest = longest.replace("${StageName}", max(parameters["StageName"]["AllowedValues"], key=len))
    assert "$" not in longest
    assert len(longest) <= 63


@pytest.mark.parametrize(
    ("resource", "name_property"),
    [
        ("Model", "ModelName"),
        ("EndpointConfig", "EndpointConfigName"),
        ("DataQualityJobDefinition", "JobDefinitionName"),
        ("DataQualityMonitoringSchedule", "MonitoringScheduleName"),
    ],
)
def test_model_and_config_names_carry_the_project_id_and_fit(
    template: dict[str, Any], resource: str, name_property: str
) -> None:
    # The deploy stacks' CloudFormation role may only touch SageMaker resources named *-<project id>-*.
    pattern = template["Resources"][resource]["Properties"][name_property]["Fn::Sub"]
    parameters = template["Parameters"]
    longest = pattern.replace(
        "${SageMakerProjectName}", "n" * parameters["SageMakerProjectName"]["MaxLength"]
    )
    longest = longest.replace("${SageMakerProjectId}", "p-abcdefghijkl")
    longest = longest.replace("${MonitoringSuffix}", "f" * 12)
    longest = longest.replace("${StageName}", max(parameters["StageName"]["AllowedValues"], key=len))
    longest = longest.replace("${ResourceSuffix}", "f" * 12)
    assert "$" not in longest
    assert "-p-abcdefghijkl-" in longest
    assert len(longest) <= 63


def test_the_resource_suffix_changes_with_the_deployment_and_only_then(
    repo_root: Path, project_env: dict[str, str]
) -> None:
    project = project_settings()
    config = load_stage_config(config_path("staging", repo_root))
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1"
    first = deploy.stack_parameters(project, "staging", config, arn)
    again = deploy.stack_parameters(project, "staging", config, arn)
    other_model = deploy.stack_parameters(project, "staging", config, arn[:-1] + "2")
    other_stage = deploy.stack_parameters(project, "prod", config, arn)
    assert first["ResourceSuffix"] == again["ResourceSuffix"]
    assert len({first["ResourceSuffix"], other_model["ResourceSuffix"], other_stage["ResourceSuffix"]}) == 3
    assert all(c in "0123456789abcdef" for c in first["ResourceSuffix"])


def test_every_resource_carries_the_project_tags(template: dict[str, Any]) -> None:
    for name, resource in template["Resources"].items():
        keys = {tag["Key"] for tag in resource["Properties"]["Tags"]}
        assert keys == TAG_KEYS, name


def request(repo_root: Path, stage: str, package_arn: str) -> StackRequest:
    project = project_settings()
    config = load_stage_config(config_path(stage, repo_root))
    return StackRequest(
        name=project.stack_name(stage),
        template_body=(repo_root / "templates" / "endpoint.yaml").read_text(),
        parameters=deploy.stack_parameters(
            project, stage, config, package_arn, BASELINE if config.monitoring.enabled else None
        ),
        role_arn=project.deploy_cfn_role_arn,
        tags=project.tags(stage),
    )


@pytest.mark.parametrize(("stage", "capture"), [("staging", False), ("prod", True)])
def test_creates_model_config_and_endpoint_in_moto(
    project_env: dict[str, str],
    model_registry: Any,
    cloudformation: Any,
    sagemaker: Any,
    repo_root: Path,
    lines: Any,
    stage: str,
    capture: bool,
) -> None:
    _, out = lines
    arn = model_registry.register("Approved")
    config = load_stage_config(config_path(stage, repo_root))
    assert config.data_capture.enabled is capture  # the committed configs differ on purpose

    outputs = deploy_stack(cloudformation, request(repo_root, stage, arn), out, NO_WAIT).outputs

    model = sagemaker.describe_model(ModelName=outputs["ModelName"])
    assert model["PrimaryContainer"] == {"ModelPackageName": arn}
    assert model["ExecutionRoleArn"] == project_env["MODEL_EXECUTION_ROLE_ARN"]
    endpoint_config = sagemaker.describe_endpoint_config(EndpointConfigName=outputs["EndpointConfigName"])
    variant = endpoint_config["ProductionVariants"][0]
    assert variant["ModelName"] == outputs["ModelName"]
    assert variant["InstanceType"] == config.endpoint.instance_type
    assert variant["InitialInstanceCount"] == config.endpoint.initial_instance_count
    if capture:
        assert endpoint_config["DataCaptureConfig"]["EnableCapture"] is True
        assert (
            endpoint_config["DataCaptureConfig"]["InitialSamplingPercentage"]
            == config.data_capture.sampling_percentage
        )
        expected_uri = f"s3://{project_env['ARTIFACT_BUCKET']}/data-capture/{stage}"
        assert endpoint_config["DataCaptureConfig"]["DestinationS3Uri"] == expected_uri
        assert outputs["DataCaptureS3Uri"] == expected_uri
    else:
        # The property is absent from the request; moto answers it as an empty object.
        assert endpoint_config.get("DataCaptureConfig", {}) == {}
        assert outputs["DataCaptureS3Uri"] == "disabled"
    endpoint = sagemaker.describe_endpoint(EndpointName=outputs["EndpointName"])
    assert endpoint["EndpointConfigName"] == outputs["EndpointConfigName"]
    assert endpoint["EndpointStatus"] == "InService"
    for resource_arn in (model["ModelArn"], endpoint_config["EndpointConfigArn"], endpoint["EndpointArn"]):
        tags = {tag["Key"]: tag["Value"] for tag in sagemaker.list_tags(ResourceArn=resource_arn)["Tags"]}
        assert tags == {
            "sagemaker:project-name": project_env["SAGEMAKER_PROJECT_NAME"],
            "sagemaker:project-id": project_env["SAGEMAKER_PROJECT_ID"],
            "sagemaker:deployment-stage": stage,
        }
    assert outputs["StageName"] == stage


def test_updates_roll_back_on_both_alarms_of_the_endpoint(template: dict[str, Any]) -> None:
    endpoint = template["Resources"]["Endpoint"]["Properties"]
    rollback = endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert rollback == [{"AlarmName": {"Ref": "ErrorAlarm"}}, {"AlarmName": {"Ref": "LatencyAlarm"}}]
    policy = endpoint["DeploymentConfig"]["BlueGreenUpdatePolicy"]
    assert policy["TerminationWaitInSeconds"] == {"Ref": "BakingSeconds"}
    assert policy["TrafficRoutingConfiguration"]["Type"] == {"Ref": "RolloutType"}
    for name, metric in (("ErrorAlarm", "Invocation5XXErrors"), ("LatencyAlarm", "ModelLatency")):
        alarm = template["Resources"][name]["Properties"]
        assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SageMaker", metric)
        dimensions = {dimension["Name"]: dimension["Value"] for dimension in alarm["Dimensions"]}
        # The endpoint's own name expression, so the alarm watches exactly this stage's endpoint.
        assert dimensions == {"EndpointName": endpoint["EndpointName"], "VariantName": "AllTraffic"}
        assert "${SageMakerProjectId}" in alarm["AlarmName"]["Fn::Sub"]
    assert template["Resources"]["LatencyAlarm"]["Properties"]["Unit"] == "Microseconds"
