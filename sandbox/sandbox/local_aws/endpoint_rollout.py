"""Extension: UpdateEndpoint with a blue/green DeploymentConfig, emulated as "Use deployment guardrails" documents.

Sources: UpdateEndpoint / DescribeEndpoint API reference
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html, API_DescribeEndpoint.html,
API_BlueGreenUpdatePolicy.html, API_TrafficRoutingConfig.html, API_CapacitySize.html) and
https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html. moto has no
UpdateEndpoint at all. The sandbox's update, in a background thread:
1. the new (green) fleet is provisioned (PendingDeploymentSummary variant status Creating);
2. traffic shifts by TrafficRoutingConfiguration: ALL_AT_ONCE (100 %), CANARY (CanarySize first, then the
   rest) or LINEAR (LinearStepSize per step), each step followed by WaitIntervalInSeconds of baking; after the
   full shift TerminationWaitInSeconds more, then the blue fleet is terminated and EndpointConfigName is the
   new config, LastDeploymentConfig the update's DeploymentConfig, status InService;
3. the whole time the AutoRollbackConfiguration alarms are watched (evaluated by cloudwatch_alarms): one in
   ALARM, or MaximumExecutionTimeoutInSeconds passed, rolls back - all traffic to blue, green terminated,
   status InService on the old config, FailureReason naming the alarm (the sandbox's wording).
Waits are AWS seconds compressed by sandbox_clock (K3). InvokeEndpoint routes each request between the
fleets by the current green share with a deterministic counter (request n goes to green when
floor((n+1)*share) > floor(n*share)), so tests are exact.
Not emulated: RollingUpdatePolicy (refused), several variants, instance-level capacity.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow

from sandbox.local_aws import cloudwatch_alarms, runtime_endpoints, sandbox_clock
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

PROVISION_AWS_SECONDS = 30


class UpdateError(Exception):
    """A ValidationException UpdateEndpoint answers."""


@dataclass
class Rollout:
    """One endpoint's blue/green update in progress."""

    endpoint: Any
    blue: str
    green: str
    config: dict[str, Any]
    green_instances: int = 1
    share: float = 0.0
    requests: int = 0
    phases: list[str] = field(default_factory=list)
    outcome: str | None = None
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self) -> str:
        with self.lock:
            n, self.requests = self.requests, self.requests + 1
            return self.green if math.floor((n + 1) * self.share) > math.floor(n * self.share) else self.blue


_ROLLOUTS: dict[str, Rollout] = {}


def choose(backend: Any, endpoint: Any) -> str:
    rollout = _ROLLOUTS.get(endpoint.endpoint_name)
    return rollout.route() if rollout else str(endpoint.endpoint_config_name)


def steps(routing: dict[str, Any], green_instances: int) -> list[float]:
    """Green traffic shares after each traffic shift, as TrafficRoutingConfig defines them."""
    kind = routing.get("Type", "ALL_AT_ONCE")
    if kind == "ALL_AT_ONCE":
        return [1.0]

    def share(size: dict[str, Any]) -> float:
        value = float(size["Value"])
        if size["Type"] == "CAPACITY_PERCENT":
            return value / 100
        return value / max(1, green_instances)

    size = routing.get("CanarySize" if kind == "CANARY" else "LinearStepSize")
    if (
        not size
        or size.get("Type") not in ("INSTANCE_COUNT", "CAPACITY_PERCENT")
        or float(size["Value"]) <= 0
    ):
        raise UpdateError(
            f"TrafficRoutingConfiguration of type {kind} needs a positive CanarySize/LinearStepSize."
        )
    first = share(size)
    if first >= 1 or (size["Type"] == "CAPACITY_PERCENT" and float(size["Value"]) > 50 and kind == "CANARY"):
        raise UpdateError("The canary size must be at most 50% of the new fleet's capacity.")
    if kind == "CANARY":
        return [first, 1.0]
    count = math.ceil(1 / first)
    return [min(1.0, first * (i + 1)) for i in range(count)]


def _variant_status(rollout: Rollout, status: str) -> None:
    endpoint = rollout.endpoint
    summary = endpoint.pending_deployment_summary
    for variant in summary["ProductionVariants"]:
        variant["VariantStatus"] = [{"Status": status, "StartTime": utcnow().isoformat()}]
        variant["CurrentWeight"] = rollout.share
    rollout.phases.append(f"{status} {round(rollout.share * 100)}%")


def _tripped(rollout: Rollout, state: LocalAwsState) -> str | None:
    alarms = (rollout.config.get("AutoRollbackConfiguration") or {}).get("Alarms") or []
    if not alarms:
        return None
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[state.account_id][state.region]
    cloudwatch_alarms.evaluate_backend(backend)
    for item in alarms:
        alarm = backend.alarms.get(item["AlarmName"])
        if alarm is not None and alarm.state_value == "ALARM":
            return str(item["AlarmName"])
    return None


def _watch(rollout: Rollout, state: LocalAwsState, aws_seconds: float, deadline: float) -> str | None:
    """Bake for `aws_seconds`, checking the alarms each AWS 10 s; the reason to roll back, or None."""
    import time

    end = time.monotonic() + sandbox_clock.real_seconds(aws_seconds)
    while True:
        alarm = _tripped(rollout, state)
        if alarm:
            return f"alarm {alarm} in ALARM"
        if time.monotonic() >= deadline:
            return "MaximumExecutionTimeoutInSeconds reached"
        left = end - time.monotonic()
        if left <= 0 or state.stopping.is_set():
            return None
        state.stopping.wait(min(left, sandbox_clock.real_seconds(10)))


