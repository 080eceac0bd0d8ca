"""Create or update a CloudFormation stack and show its events as they happen.

The watching (event printing, terminal and successful statuses) is the seed deploy repo's
``deployer/stack_events.py``, imported from this repository (``scripts/publish`` and pytest put
``seed_deploy_repo`` on the path): one stack watcher, which the seeded repo still carries on its own.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from deployer import stack_events
from release.aws_errors import PublishError, error_code

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
else:
    CloudFormationClient = Any

Log = Callable[[str], None]
# Statuses from which an update can start (UpdateStack refuses the others).
UPDATABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"})


def describe_stack(cfn: CloudFormationClient, stack: str) -> dict[str, Any] | None:
    """The stack's description, or None when it does not exist."""
    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if error_code(error) == "ValidationError" and "does not exist" in str(error):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def stack_status(cfn: CloudFormationClient, stack: str) -> str | None:
    """The stack's status, or None when it does not exist."""
    described = describe_stack(cfn, stack)
    return str(described["StackStatus"]) if described else None


def stack_outputs(cfn: CloudFormationClient, stack: str) -> dict[str, str]:
    outputs = cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    return {
        str(output["OutputKey"]): str(output["OutputValue"])
        for output in outputs
        if output.get("OutputValue") not in (None, "", "None")
    }


def failure_reasons(result: stack_events.WaitResult) -> list[str]:
    """``Resource: reason`` of the failed events, newest first, each once."""
    reasons = [
        f"{event.get('LogicalResourceId', '?')}: {event['ResourceStatusReason']}"
        for event in result.failed_events
        if event.get("ResourceStatusReason")
    ]
    return list(dict.fromkeys(reversed(reasons)))


def deploy_stack(
    cfn: CloudFormationClient,
    stack: str,
    template_url: str,
    create_parameters: list[Any],
    update_parameters: list[Any],
    tags: list[dict[str, str]],
    log: Log,
    poll_seconds: float = 5.0,
    timeout_seconds: float = 3600.0,
) -> str:
    """Create or update ``stack``; return ``created``, ``updated`` or ``unchanged``. Raises on failure."""

    def wait(stack_id: str, since: str | None) -> stack_events.WaitResult:
        # By id: a deleted stack is only reachable by its id (stack_events.wait_for_stack's contract).
        result = stack_events.wait_for_stack(
            cfn,
            stack_id,
            since_event_id=since,
            out=log,
            poll_seconds=poll_seconds,
            timeout_seconds=timeout_seconds,
        )
        if not stack_events.is_terminal(result.status):
            raise PublishError(f"stack {stack}: {result.reason}; rerun publish when it has finished")
        return result

    def require(result: stack_events.WaitResult, operation: str) -> None:
        if result.status != stack_events.SUCCESS_OF[operation]:
            reasons = "\n  ".join(failure_reasons(result)) or "(no reason reported)"
            raise PublishError(f"stack {stack} ended {result.status}. Failed resources:\n  {reasons}")

    described = describe_stack(cfn, stack)
    status = str(described["StackStatus"]) if described else None
    if described is not None and not stack_events.is_terminal(str(status)):
        log(f"Stack {stack} is {status}; waiting for it to finish first")
        status = wait(described["StackId"], stack_events.latest_event_id(cfn, described["StackId"])).status
    if described is not None and status == "ROLLBACK_COMPLETE":
        # A failed first creation leaves an empty stack that can only be deleted.
        log(
            f"Stack {stack} is ROLLBACK_COMPLETE (its creation failed earlier and holds nothing); deleting it"
        )
        since = stack_events.latest_event_id(cfn, described["StackId"])
        cfn.delete_stack(StackName=described["StackId"])
        require(wait(described["StackId"], since), "DELETE")
        status = None
    common: dict[str, Any] = {
        "StackName": stack,
        "TemplateURL": template_url,
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": tags,
    }
    if status is None:
        log(f"Creating stack {stack}")
        stack_id = cfn.create_stack(Parameters=create_parameters, OnFailure="ROLLBACK", **common)["StackId"]
        since = None
        operation, outcome = "CREATE", "created"
    elif described is not None and status in UPDATABLE:
        stack_id = described["StackId"]
        since = stack_events.latest_event_id(cfn, stack_id)
        try:
            cfn.update_stack(Parameters=update_parameters, **common)
        except ClientError as error:
            if error_code(error) == "ValidationError" and "No updates are to be performed" in str(error):
                log(f"Stack {stack} is up to date")
                return "unchanged"
            raise
        log(f"Updating stack {stack}")
        operation, outcome = "UPDATE", "updated"
    else:
        raise PublishError(
            f"stack {stack} is {status} and cannot be updated; fix it in the CloudFormation console "
            "(e.g. continue the rollback) and rerun publish"
        )
    require(wait(stack_id, since), operation)
    return outcome
