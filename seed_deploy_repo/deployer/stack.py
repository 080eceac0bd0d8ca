"""Create or update one stage's endpoint stack, whatever state a previous run left it in."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from deployer.errors import DeployerError
from deployer.stack_events import WaitResult, format_event, latest_event_id, wait_for_stack

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import ParameterTypeDef, TagTypeDef

NO_UPDATES = "No updates are to be performed"


class Action(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    RECREATE = "delete, then create"  # CloudFormation can neither update nor roll back these states
    WAIT = "wait for the running operation"
    REFUSE = "refuse"


# Stacks whose first creation failed: the only way forward is delete and create again.
RECREATE_STATES = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "REVIEW_IN_PROGRESS"})
REFUSE_HINTS = {
    "UPDATE_ROLLBACK_FAILED": "run `aws cloudformation continue-update-rollback --stack-name {name}` "
    "(skip the resources that cannot roll back), then run this job again",
    "DELETE_FAILED": "the stack could not be deleted; fix the reason in its events and delete it "
    "(`aws cloudformation delete-stack --stack-name {name}`), then run this job again",
    "IMPORT_ROLLBACK_FAILED": "fix the import failure shown in the stack's events, then run this job again",
}


def plan(status: str | None) -> Action:
    """What to do with a stack in ``status`` (``None``: no such stack)."""
    if status is None or status == "DELETE_COMPLETE":
        return Action.CREATE
    if status in RECREATE_STATES:
        return Action.RECREATE
    if status.endswith("_IN_PROGRESS"):
        return Action.WAIT
    if status in REFUSE_HINTS:
        return Action.REFUSE
    # CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, IMPORT_COMPLETE, IMPORT_ROLLBACK_COMPLETE
    return Action.UPDATE


@dataclass(frozen=True)
class StackRequest:
    name: str
    template_body: str
    parameters: Mapping[str, str]
    role_arn: str
    tags: list[dict[str, str]]

    def api_parameters(self) -> list[ParameterTypeDef]:
        return [{"ParameterKey": key, "ParameterValue": value} for key, value in self.parameters.items()]

    def api_tags(self) -> list[TagTypeDef]:
        return [{"Key": tag["Key"], "Value": tag["Value"]} for tag in self.tags]


@dataclass(frozen=True)
class DeployResult:
    stack_id: str
    action: str
    status: str
    outputs: dict[str, str]
    changed: bool


@dataclass(frozen=True)
class Waiting:
    """How to wait; tests pass a zero poll interval and a fake sleep."""

    poll_seconds: float = 10.0
    timeout_seconds: float = 3600.0
    sleep: Callable[[float], None] | None = None
    on_poll: Callable[[], None] | None = None


def describe(client: CloudFormationClient, name: str) -> Mapping[str, Any] | None:
    try:
        return client.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        if "does not exist" in str(error.response.get("Error", {}).get("Message", "")):
            return None
        raise


def outputs_of(stack: Mapping[str, Any]) -> dict[str, str]:
    return {str(item["OutputKey"]): str(item["OutputValue"]) for item in stack.get("Outputs", [])}


def failure_report(name: str, result: WaitResult) -> str:
    lines = [f"stack {name} ended in {result.status}" + (f": {result.reason}" if result.reason else "")]
    if result.failed_events:
        lines.append("failing events:")
        lines += [f"  {format_event(event)}" for event in result.failed_events]
    return "\n".join(lines)


def deploy_stack(
    client: CloudFormationClient,
    request: StackRequest,
    out: Callable[[str], None] = print,
    waiting: Waiting | None = None,
) -> DeployResult:
    """Bring the stack to ``request``: create, update, or recover; raise with the failing events on failure."""
    waiting = waiting or Waiting()

    def wait(stack_id: str, since: str | None) -> WaitResult:
        kwargs: dict[str, Any] = {
            "since_event_id": since,
            "out": out,
            "poll_seconds": waiting.poll_seconds,
            "timeout_seconds": waiting.timeout_seconds,
            "on_poll": waiting.on_poll,
        }
        if waiting.sleep is not None:
            kwargs["sleep"] = waiting.sleep
        return wait_for_stack(client, stack_id, **kwargs)

    recreated = False
    stack = describe(client, request.name)
    action = plan(stack["StackStatus"] if stack else None)

    if stack is not None and action is Action.WAIT:
        out(f"Stack {request.name} is {stack['StackStatus']} (another operation); waiting for it to finish")
        wait(stack["StackId"], latest_event_id(client, stack["StackId"]))
        stack = describe(client, request.name)
        action = plan(stack["StackStatus"] if stack else None)
        if action is Action.WAIT:
            raise DeployerError(f"stack {request.name} is still busy; run this job again later")

    if stack is not None and action is Action.REFUSE:
        hint = REFUSE_HINTS[stack["StackStatus"]].format(name=request.name)
        raise DeployerError(f"stack {request.name} is {stack['StackStatus']}: {hint}")

    if stack is not None and action is Action.RECREATE:
        out(
            f"Stack {request.name} is {stack['StackStatus']} (a failed first creation cannot be updated); "
            "deleting it to create it again"
        )
        since = latest_event_id(client, stack["StackId"])
        client.delete_stack(StackName=stack["StackId"], RoleARN=request.role_arn)
        deleted = wait(stack["StackId"], since)
        if deleted.status != "DELETE_COMPLETE":
            raise DeployerError(failure_report(request.name, deleted))
        stack = None
        recreated = True

    if stack is None:
        out(f"Creating stack {request.name}")
        stack_id = client.create_stack(
            StackName=request.name,
            TemplateBody=request.template_body,
            Parameters=request.api_parameters(),
            RoleARN=request.role_arn,
            Tags=request.api_tags(),
        )["StackId"]
        result = wait(stack_id, None)
        label = "recreated" if recreated else "created"
    else:
        stack_id = stack["StackId"]
        since = latest_event_id(client, stack_id)
        out(f"Updating stack {request.name} (was {stack['StackStatus']})")
        try:
            client.update_stack(
                StackName=stack_id,
                TemplateBody=request.template_body,
                Parameters=request.api_parameters(),
                RoleARN=request.role_arn,
                Tags=request.api_tags(),
            )
        except ClientError as error:
            if NO_UPDATES in str(error.response.get("Error", {}).get("Message", "")):
                out("No changes: the stack already runs this model package with this configuration")
                return DeployResult(stack_id, "unchanged", stack["StackStatus"], outputs_of(stack), False)
            raise
        result = wait(stack_id, since)
        label = "updated"

    if not result.succeeded:
        raise DeployerError(failure_report(request.name, result))
    final = client.describe_stacks(StackName=stack_id)["Stacks"][0]
    return DeployResult(stack_id, label, final["StackStatus"], outputs_of(final), True)
