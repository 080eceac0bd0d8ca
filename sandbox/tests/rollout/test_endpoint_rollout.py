"""UpdateEndpoint with a blue/green DeploymentConfig: traffic shares, baking, alarms, rollback.

The waits are AWS seconds compressed by sandbox_clock.FACTOR; these tests raise the factor to 600 so a
600 s baking period takes one real second. Traffic is paced like a client's (one request per 20 ms).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest

from sandbox.local_aws import endpoint_rollout, sandbox_clock


def canary(alarms: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                "WaitIntervalInSeconds": 600,
            },
            "TerminationWaitInSeconds": 0,
            "MaximumExecutionTimeoutInSeconds": 3600,
        },
    }
    if alarms:
        config["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": a} for a in alarms]}
    return config


@pytest.fixture(autouse=True)
def fast_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox_clock, "FACTOR", 600.0)


def test_traffic_steps_follow_the_routing_config():
    assert endpoint_rollout.steps({"Type": "ALL_AT_ONCE"}, 2) == [1.0]
    assert endpoint_rollout.steps(
        {"Type": "CANARY", "CanarySize": {"Type": "INSTANCE_COUNT", "Value": 1}}, 4
    ) == [
        0.25,
        1.0,
    ]
    linear = {"Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 40}}
    assert endpoint_rollout.steps(linear, 1) == [0.4, 0.8, 1.0]
    with pytest.raises(endpoint_rollout.UpdateError, match="at most 50%"):
        endpoint_rollout.steps({"Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 60}}, 1)
    with pytest.raises(endpoint_rollout.UpdateError, match="positive"):
        endpoint_rollout.steps(
            {"Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 0}}, 1
        )


def test_routing_is_an_exact_deterministic_split():
    rollout = endpoint_rollout.Rollout(endpoint=None, blue="b", green="g", config={}, share=0.25)
    assert [rollout.route() for _ in range(8)] == ["b", "b", "b", "g", "b", "b", "b", "g"]


def _traffic(runtime: Any, sagemaker: Any) -> tuple[list[float], list[str], list[str]]:
    """Invoke while the endpoint updates: (predictions of 0.5, error codes, phases seen in DescribeEndpoint)."""
    served: list[float] = []
    errors: list[str] = []
    phases: list[str] = []
    pace = threading.Event()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = sagemaker.describe_endpoint(EndpointName="ep")
        for variant in described.get("PendingDeploymentSummary", {}).get("ProductionVariants", []):
            status = variant["VariantStatus"][0]["Status"]
            if not phases or phases[-1] != status:
                phases.append(status)
        if described["EndpointStatus"] != "Updating":
            break
        try:
            body = runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body="0.5")[
                "Body"
            ].read()
            served.append(float(body))
        except runtime.exceptions.ModelError as exc:
            errors.append(exc.response["Error"]["Code"])
        pace.wait(0.02)
    return served, errors, phases


def test_a_good_canary_completes(local_aws, sagemaker, runtime, make_config):
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName=make_config("blue", slope=1.0))
    make_config("green", slope=3.0)
    sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="green", DeploymentConfig=canary([]))
    served, errors, phases = _traffic(runtime, sagemaker)
    described = sagemaker.describe_endpoint(EndpointName="ep")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "green"
    assert described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"][
        "Type"
    ] == ("CANARY")
    assert "PendingDeploymentSummary" not in described
    assert errors == []
    assert "Baking" in phases
    assert any(v < 1.0 for v in served)  # blue (about 0.5) served during the canary
    assert any(v > 1.0 for v in served)  # green (about 1.5) too
    after = float(
        runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body="0.5")["Body"].read()
    )
    assert after > 1.0


def test_a_broken_canary_rolls_back_on_the_error_alarm(
    local_aws, sagemaker, runtime, make_config, trained_model, error_alarm
):
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName=make_config("blue", slope=1.0))
    # The data scientist's bug: a Poisson model with selectable output, which the container cannot select.
    local_aws.client("s3").put_object(
        Bucket="models", Key="broken/model.tar.gz", Body=trained_model(1.0, objective="count:poisson")
    )
    sagemaker.create_model(
        ModelName="broken-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker",
        PrimaryContainer={
            "Image": "xgboost",
            "ModelDataUrl": "s3://models/broken/model.tar.gz",
            "Environment": {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_score"},
        },
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="broken",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "broken-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sagemaker.update_endpoint(
        EndpointName="ep", EndpointConfigName="broken", DeploymentConfig=canary(["ep-5xx"])
    )
    _, errors, phases = _traffic(runtime, sagemaker)
    described = sagemaker.describe_endpoint(EndpointName="ep")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "blue"
    assert "ep-5xx" in described["FailureReason"]
    assert "LastDeploymentConfig" not in described
    assert errors
    assert set(errors) == {"ModelError"}
    seen = local_aws.client("sagemaker-runtime")
    # The broken package served directly (its own endpoint): every prediction is the container's 500.
    sagemaker.create_endpoint(EndpointName="direct", EndpointConfigName="broken")
    with pytest.raises(seen.exceptions.ModelError, match="Objective `count:poisson` unsupported"):
        seen.invoke_endpoint(EndpointName="direct", ContentType="text/csv", Body="0.5")
    assert phases[-1] in ("Baking", "Deleting")
    after = float(
        runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body="0.5")["Body"].read()
    )
    assert after < 1.0  # blue's prediction


def test_update_validation(local_aws, sagemaker, make_config):
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName=make_config("blue"))
    with pytest.raises(sagemaker.exceptions.ClientError, match="Could not find endpoint configuration"):
        sagemaker.update_endpoint(EndpointName="ep", EndpointConfigName="nope")
    make_config("green")
    with pytest.raises(sagemaker.exceptions.ClientError, match="Alarm missing does not exist"):
        sagemaker.update_endpoint(
            EndpointName="ep", EndpointConfigName="green", DeploymentConfig=canary(["missing"])
        )
    assert sagemaker.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "InService"


TEMPLATE = """
Parameters:
  Config: {Type: String}
