"""Extension: the AWS/SageMaker endpoint invocation metrics, from each InvokeEndpoint (an invocations subscriber).

As "Monitor Amazon SageMaker AI with Amazon CloudWatch" documents them
(https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html, "Endpoint invocation metrics"),
namespace AWS/SageMaker, dimensions EndpointName + VariantName, one datum per request:
- Invocations (Count): "The number of InvokeEndpoint requests sent to a model endpoint";
- Invocation4XXErrors / Invocation5XXErrors (Count): 1 when the model returned a 4xx / 5xx, otherwise 0;
- ModelLatency / OverheadLatency (Microseconds): for requests the model answered.
A request that never reached a variant (unknown endpoint) has no EndpointName/VariantName to report under and
emits nothing, as on AWS. The data go into moto's CloudWatch backend, so GetMetricStatistics / GetMetricData
and the alarm evaluation (cloudwatch_alarms) read them like any other metric.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sandbox.local_aws import invocations
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

NAMESPACE = "AWS/SageMaker"


def metric_data(invocation: invocations.Invocation) -> list[dict[str, Any]]:
    """The PutMetricData entries one invocation produces (empty when it reached no variant)."""
    if not invocation.variant_name:
        return []
    dimensions = [
        {"Name": "EndpointName", "Value": invocation.endpoint_name},
        {"Name": "VariantName", "Value": invocation.variant_name},
    ]
    status = invocation.model_status_code
    if status is None and invocation.error_code is None:
        status = invocation.status_code

    def datum(name: str, value: float, unit: str) -> dict[str, Any]:
        return {
            "MetricName": name,
            "Dimensions": dimensions,
            # moto's CloudWatch keeps naive UTC datetimes (its utcnow()) and compares with them.
            "Timestamp": invocation.timestamp.astimezone(UTC).replace(tzinfo=None),
            "Value": value,
            "Unit": unit,
        }

    data = [
        datum("Invocations", 1, "Count"),
        datum("Invocation4XXErrors", 1 if status is not None and 400 <= status < 500 else 0, "Count"),
        datum("Invocation5XXErrors", 1 if status is not None and status >= 500 else 0, "Count"),
    ]
    if status is not None:
        data.append(datum("ModelLatency", invocation.model_latency_us, "Microseconds"))
        data.append(datum("OverheadLatency", invocation.overhead_latency_us, "Microseconds"))
    return data


def record(invocation: invocations.Invocation) -> None:
    """Put the invocation's metrics into the CloudWatch backend of its account and region."""
    from moto.cloudwatch.models import cloudwatch_backends

    data = metric_data(invocation)
    if data:
        cloudwatch_backends[invocation.account_id][invocation.region].put_metric_data(NAMESPACE, data)


def install(patches: Patches, state: LocalAwsState) -> None:
    state.cleanups.append(invocations.subscribe(record))