def run(rollout: Rollout, state: LocalAwsState) -> str:
    """Drive the update to its end; 'completed' or the rollback reason."""
    import time

    policy = rollout.config.get("BlueGreenUpdatePolicy") or {}
    routing = policy.get("TrafficRoutingConfiguration") or {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    deadline = time.monotonic() + sandbox_clock.real_seconds(
        policy.get("MaximumExecutionTimeoutInSeconds", 14400)
    )
    endpoint = rollout.endpoint
    _variant_status(rollout, "Creating")
    reason = _watch(rollout, state, PROVISION_AWS_SECONDS, deadline)
    for share in steps(routing, rollout.green_instances) if reason is None else []:
        rollout.share = share
        _variant_status(rollout, "ActivatingTraffic")
        _variant_status(rollout, "Baking")
        wait = (
            routing.get("WaitIntervalInSeconds", 0)
            if share < 1
            else policy.get("TerminationWaitInSeconds", 0)
        )
        if share >= 1 and routing.get("Type", "ALL_AT_ONCE") == "ALL_AT_ONCE":
            wait = routing.get("WaitIntervalInSeconds", 0) + policy.get("TerminationWaitInSeconds", 0)
        reason = _watch(rollout, state, wait, deadline)
        if reason:
            break
    rollout.share = 0.0 if reason else 1.0
    _variant_status(rollout, "Deleting")
    del endpoint.pending_deployment_summary
    _ROLLOUTS.pop(endpoint.endpoint_name, None)
    endpoint.last_modified_time = utcnow()
    if reason:
        endpoint.failure_reason = (
            f"Deployment of endpoint config {rollout.green} rolled back ({reason}); "
            f"the endpoint serves {rollout.blue}."
        )
        endpoint.endpoint_status = "InService"
        rollout.phases.append("RolledBack")
        return reason
    endpoint.endpoint_config_name = rollout.green
    endpoint.last_deployment_config = rollout.config
    endpoint.failure_reason = None
    endpoint.endpoint_status = "InService"
    rollout.phases.append("Completed")
    return "completed"


def start(
    backend: Any, state: LocalAwsState, name: str, config_name: str, deployment: dict[str, Any] | None
) -> Rollout:
    """Validate an UpdateEndpoint and start it; the Rollout (its `phases` fill in as it runs)."""
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise UpdateError(f'Could not find endpoint "{name}".')
    if endpoint.endpoint_status != "InService":
        raise UpdateError(f'Cannot update in-progress endpoint "{endpoint.arn}".')
    if config_name not in backend.endpoint_configs:
        raise UpdateError(f'Could not find endpoint configuration "{config_name}".')
    deployment = deployment or {}
    if deployment.get("RollingUpdatePolicy"):
        raise UpdateError("Sandbox: RollingUpdatePolicy is not emulated; use BlueGreenUpdatePolicy.")
    from moto.cloudwatch.models import cloudwatch_backends

    alarms = cloudwatch_backends[state.account_id][state.region].alarms
    for item in (deployment.get("AutoRollbackConfiguration") or {}).get("Alarms") or []:
        if item.get("AlarmName") not in alarms:
            raise UpdateError(f"Alarm {item.get('AlarmName')} does not exist in CloudWatch.")
    routing = (deployment.get("BlueGreenUpdatePolicy") or {}).get("TrafficRoutingConfiguration") or {}
    variants = backend.endpoint_configs[config_name].production_variants
    instances = int(variants[0].get("InitialInstanceCount", 1)) if variants else 1
    rollout = Rollout(endpoint, str(endpoint.endpoint_config_name), config_name, deployment, instances)
    steps(routing, instances)  # validates the sizes before anything changes
    endpoint.endpoint_status = "Updating"
    endpoint.failure_reason = None
    endpoint.pending_deployment_summary = {
        "EndpointConfigName": config_name,
        "StartTime": utcnow().isoformat(),
        "ProductionVariants": [
            {"VariantName": v.get("VariantName", "AllTraffic"), "DesiredWeight": 1.0, "CurrentWeight": 0.0}
            for v in backend.endpoint_configs[config_name].production_variants
        ],
    }
    _ROLLOUTS[name] = rollout

    def drive() -> None:
        rollout.outcome = run(rollout, state)

    rollout.thread = state.background(f"update-endpoint-{name}", drive)
    return rollout


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.responses import SageMakerResponse

    def update_endpoint(self: Any) -> str:
        try:
            endpoint = self.sagemaker_backend.endpoints.get(self._get_param("EndpointName"))
            start(
                self.sagemaker_backend,
                state,
                self._get_param("EndpointName"),
                self._get_param("EndpointConfigName"),
                self._get_param("DeploymentConfig"),
            )
        except UpdateError as exc:
            raise ValidationError(message=str(exc)) from exc
        return json.dumps({"EndpointArn": endpoint.arn})

    patches.set(SageMakerResponse, "update_endpoint", update_endpoint)
    runtime_endpoints.set_config_chooser(choose)
    state.cleanups.append(lambda: runtime_endpoints.set_config_chooser(None))