Resources:
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: ep
      EndpointConfigName: !Ref Config
      DeploymentConfig:
        BlueGreenUpdatePolicy:
          TrafficRoutingConfiguration:
            Type: CANARY
            CanarySize: {Type: CAPACITY_PERCENT, Value: 25}
            WaitIntervalInSeconds: 600
          MaximumExecutionTimeoutInSeconds: 3600
        AutoRollbackConfiguration:
          Alarms: [{AlarmName: ep-5xx}]
"""


def _wait_stack(cloudformation: Any, runtime: Any) -> str:
    pace = threading.Event()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = str(cloudformation.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"])
        if not status.endswith("IN_PROGRESS"):
            return status
        with contextlib.suppress(runtime.exceptions.ModelError):
            runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body="0.5")
        pace.wait(0.02)
    raise AssertionError("stack update did not finish")


def test_cloudformation_update_rolls_back_with_the_endpoint(
    local_aws, sagemaker, runtime, make_config, trained_model, error_alarm
):
    make_config("blue", slope=1.0)
    make_config("green", slope=3.0)
    make_config(
        "broken",
        data=trained_model(1.0, objective="count:poisson"),
        environment={"SAGEMAKER_INFERENCE_OUTPUT": "predicted_score"},
    )
    cloudformation = local_aws.client("cloudformation")

    def params(config: str) -> list[dict[str, str]]:
        return [{"ParameterKey": "Config", "ParameterValue": config}]

    cloudformation.create_stack(StackName="s", TemplateBody=TEMPLATE, Parameters=params("blue"))
    assert _wait_stack(cloudformation, runtime) == "CREATE_COMPLETE"
    cloudformation.update_stack(StackName="s", TemplateBody=TEMPLATE, Parameters=params("green"))
    assert _wait_stack(cloudformation, runtime) == "UPDATE_COMPLETE"
    assert sagemaker.describe_endpoint(EndpointName="ep")["EndpointConfigName"] == "green"

    cloudformation.update_stack(StackName="s", TemplateBody=TEMPLATE, Parameters=params("broken"))
    assert _wait_stack(cloudformation, runtime) == "UPDATE_ROLLBACK_COMPLETE"
    described = sagemaker.describe_endpoint(EndpointName="ep")
    assert described["EndpointConfigName"] == "green"
    assert "ep-5xx" in described["FailureReason"]
    events = cloudformation.describe_stack_events(StackName="s")["StackEvents"]
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in events
        if e["ResourceStatus"] == "UPDATE_ROLLBACK_IN_PROGRESS"
    ]
    assert any("ep-5xx" in r for r in reasons)
    stack = cloudformation.describe_stacks(StackName="s")["Stacks"][0]
    assert stack["Parameters"] == [{"ParameterKey": "Config", "ParameterValue": "green"}]
    served = float(
        runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body="0.5")["Body"].read()
    )
    assert served > 1.0  # green (about 1.5) still serves
