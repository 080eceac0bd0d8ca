"""The ``monitoring`` section of ``config/<stage>.json``: a data-quality monitoring schedule on the endpoint.

Model Monitor compares the endpoint's captured requests with the deployed model package's data-quality
baseline (its ``DriftCheckBaselines.ModelDataQuality`` statistics and constraints) on a schedule. It can
only read what data capture wrote, so monitoring requires ``data_capture.enabled``.

Schedule expressions are the ones Model Monitor accepts (SageMaker "Schedule monitoring jobs",
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-schedule-expression.html): hourly
``cron(0 * ? * * *)``, daily at an hour ``cron(0 H ? * * *)``, every N hours from an hour
``cron(0 H/N ? * * *)``. Anything else is refused here instead of by CreateMonitoringSchedule, mid-deploy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from deployer.errors import DeployerError

KEYS = frozenset({"enabled", "schedule_expression", "instance_type", "max_runtime_seconds"})
_HOURLY = re.compile(r"^cron\(0 \* \? \* \* \*\)$")
_DAILY = re.compile(r"^cron\(0 (?P<hour>\d{1,2}) \? \* \* \*\)$")
_EVERY = re.compile(r"^cron\(0 (?P<hour>\d{1,2})/(?P<every>\d{1,2}) \? \* \* \*\)$")
# MaxRuntimeInSeconds of a monitoring job: at most 3600 for an hourly schedule (StoppingCondition,
# https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MonitoringStoppingCondition.html).
MAX_RUNTIME_LIMIT = 86400
HOURLY_RUNTIME_LIMIT = 3600


@dataclass(frozen=True)
class MonitoringSettings:
    enabled: bool
    schedule_expression: str
    instance_type: str
    max_runtime_seconds: int


DISABLED = MonitoringSettings(False, "cron(0 * ? * * *)", "ml.m5.large", 1800)


def parse_monitoring(raw: Any, where: str, capture_enabled: bool) -> MonitoringSettings:
    """Validate the section; ``None`` (section absent) means no monitoring, as before it existed."""
    if raw is None:
        return DISABLED
    if not isinstance(raw, dict):
        raise DeployerError(f"{where}: monitoring must be a JSON object with keys {', '.join(sorted(KEYS))}")
    present = {key for key in raw if not key.startswith("_")}
    if unknown := sorted(present - KEYS):
        raise DeployerError(f"{where}: unknown key(s) in monitoring: {', '.join(unknown)}")
    if missing := sorted(KEYS - present):
        raise DeployerError(f"{where}: missing key(s) in monitoring: {', '.join(missing)}")
    enabled = raw["enabled"]
    if not isinstance(enabled, bool):
        raise DeployerError(f"{where}: monitoring.enabled must be true or false")
    if enabled and not capture_enabled:
        raise DeployerError(
            f"{where}: monitoring.enabled needs data_capture.enabled: Model Monitor reads the captured "
            "requests; enable data capture or disable monitoring"
        )
    expression = raw["schedule_expression"]
    hourly = isinstance(expression, str) and _is_hourly(expression)
    if not isinstance(expression, str) or not (hourly or _is_periodic(expression)):
        raise DeployerError(
            f"{where}: monitoring.schedule_expression {expression!r} is not one Model Monitor accepts: use "
            "'cron(0 * ? * * *)' (hourly), 'cron(0 H ? * * *)' (daily at hour H) or 'cron(0 H/N ? * * *)'"
        )
    instance_type = raw["instance_type"]
    if not isinstance(instance_type, str) or not instance_type.startswith("ml."):
        raise DeployerError(
            f"{where}: monitoring.instance_type must be an instance type such as 'ml.m5.large'"
        )
    runtime = raw["max_runtime_seconds"]
    limit = HOURLY_RUNTIME_LIMIT if hourly else MAX_RUNTIME_LIMIT
    if isinstance(runtime, bool) or not isinstance(runtime, int) or not 1 <= runtime <= limit:
        raise DeployerError(
            f"{where}: monitoring.max_runtime_seconds must be a whole number from 1 to {limit}"
            + (" (an hourly schedule's job must end within the hour)" if hourly else "")
        )
    return MonitoringSettings(enabled, expression, instance_type, runtime)


def _is_hourly(expression: str) -> bool:
    return bool(_HOURLY.match(expression))


def _is_periodic(expression: str) -> bool:
    if daily := _DAILY.match(expression):
        return int(daily["hour"]) <= 23
    if every := _EVERY.match(expression):
        return int(every["hour"]) <= 23 and 1 <= int(every["every"]) <= 24
    return False
