"""Parse and validate EventBridge "SageMaker Model Package State Change" events.

The shape follows the AWS documentation ("Events that Amazon SageMaker AI sends to Amazon EventBridge",
section "SageMaker model package state change"). Anything that is not a well-formed state change of this
project's model package group becomes a ``Drop`` with a reason: such events are logged and never retried,
because retrying cannot make them well-formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"

# ARN of a versioned model package: .../model-package/<group, lower-cased by SageMaker>/<version>.
_PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:[0-9]{12}:model-package/(?P<group>[^/\s]+)/(?P<version>[0-9]+)$"
)


class ApprovalStatus(StrEnum):
    APPROVED = "Approved"
    REJECTED = "Rejected"
    PENDING = "PendingManualApproval"


@dataclass(frozen=True)
class PackageStateChange:
    """A validated approval-state event of one model package of our group."""

    event_id: str
    group_name: str
    package_arn: str
    version: int
    status: ApprovalStatus
    # ``UpdatedModelPackageFields`` names what an update changed; SageMaker omits it when a package is
    # created. ``None`` = absent.
    updated_fields: tuple[str, ...] | None
    # ``previousModelApprovalStatus`` is sent by some producers (not by API- or console-driven updates).
    previous_status: str | None
    last_modified_time: str | None


@dataclass(frozen=True)
class Drop:
    """An event we will not act on, and why (logged; never retried)."""

    reason: str


def _describe(value: object) -> str:
    return type(value).__name__


def parse_event(event: object, expected_group: str) -> PackageStateChange | Drop:
    """Validate ``event`` into a ``PackageStateChange`` of ``expected_group``, or say why it is dropped."""
    if not isinstance(event, dict):
        return Drop(f"event is a {_describe(event)}, not a JSON object")
    if event.get("detail-type") != DETAIL_TYPE:
        return Drop(f"detail-type is {event.get('detail-type')!r}, not {DETAIL_TYPE!r}")
    if event.get("source") != SOURCE:
        return Drop(f"source is {event.get('source')!r}, not {SOURCE!r}")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        return Drop("event has no string 'id'")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return Drop(f"event {event_id}: 'detail' is a {_describe(detail)}, not an object")

    group = detail.get("ModelPackageGroupName")
    if not isinstance(group, str):
        return Drop(f"event {event_id}: detail.ModelPackageGroupName is a {_describe(group)}, not a string")
    if group != expected_group:
        return Drop(
            f"event {event_id}: model package group {group!r} is not this project's {expected_group!r}"
        )
    return _parse_detail(event_id, group, detail)


def _parse_detail(event_id: str, group: str, detail: dict[str, Any]) -> PackageStateChange | Drop:
    def bad(field: str, want: str) -> Drop:
        value = detail.get(field)
        got = "missing" if field not in detail else f"a {_describe(value)} ({value!r})"
        return Drop(f"event {event_id}: detail.{field} is {got}, expected {want}")

    arn = detail.get("ModelPackageArn")
    if not isinstance(arn, str):
        return bad("ModelPackageArn", "a string")
    match = _PACKAGE_ARN.match(arn)
    if match is None:
        return bad("ModelPackageArn", "the ARN of a versioned model package")
    version = detail.get("ModelPackageVersion")
    # bool is an int subclass; a JSON true is not a version.
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return bad("ModelPackageVersion", "an integer >= 1")
    if int(match["version"]) != version or match["group"].lower() != group.lower():
        return Drop(
            f"event {event_id}: ModelPackageArn {arn} does not name version {version} of group {group!r}"
        )
    raw_status = detail.get("ModelApprovalStatus")
    if raw_status not in set(ApprovalStatus):
        return bad("ModelApprovalStatus", "one of " + ", ".join(s.value for s in ApprovalStatus))

    updated: tuple[str, ...] | None = None
    if "UpdatedModelPackageFields" in detail:
        fields = detail["UpdatedModelPackageFields"]
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            return bad("UpdatedModelPackageFields", "a list of strings")
        updated = tuple(fields)
    previous = detail.get("previousModelApprovalStatus")
    if previous is not None and not isinstance(previous, str):
        return bad("previousModelApprovalStatus", "a string")
    modified = detail.get("LastModifiedTime")
    return PackageStateChange(
        event_id=event_id,
        group_name=group,
        package_arn=arn,
        version=version,
        status=ApprovalStatus(raw_status),
        updated_fields=updated,
        previous_status=previous,
        # Documented as an ISO string; some events carry epoch milliseconds. Only used as a dedupe key.
        last_modified_time=None if modified is None else str(modified),
    )
