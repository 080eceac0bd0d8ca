"""deployer.rollout: phases and the rollback message from DescribeEndpoint / DescribeAlarms shaped answers."""

from __future__ import annotations

import dataclasses
from typing import Any

from deployer.rollout import alarms_in_alarm, phase, plan_line, rollback_message
from deployer.rollout_config import DEFAULT_ROLLOUT


def canary(status: str, new_weight: float) -> dict[str, Any]:
    # Shape of DescribeEndpoint during a blue/green update (API_DescribeEndpoint.html,
    # API_PendingDeploymentSummary.html, API_PendingProductionVariantSummary.html).
    return {
        "EndpointName": "abalone-p-abc-prod",
        "EndpointStatus": "Updating",
        "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentWeight": 1.0 - new_weight}],
        "PendingDeploymentSummary": {
            "EndpointConfigName": "prod-p-abc-new",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "CurrentWeight": new_weight,
                    "VariantStatus": [{"Status": status, "StartTime": "2026-12-03T17:00:00Z"}],
                }
            ],
        },
    }


def test_canary_then_baking_then_in_service() -> None:
    assert phase(canary("ActivatingTraffic", 0.1)) == "new fleet: ActivatingTraffic, 10% of traffic"
    assert phase(canary("Baking", 1.0)) == "new fleet: Baking, 100% of traffic"
    assert phase({"EndpointStatus": "InService"}) == "in service"


def test_rolling_back_wins_over_the_pending_fleet() -> None:
    endpoint = canary("ActivatingTraffic", 0.1) | {"EndpointStatus": "RollingBack"}
    assert phase(endpoint).startswith("rolling back")


def test_rollback_message_names_alarms_and_both_packages() -> None:
    alarms = {
        "MetricAlarms": [
            {"AlarmName": "sagemaker-gitlab-p-abc-prod-5xx-errors", "StateValue": "ALARM"},
            {"AlarmName": "sagemaker-gitlab-p-abc-prod-model-latency", "StateValue": "OK"},
        ]
    }
    fired = alarms_in_alarm(alarms)
    assert fired == ["sagemaker-gitlab-p-abc-prod-5xx-errors"]
    endpoint = {"EndpointName": "abalone-p-abc-prod", "FailureReason": "Alarm went off"}
    message = rollback_message(endpoint, fired, "arn:pkg/3", "arn:pkg/2")
    assert "Alarm(s): sagemaker-gitlab-p-abc-prod-5xx-errors." in message
    assert "Package arn:pkg/3 does not serve; arn:pkg/2 still serves all traffic" in message
    assert "Failure reason: Alarm went off" in message


def test_plan_lines_per_type() -> None:
    canary_plan = dataclasses.replace(DEFAULT_ROLLOUT, type="CANARY", step_percent=10, wait_seconds=300)
    assert plan_line(canary_plan).startswith("canary 10% -> wait 300 s -> all -> baking 300 s")
    linear = dataclasses.replace(DEFAULT_ROLLOUT, type="LINEAR", step_percent=25, wait_seconds=60)
    assert plan_line(linear).startswith("steps of 25%, 60 s apart -> all -> baking 300 s")
    assert plan_line(DEFAULT_ROLLOUT).startswith("all at once -> baking 300 s")
