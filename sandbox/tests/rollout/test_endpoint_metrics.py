"""K1: every InvokeEndpoint is one Invocation record; the AWS/SageMaker endpoint metrics come from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sandbox.local_aws import invocations


def _statistic(local_aws: Any, metric: str, stat: str = "Sum") -> float:
    cloudwatch = local_aws.client("cloudwatch")
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/SageMaker",
        MetricName=metric,
        Dimensions=[{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "AllTraffic"}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
        Period=600,
        Statistics=[stat],
    )["Datapoints"]
    return float(sum(p[stat] for p in points))


def test_each_invocation_is_recorded_and_counted(local_aws, sagemaker, runtime, make_config):
    seen: list[invocations.Invocation] = []
    unsubscribe = invocations.subscribe(seen.append)
    try:
        sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName=make_config("blue", slope=2.0))
        runtime.invoke_endpoint(
            EndpointName="ep", ContentType="text/csv", Accept="text/csv", Body="0.5", InferenceId="r-1"
        )
        with pytest.raises(runtime.exceptions.ModelError):
            runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body="1,2,3")
        with pytest.raises(runtime.exceptions.ValidationError):
            runtime.invoke_endpoint(EndpointName="missing", ContentType="text/csv", Body="1")
    finally:
        unsubscribe()

    ok, bad, unknown = seen
    assert (ok.endpoint_name, ok.variant_name, ok.endpoint_config_name, ok.model_name) == (
        "ep",
        "AllTraffic",
        "blue",
        "blue-model",
    )
    assert (ok.content_type, ok.accept, ok.request_body, ok.inference_id) == (
        "text/csv",
        "text/csv",
        b"0.5",
        "r-1",
    )
    assert (ok.status_code, ok.error_code) == (200, None)
    assert 0.5 < float(ok.response_body) < 1.5  # about 2 * 0.5
    assert ok.model_latency_us > 0
    assert ok.overhead_latency_us >= 0
    assert abs(ok.timestamp - datetime.now(UTC)) < timedelta(minutes=1)
    assert (bad.status_code, bad.error_code, bad.model_status_code) == (424, "ModelError", 400)
    assert b"Feature size" in bad.response_body
    assert (unknown.variant_name, unknown.error_code) == ("", "ValidationError")

    assert _statistic(local_aws, "Invocations") == 2  # the unknown endpoint has no dimensions to count under
    assert _statistic(local_aws, "Invocation4XXErrors") == 1
    assert _statistic(local_aws, "Invocation5XXErrors") == 0
    assert _statistic(local_aws, "ModelLatency", "SampleCount") == 2


def test_a_failing_subscriber_does_not_change_the_answer(local_aws, sagemaker, runtime, make_config):
    def broken(invocation: invocations.Invocation) -> None:
        raise RuntimeError("subscriber bug")

    unsubscribe = invocations.subscribe(broken)
    try:
        sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName=make_config("blue"))
        body = runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body="0.5")["Body"].read()
    finally:
        unsubscribe()
    assert body
    assert local_aws.state.internal_errors
    assert "subscriber bug" in local_aws.state.internal_errors[0]
