"""Wait for a CloudFormation stack operation while printing its events as they happen.

boto3's built-in waiters are silent for the 5-15 minutes an endpoint takes; this one polls the stack and
prints every new event once, oldest first, and collects the failing events for the final report.

The one stack watcher of the project: the release (scripts/release/stack_progress.py) imports this module
from the repository rather than keeping its own, while the seeded deploy repo keeps standing alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

Event = Mapping[str, Any]

# Every StackStatus CloudFormation documents (API reference, data type Stack:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Stack.html).
STACK_STATUSES = frozenset(
    {
        "CREATE_IN_PROGRESS",
        "CREATE_FAILED",
        "CREATE_COMPLETE",
        "ROLLBACK_IN_PROGRESS",
        "ROLLBACK_FAILED",
        "ROLLBACK_COMPLETE",
        "DELETE_IN_PROGRESS",
        "DELETE_FAILED",
        "DELETE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
        "REVIEW_IN_PROGRESS",
        "IMPORT_IN_PROGRESS",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_IN_PROGRESS",
        "IMPORT_ROLLBACK_FAILED",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)
# ``*_IN_PROGRESS`` (including ``*_CLEANUP_IN_PROGRESS``) means CloudFormation is still working; every other
# documented status is where an operation ends.
TERMINAL = frozenset(status for status in STACK_STATUSES if not status.endswith("_IN_PROGRESS"))
# The terminal status in which each operation did what was asked; any other terminal status is a failure
# (a *_FAILED, or a rollback that undid the operation).
SUCCESS_OF = {
    "CREATE": "CREATE_COMPLETE",
    "UPDATE": "UPDATE_COMPLETE",
    "DELETE": "DELETE_COMPLETE",
    "IMPORT": "IMPORT_COMPLETE",
}
SUCCESS = frozenset(SUCCESS_OF.values())
FAILURE = TERMINAL - SUCCESS
# Stack-level statuses whose reason names the resources that failed.
ROLLBACK_STARTS = frozenset({"ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"})


def is_terminal(status: str) -> bool:
    """True for a terminal documented status. An undocumented status (one CloudFormation added later) counts
    as terminal unless it says ``_IN_PROGRESS``, so a watcher never waits forever on a name it does not know."""
    return status in TERMINAL or (status not in STACK_STATUSES and not status.endswith("_IN_PROGRESS"))


def is_failure_event(event: Event) -> bool:
    status = str(event.get("ResourceStatus", ""))
    return status.endswith("_FAILED") or status in ROLLBACK_STARTS


def new_events(pages: Iterable[Iterable[Event]], last_seen_id: str | None) -> list[Event]:
    """Events newer than ``last_seen_id``, oldest first.

    ``DescribeStackEvents`` pages run newest first, so reading stops at the first event already seen.
    """
    fresh: list[Event] = []
    for page in pages:
        for event in page:
            if last_seen_id is not None and event.get("EventId") == last_seen_id:
                return list(reversed(fresh))
            fresh.append(event)
    return list(reversed(fresh))


def format_event(event: Event) -> str:
    timestamp = event.get("Timestamp")
    when = timestamp.strftime("%H:%M:%S") if isinstance(timestamp, datetime) else str(timestamp or "")
    reason = str(event.get("ResourceStatusReason", "") or "")
    line = (
        f"{when}  {event.get('ResourceStatus', ''):<36} {event.get('ResourceType', ''):<32} "
        f"{event.get('LogicalResourceId', '')}"
    )
    return f"{line}  {reason}" if reason else line


@dataclass
class WaitResult:
    status: str
    reason: str
    failed_events: list[Event] = field(default_factory=list)
    last_event_id: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCESS


def latest_event_id(client: CloudFormationClient, stack: str) -> str | None:
    """The newest event of a stack, to print only what happens after it."""
    events = client.describe_stack_events(StackName=stack).get("StackEvents", [])
    return events[0].get("EventId") if events else None


def wait_for_stack(
    client: CloudFormationClient,
    stack_id: str,
    *,
    since_event_id: str | None,
    out: Callable[[str], None] = print,
    poll_seconds: float = 10.0,
    timeout_seconds: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_poll: Callable[[], None] | None = None,
) -> WaitResult:
    """Poll until the stack leaves ``*_IN_PROGRESS``; print new events on every poll.

    ``stack_id`` must be the stack's id (ARN), not its name: a deleted stack is only reachable by id, and a
    recreated stack must not show its predecessor's events. ``on_poll`` runs once per poll (the rollout watch).
    """
    deadline = clock() + timeout_seconds
    last_seen = since_event_id
    failed: list[Event] = []
    paginator = client.get_paginator("describe_stack_events")
    while True:
        stack = client.describe_stacks(StackName=stack_id)["Stacks"][0]
        pages = (page.get("StackEvents", []) for page in paginator.paginate(StackName=stack_id))
        for event in new_events(pages, last_seen):
            out(f"  {format_event(event)}")
            if is_failure_event(event):
                failed.append(event)
            last_seen = str(event.get("EventId"))
        if on_poll is not None:
            on_poll()
        status = stack["StackStatus"]
        if is_terminal(status):
            return WaitResult(status, stack.get("StackStatusReason", ""), failed, last_seen)
        if clock() >= deadline:
            return WaitResult(
                status,
                f"still {status} after {timeout_seconds / 60:.0f} min; this job stopped waiting, "
                "CloudFormation did not stop working: watch the stack in the console",
                failed,
                last_seen,
            )
        sleep(poll_seconds)
