"""Delete the project's deploy stacks (staging, prod) so no endpoint keeps billing after the project."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from seeder import logs
from seeder.deadline import Deadline
from seeder.errors import SeederError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

_GONE = "DELETE_COMPLETE"


def _status(cfn: CloudFormationClient, name: str) -> str | None:
    """Current status of the live stack called ``name``, ``None`` if there is none."""
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc.response.get("Error", {}).get("Message", "")):
            return None
        raise SeederError(
            f"cannot describe deploy stack {name}: {exc.response.get('Error', {}).get('Code')}"
        ) from None
    status = str(stacks[0]["StackStatus"]) if stacks else None
    return None if status in (None, _GONE) else status


def start_deletion(cfn: CloudFormationClient, names: Sequence[str]) -> list[str]:
    """Ask CloudFormation to delete every existing stack; returns those being deleted."""
    deleting = []
    for name in names:
        status = _status(cfn, name)
        if status is None:
            logs.log("stack.absent", stack=name)
            continue
        try:
            cfn.delete_stack(StackName=name)
        except ClientError as exc:
            raise SeederError(
                f"cannot delete deploy stack {name}: {exc.response.get('Error', {}).get('Message', '')[:200]}"
            ) from None
        logs.log("stack.deleting", stack=name, previous_status=status)
        deleting.append(name)
    return deleting


def wait_deleted(
    cfn: CloudFormationClient,
    names: Sequence[str],
    deadline: Deadline,
    poll: float,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Wait until every stack is gone; fail clearly on DELETE_FAILED or when time runs out."""
    pending = list(names)
    while pending:
        still = []
        for name in pending:
            status = _status(cfn, name)
            if status is None:
                logs.log("stack.deleted", stack=name)
            elif status == "DELETE_FAILED":
                raise SeederError(
                    f"deploy stack {name} is DELETE_FAILED; see its events, fix the cause, then delete the project again"
                )
            else:
                still.append(name)
        pending = still
        if not pending:
            return
        if deadline.remaining() <= poll:
            raise SeederError(
                f"deploy stack(s) {', '.join(pending)} still deleting when the seeder ran out of time; "
                "delete the project again once they are gone"
            )
        logs.log("stack.waiting", stacks=pending, seconds_left=round(deadline.remaining()))
        sleep(poll)
