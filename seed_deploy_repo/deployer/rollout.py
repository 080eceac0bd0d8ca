"""What a blue/green update is doing, read from DescribeEndpoint and DescribeAlarms as AWS documents them.

DescribeEndpoint (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html):
EndpointStatus (Updating, RollingBack, InService, Failed, ...), PendingDeploymentSummary.ProductionVariants[]
with CurrentWeight and VariantStatus[].Status (Creating | Updating | Deleting | ActivatingTraffic | Baking,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantStatus.html) for the new fleet,
and FailureReason. DescribeAlarms
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html): MetricAlarms[]
AlarmName and StateValue (OK | ALARM | INSUFFICIENT_DATA).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deployer.rollout_config import RolloutSettings


def plan_line(rollout: RolloutSettings) -> str:
    """The planned phases of an update, e.g. ``canary 10% -> wait 300 s -> all -> baking 300 s``."""
    if rollout.type == "CANARY":
        shift = f"canary {rollout.step_percent}% -> wait {rollout.wait_seconds} s -> all"
    elif rollout.type == "LINEAR":
        shift = f"steps of {rollout.step_percent}%, {rollout.wait_seconds} s apart -> all"
    else:
        shift = "all at once"
    return f"{shift} -> baking {rollout.baking_seconds} s (an update only; a first deployment creates)"


def phase(endpoint: Mapping[str, Any]) -> str:
    """One line for the job log, e.g. ``new fleet: ActivatingTraffic, 10% of traffic`` or ``rolling back``."""
    status = str(endpoint.get("EndpointStatus", "unknown"))
    if status == "RollingBack":
        return "rolling back: the previous fleet takes all traffic again"
    pending = endpoint.get("PendingDeploymentSummary")
    if not pending:
        return status if status != "InService" else "in service"
    variants = pending.get("ProductionVariants") or []
    serving = endpoint.get("ProductionVariants") or []
    # Weights are relative: the new fleet's share is its weight over all weights currently set.
    new_weight = sum(float(variant.get("CurrentWeight", 0.0)) for variant in variants)
    old_weight = sum(float(variant.get("CurrentWeight", 0.0)) for variant in serving)
    total = new_weight + old_weight
    share = round(100 * new_weight / total) if total > 0 else 0
    steps = [item.get("Status", "?") for variant in variants for item in variant.get("VariantStatus") or []]
    return f"new fleet: {', '.join(steps) or status}, {share}% of traffic"


def alarms_in_alarm(alarms: Mapping[str, Any]) -> list[str]:
    """Names of the DescribeAlarms answer's metric alarms whose state is ALARM."""
    return [
        alarm["AlarmName"] for alarm in alarms.get("MetricAlarms", []) if alarm.get("StateValue") == "ALARM"
    ]


def rollback_message(
    endpoint: Mapping[str, Any], fired: Sequence[str], rejected_package: str, serving_package: str
) -> str:
    """Why the job fails after SageMaker rolled the update back, with what to do next."""
    alarms = ", ".join(fired) or "none in ALARM any more (see the endpoint's FailureReason)"
    reason = endpoint.get("FailureReason") or "not given"
    return (
        f"the update of endpoint {endpoint.get('EndpointName', '?')} was rolled back by SageMaker. "
        f"Alarm(s): {alarms}. Failure reason: {reason}. Package {rejected_package} does not serve; "
        f"{serving_package} still serves all traffic. Check the new model's errors and latency, "
        "then reject the package in the Model Registry or register a fixed one."
    )
