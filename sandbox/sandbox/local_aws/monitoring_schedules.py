"""Extension: SageMaker Model Monitor schedules (moto has none): data-quality job definitions, monitoring
schedules and their executions.

Shapes from the SageMaker API reference: API_CreateDataQualityJobDefinition.html,
API_DescribeDataQualityJobDefinition.html, API_CreateMonitoringSchedule.html,
API_DescribeMonitoringSchedule.html, API_ListMonitoringSchedules.html, API_ListMonitoringExecutions.html,
API_MonitoringExecutionSummary.html (https://docs.aws.amazon.com/sagemaker/latest/APIReference/). Names match
`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`; ARNs are `arn:aws:sagemaker:<region>:<account>:<kind>/<lower-case name>`.
As SageMaker does, a schedule is refused when its job definition does not exist, a job definition when its
endpoint does not exist, and a job definition still used by a schedule cannot be deleted. Errors are
ValidationException (ResourceNotFound for Describe of a missing name); their wording is the sandbox's.
Executions are recorded by whoever runs them (sandbox.local_aws.monitoring_runs) through `record_execution`.
Not emulated: ModelQuality/ModelBias/ModelExplainability job definitions; Stop/StartMonitoringSchedule.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
from typing import Any

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

NAME_PATTERN = re.compile(r"\A[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}\Z")
EXECUTION_STATUSES = frozenset(
    {"Pending", "Completed", "CompletedWithViolations", "InProgress", "Failed", "Stopping", "Stopped"}
)


def _validation(message: str) -> Exception:
    from moto.sagemaker.exceptions import ValidationError

    return ValidationError(message)


def _check_name(name: str, field: str) -> None:
    if not NAME_PATTERN.match(name):
        raise _validation(
            f"1 validation error detected: Value '{name}' at '{field}' failed to satisfy constraint: Member "
            "must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
        )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class MonitoringStore:
    """One account-region's job definitions, schedules and executions."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id, self.region = account_id, region
        self.job_definitions: dict[str, dict[str, Any]] = {}
        self.schedules: dict[str, dict[str, Any]] = {}
        self.executions: list[dict[str, Any]] = []
        # Replaced job definitions a schedule still names: CloudFormation deletes them in its cleanup
        # phase, after the schedule moved to the new one.
        self.retired: set[str] = set()
        self.lock = threading.RLock()

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{kind}/{name.lower()}"

    def create_job_definition(self, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("JobDefinitionName", ""))
        _check_name(name, "jobDefinitionName")
        for required in (
            "DataQualityAppSpecification",
            "DataQualityJobInput",
            "DataQualityJobOutputConfig",
            "JobResources",
            "RoleArn",
        ):
            if not request.get(required):
                raise _validation(f"{required} is required")
        endpoint = str(request["DataQualityJobInput"].get("EndpointInput", {}).get("EndpointName", ""))
        if not endpoint:
            raise _validation("DataQualityJobInput.EndpointInput.EndpointName is required")
        _require_endpoint(self.account_id, self.region, endpoint)
        with self.lock:
            if name in self.job_definitions:
                raise _validation(f"Job definition {name} already exists")
            definition: dict[str, Any] = {
                key: request[key]
                for key in (
                    "DataQualityBaselineConfig",
                    "DataQualityAppSpecification",
                    "DataQualityJobInput",
                    "DataQualityJobOutputConfig",
                    "JobResources",
                    "NetworkConfig",
                    "RoleArn",
                    "StoppingCondition",
                )
                if key in request
            }
            definition.update(
                JobDefinitionArn=self.arn("data-quality-job-definition", name),
                JobDefinitionName=name,
                CreationTime=_now(),
            )
            self.job_definitions[name] = definition
            return definition

    def job_definition(self, name: str) -> dict[str, Any]:
        with self.lock:
            if name not in self.job_definitions:
                raise _not_found(f"Could not find job definition {name}")
            return self.job_definitions[name]

    def delete_job_definition(self, name: str) -> None:
        with self.lock:
            users = [s for s, v in self.schedules.items() if _definition_of(v) == name]
            if users:
                raise _validation(
                    f"Job definition {name} is used by monitoring schedule(s) {', '.join(users)}"
                )
            self.job_definitions.pop(name, None)

    def retire_job_definition(self, name: str) -> None:
        with self.lock:
            self.retired.add(name)
            self._purge_retired()

    def _purge_retired(self) -> None:
        used = {_definition_of(schedule) for schedule in self.schedules.values()}
        for name in sorted(self.retired - used):
            self.job_definitions.pop(name, None)
            self.retired.discard(name)

    def create_schedule(self, name: str, config: dict[str, Any], tags: list[Any]) -> dict[str, Any]:
        _check_name(name, "monitoringScheduleName")
        definition_name = str(config.get("MonitoringJobDefinitionName", ""))
        if config.get("MonitoringType", "DataQuality") != "DataQuality":
            raise _validation("the sandbox emulates DataQuality monitoring schedules only")
        with self.lock:
            definition = self.job_definitions.get(definition_name)
            if definition is None:
                raise _validation(f"Job definition {definition_name!r} does not exist")
            if name in self.schedules:
                raise _validation(f"Monitoring schedule {name} already exists")
            now = _now()
            schedule = {
                "MonitoringScheduleArn": self.arn("monitoring-schedule", name),
                "MonitoringScheduleName": name,
                "MonitoringScheduleStatus": "Scheduled",
                "MonitoringType": "DataQuality",
                "CreationTime": now,
                "LastModifiedTime": now,
                "MonitoringScheduleConfig": {"MonitoringType": "DataQuality", **config},
                "EndpointName": definition["DataQualityJobInput"]["EndpointInput"]["EndpointName"],
                "Tags": list(tags),
            }
            self.schedules[name] = schedule
            self._purge_retired()
            return schedule

    def update_schedule(self, name: str, config: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            schedule = self.schedule(name)
            if str(config.get("MonitoringJobDefinitionName", "")) not in self.job_definitions:
                raise _validation(
                    f"Job definition {config.get('MonitoringJobDefinitionName')!r} does not exist"
                )
            schedule["MonitoringScheduleConfig"] = {"MonitoringType": "DataQuality", **config}
            schedule["LastModifiedTime"] = _now()
            self._purge_retired()
            return schedule

    def schedule(self, name: str) -> dict[str, Any]:
        with self.lock:
            if name not in self.schedules:
                raise _not_found(f"Monitoring schedule {name} does not exist")
            return self.schedules[name]

    def delete_schedule(self, name: str) -> None:
        with self.lock:
            self.schedule(name)
            del self.schedules[name]
            self._purge_retired()

    def record_execution(self, summary: dict[str, Any]) -> None:
        """Add an execution (a MonitoringExecutionSummary) and make it the schedule's last one."""
        if summary["MonitoringExecutionStatus"] not in EXECUTION_STATUSES:
            raise ValueError(f"not a MonitoringExecutionStatus: {summary['MonitoringExecutionStatus']}")
        with self.lock:
            self.executions.append(summary)
            schedule = self.schedules.get(summary["MonitoringScheduleName"])
            if schedule is not None:
                schedule["LastMonitoringExecutionSummary"] = summary

    def list_executions(self, schedule_name: str | None, endpoint_name: str | None) -> list[dict[str, Any]]:
        with self.lock:
            found = [
                e
                for e in self.executions
                if (schedule_name is None or e["MonitoringScheduleName"] == schedule_name)
                and (endpoint_name is None or e.get("EndpointName") == endpoint_name)
            ]
        # The API's default order: ScheduledTime, descending.
        return sorted(found, key=lambda e: e["ScheduledTime"], reverse=True)


def _definition_of(schedule: dict[str, Any]) -> str:
    return str(schedule["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName", ""))


def _not_found(message: str) -> Exception:
    from moto.sagemaker.exceptions import ResourceNotFound

    # Describe* of a missing monitoring resource answers ResourceNotFound (API_DescribeMonitoringSchedule).
    return ResourceNotFound(message)


def _require_endpoint(account_id: str, region: str, endpoint: str) -> None:
    from moto.sagemaker.models import sagemaker_backends

    if endpoint not in sagemaker_backends[account_id][region].endpoints:
        raise _validation(f"Endpoint {endpoint} does not exist")


_STORES: dict[tuple[str, str], MonitoringStore] = {}
_LOCK = threading.Lock()


def store(account_id: str, region: str) -> MonitoringStore:
    with _LOCK:
        return _STORES.setdefault((account_id, region), MonitoringStore(account_id, region))


def stores() -> list[MonitoringStore]:
    with _LOCK:
        return list(_STORES.values())


def wire(value: Any) -> Any:
    """The JSON protocol's form: timestamps as epoch seconds."""
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items() if k != "Tags"}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.sagemaker.responses import SageMakerResponse

    _STORES.clear()  # a new local AWS starts from an empty cloud, as moto's reset does
    state.cleanups.append(_STORES.clear)

    def mine(self: Any) -> MonitoringStore:
        return store(self.current_account, self.region)

    def create_data_quality_job_definition(self: Any) -> str:
        definition = mine(self).create_job_definition(json.loads(self.body))
        return json.dumps({"JobDefinitionArn": definition["JobDefinitionArn"]})

    def describe_data_quality_job_definition(self: Any) -> str:
        return json.dumps(wire(mine(self).job_definition(self._get_param("JobDefinitionName"))))

    def delete_data_quality_job_definition(self: Any) -> str:
        mine(self).delete_job_definition(self._get_param("JobDefinitionName"))
        return "{}"

    def create_monitoring_schedule(self: Any) -> str:
        schedule = mine(self).create_schedule(
            self._get_param("MonitoringScheduleName"),
            self._get_param("MonitoringScheduleConfig") or {},
            self._get_param("Tags") or [],
        )
        return json.dumps({"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]})

    def update_monitoring_schedule(self: Any) -> str:
        schedule = mine(self).update_schedule(
            self._get_param("MonitoringScheduleName"), self._get_param("MonitoringScheduleConfig") or {}
        )
        return json.dumps({"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]})

    def describe_monitoring_schedule(self: Any) -> str:
        return json.dumps(wire(mine(self).schedule(self._get_param("MonitoringScheduleName"))))

    def list_monitoring_schedules(self: Any) -> str:
        endpoint = self._get_param("EndpointName")
        monitoring = mine(self)
        with monitoring.lock:
            summaries = [
                {
                    key: schedule[key]
                    for key in (
                        "MonitoringScheduleName",
                        "MonitoringScheduleArn",
                        "CreationTime",
                        "LastModifiedTime",
                        "MonitoringScheduleStatus",
                        "EndpointName",
                        "MonitoringType",
                    )
                }
                | {"MonitoringJobDefinitionName": _definition_of(schedule)}
                for schedule in monitoring.schedules.values()
                if endpoint is None or schedule["EndpointName"] == endpoint
            ]
        return json.dumps({"MonitoringScheduleSummaries": wire(summaries)})

    def delete_monitoring_schedule(self: Any) -> str:
        mine(self).delete_schedule(self._get_param("MonitoringScheduleName"))
        return "{}"

    def list_monitoring_executions(self: Any) -> str:
        executions = mine(self).list_executions(
            self._get_param("MonitoringScheduleName"), self._get_param("EndpointName")
        )
        return json.dumps({"MonitoringExecutionSummaries": wire(executions)})

    for handler in (
        create_data_quality_job_definition,
        describe_data_quality_job_definition,
        delete_data_quality_job_definition,
        create_monitoring_schedule,
        update_monitoring_schedule,
        describe_monitoring_schedule,
        list_monitoring_schedules,
        delete_monitoring_schedule,
        list_monitoring_executions,
    ):
        patches.set(SageMakerResponse, handler.__name__, handler)
