"""The ``rollout`` section of ``config/<stage>.json``: how an update shifts traffic and when it rolls back.

It maps one to one onto the Endpoint's ``DeploymentConfig`` (blue/green update policy and auto-rollback
alarms), as documented in the CloudFormation reference:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-sagemaker-endpoint-deploymentconfig.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-sagemaker-endpoint-trafficroutingconfig.html
and the SageMaker API reference of TrafficRoutingConfig / BlueGreenUpdatePolicy:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html

A stage's first deployment creates the endpoint (no rollout); every later one is an update that follows
this section. The latency alarm's budget is the smoke test's p99 budget, so one number governs both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deployer.errors import DeployerError

if TYPE_CHECKING:
    from deployer.stage_config import StageConfig

ROLLOUT_TYPES = ("ALL_AT_ONCE", "CANARY", "LINEAR")
ROLLOUT_KEYS = {"type", "step_percent", "wait_seconds", "baking_seconds", "error_threshold"}
# WaitIntervalInSeconds and TerminationWaitInSeconds: 0-3600 (API_TrafficRoutingConfig.html,
# API_BlueGreenUpdatePolicy.html).
MAX_WAIT_SECONDS = 3600


@dataclass(frozen=True)
class RolloutSettings:
    type: str
    # CapacitySize Type CAPACITY_PERCENT: the share of the new fleet that takes traffic first (CANARY) or
    # per step (LINEAR). Unused by ALL_AT_ONCE.
    step_percent: int
    wait_seconds: int
    baking_seconds: int
    # Invocation5XXErrors per minute at or above which the update rolls back.
    error_threshold: int


DEFAULT_ROLLOUT = RolloutSettings(
    type="ALL_AT_ONCE", step_percent=10, wait_seconds=60, baking_seconds=300, error_threshold=1
)


def parse_rollout(value: Any, where: str) -> RolloutSettings:
    """The validated section; absent means ``DEFAULT_ROLLOUT`` (blue/green all at once, 300 s baking)."""
    if value is None:
        return DEFAULT_ROLLOUT
    if not isinstance(value, dict):
        raise DeployerError(
            f"{where}: rollout must be a JSON object with keys {', '.join(sorted(ROLLOUT_KEYS))}"
        )
    present = {key for key in value if not key.startswith("_")}
    unknown = sorted(present - ROLLOUT_KEYS)
    if unknown:
        raise DeployerError(f"{where}: unknown key(s) in rollout: {', '.join(unknown)}")
    merged = {**DEFAULT_ROLLOUT.__dict__, **{key: value[key] for key in present}}

    kind = merged["type"]
    if kind not in ROLLOUT_TYPES:
        raise DeployerError(f"{where}: rollout.type must be one of {', '.join(ROLLOUT_TYPES)}, not {kind!r}")
    # API_TrafficRoutingConfig.html: CanarySize "must be less than or equal to 50%", LinearStepSize "must
    # be 10-50%" of the variant's instance count.
    low = 10 if kind == "LINEAR" else 1
    high = 50
    step = _whole(merged["step_percent"], where, "rollout.step_percent", low, high)
    wait = _whole(merged["wait_seconds"], where, "rollout.wait_seconds", 0, MAX_WAIT_SECONDS)
    baking = _whole(merged["baking_seconds"], where, "rollout.baking_seconds", 0, MAX_WAIT_SECONDS)
    threshold = _whole(merged["error_threshold"], where, "rollout.error_threshold", 1, 1_000_000)
    return RolloutSettings(
        type=kind, step_percent=step, wait_seconds=wait, baking_seconds=baking, error_threshold=threshold
    )


def rollout_parameters(config: StageConfig) -> dict[str, str]:
    """The endpoint template's rollout parameters; the latency alarm's threshold is the smoke test's p99 budget."""
    rollout = config.rollout
    return {
        "RolloutType": rollout.type,
        "RolloutStepPercent": str(rollout.step_percent),
        "RolloutWaitSeconds": str(rollout.wait_seconds),
        "BakingSeconds": str(rollout.baking_seconds),
        "ErrorAlarmThreshold": str(rollout.error_threshold),
        # ModelLatency is reported in microseconds; the budget is in milliseconds.
        "LatencyAlarmMicroseconds": str(round(config.smoke_test.latency_budget_ms["p99"] * 1000)),
    }


def _whole(value: Any, where: str, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DeployerError(f"{where}: {name} must be a whole number from {low} to {high}, not {value!r}")
    return value
