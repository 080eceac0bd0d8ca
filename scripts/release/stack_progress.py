"""Create or update a CloudFormation stack and show its events as they happen."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from release.aws_errors import PublishError, error_code

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
else:
    CloudFormationClient = Any

Log = Callable[[str], None]
SUCCESS = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
FAILURE = frozenset(
    {
        "CREATE_FAILED",
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "DELETE_FAILED",
        "UPDATE_FAILED",
        "IMPORT_ROLLBACK_COMPLETE",
        "IMPORT_ROLLBACK_FAILED",
    }
)
# Statuses from which an update can start.
UPDATABLE = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"})


@dataclass
class EventPrinter:
    """Prints each stack event once, oldest first."""

    log: Log
    seen: set[str] = field(default_factory=set)

    def prime(self, cfn: CloudFormationClient, stack: str) -> None:
        """Mark the events that exist now as seen, so that only new ones are printed."""
        self.seen.update(event["EventId"] for event in _events(cfn, stack))

    def print_new(self, cfn: CloudFormationClient, stack: str) -> list[dict[str, Any]]:
        fresh = [event for event in _events(cfn, stack) if event["EventId"] not in self.seen]
        fresh.sort(key=lambda event: event["Timestamp"])
        for event in fresh:
            self.seen.add(event["EventId"])
            self.log(format_event(event))
        return fresh


def _events(cfn: CloudFormationClient, stack: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
        events.extend(dict(event) for event in page.get("StackEvents", []))
    return events


def format_event(event: dict[str, Any]) -> str:
    stamp = event.get("Timestamp")
    when = stamp.strftime("%H:%M:%S") if isinstance(stamp, datetime) else "--:--:--"
    reason = event.get("ResourceStatusReason")
    line = (
        f"  {when}  {event.get('LogicalResourceId', '?'):<34} {event.get('ResourceType', ''):<44} "
        f"{event.get('ResourceStatus', '')}"
    )
    return f"{line}  {reason}" if reason else line


def stack_status(cfn: CloudFormationClient, stack: str) -> str | None:
    """The stack's status, or None when it does not exist."""
    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as error:
        if error_code(error) == "ValidationError" and "does not exist" in str(error):
            return None
        raise
    return str(stacks[0]["StackStatus"]) if stacks else None


def stack_outputs(cfn: CloudFormationClient, stack: str) -> dict[str, str]:
    outputs = cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    return {
        str(output["OutputKey"]): str(output["OutputValue"])
        for output in outputs
        if output.get("OutputValue") not in (None, "", "None")
    }


def wait_for_stack(
    cfn: CloudFormationClient, stack: str, printer: EventPrinter, poll_seconds: float, timeout_seconds: float
) -> str:
    """Wait until the stack leaves *_IN_PROGRESS, printing its events; return the final status."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        printer.print_new(cfn, stack)
        status = stack_status(cfn, stack) or "DELETE_COMPLETE"
        if not status.endswith("_IN_PROGRESS"):
            return status
        if time.monotonic() > deadline:
            raise PublishError(
                f"stack {stack} is still {status} after {timeout_seconds:.0f}s; "
                "watch it in the CloudFormation console and rerun publish when it has finished"
            )
        time.sleep(poll_seconds)


def failure_reasons(cfn: CloudFormationClient, stack: str) -> list[str]:
    reasons = []
    for event in _events(cfn, stack):
        if str(event.get("ResourceStatus", "")).endswith("FAILED") and event.get("ResourceStatusReason"):
            reasons.append(f"{event['LogicalResourceId']}: {event['ResourceStatusReason']}")
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
    printer = EventPrinter(log)
    status = stack_status(cfn, stack)
    if status is not None and status.endswith("_IN_PROGRESS"):
        log(f"Stack {stack} is {status}; waiting for it to finish first")
        printer.prime(cfn, stack)
        status = wait_for_stack(cfn, stack, printer, poll_seconds, timeout_seconds)
    if status == "ROLLBACK_COMPLETE":
        # A failed first creation leaves an empty stack that can only be deleted.
        log(
            f"Stack {stack} is ROLLBACK_COMPLETE (its creation failed earlier and holds nothing); deleting it"
        )
        printer.prime(cfn, stack)
        cfn.delete_stack(StackName=stack)
        wait_for_stack(cfn, stack, printer, poll_seconds, timeout_seconds)
        status = None
    common: dict[str, Any] = {
        "StackName": stack,
        "TemplateURL": template_url,
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": tags,
    }
    if status is None:
        log(f"Creating stack {stack}")
        cfn.create_stack(Parameters=create_parameters, OnFailure="ROLLBACK", **common)
        outcome = "created"
    elif status in UPDATABLE:
        printer.prime(cfn, stack)
        try:
            cfn.update_stack(Parameters=update_parameters, **common)
        except ClientError as error:
            if error_code(error) == "ValidationError" and "No updates are to be performed" in str(error):
                log(f"Stack {stack} is up to date")
                return "unchanged"
            raise
        log(f"Updating stack {stack}")
        outcome = "updated"
    else:
        raise PublishError(
            f"stack {stack} is {status} and cannot be updated; fix it in the CloudFormation console "
            "(e.g. continue the rollback) and rerun publish"
        )
    final = wait_for_stack(cfn, stack, printer, poll_seconds, timeout_seconds)
    if final not in SUCCESS:
        reasons = "\n  ".join(failure_reasons(cfn, stack)) or "(no reason reported)"
        raise PublishError(f"stack {stack} ended {final}. Failed resources:\n  {reasons}")
    return outcome
