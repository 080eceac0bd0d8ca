"""Decide what an approval-state change means for the deploy repo. Pure functions, no I/O.

The invariant: the package in service is the newest Approved package of the group. Both rules keep it, and
neither relies on knowing what is deployed now (the event does not say, and pipelines may finish in any
order), so a withdrawn package is never left in service:

* A package becomes **Approved** -> deploy the newest Approved package of the group: the approved one, or a
  newer Approved one if there is one (approving an older version must not replace a newer one in service).
  Reason ``approved``. The approved package is counted even if the listing does not show it yet.
* A package is **withdrawn** (-> Rejected or PendingManualApproval) -> deploy the newest *remaining*
  Approved package (reason ``rollback``), whatever its version relative to the withdrawn one; if none
  remains -> notify loudly: nothing can be rolled back to. When the withdrawn package was not the one in
  service this redeploys the package already in service: a no-op for the deploy stacks, and the price of a
  rule that cannot be fooled by an out-of-order or older deploy (the previous rule, "a newer Approved
  package exists -> nothing to do", left a rejected older version in service after it had been approved
  late and deployed).
  Two withdrawals are known never to have been deployed and need nothing:
  - the event says the previous status and it was not Approved (every deploy is of an Approved package);
  - a PendingManualApproval event that is not an update (no ``UpdatedModelPackageFields``: SageMaker's
    creation event) is a new registration awaiting approval.
* Updates that did not change the approval status (``UpdatedModelPackageFields`` present without
  ``ModelApprovalStatus``: metadata, lifecycle stage, description) -> nothing to do, so that stamping
  metadata on a package never redeploys it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from trigger.events import ApprovalStatus, PackageStateChange

APPROVAL_FIELD = "ModelApprovalStatus"


class DeployReason(StrEnum):
    APPROVED = "approved"
    ROLLBACK = "rollback"


@dataclass(frozen=True)
class ApprovedPackage:
    """One Approved package of the group, as listed by the registry."""

    arn: str
    version: int
    creation_time: datetime


@dataclass(frozen=True)
class Deploy:
    """Start the deploy pipeline for ``package_arn``."""

    package_arn: str
    version: int
    reason: DeployReason
    event_id: str

    def pipeline_variables(self) -> dict[str, str]:
        """The deploy pipeline's variables (README contract "Approval -> deploy pipeline")."""
        return {
            "MODEL_PACKAGE_ARN": self.package_arn,
            "MODEL_PACKAGE_VERSION": str(self.version),
            "APPROVAL_EVENT_ID": self.event_id,
            "DEPLOY_REASON": self.reason.value,
        }


@dataclass(frozen=True)
class CheckRegistry:
    """The right package depends on the group's other Approved packages: ask the registry."""

    change: PackageStateChange


@dataclass(frozen=True)
class NoApprovedLeft:
    """The (possibly deployed) package was withdrawn and no Approved package remains: tell people."""

    change: PackageStateChange


@dataclass(frozen=True)
class NoAction:
    reason: str


def decide(change: PackageStateChange) -> CheckRegistry | NoAction:
    """First step: what the event alone tells us."""
    fields = change.updated_fields
    if fields and APPROVAL_FIELD not in fields:
        return NoAction(
            f"update of {change.package_arn} changed {', '.join(fields)}, not its approval status"
        )
    if change.status is ApprovalStatus.APPROVED:
        if change.previous_status == ApprovalStatus.APPROVED.value:
            return NoAction(f"{change.package_arn} was already Approved")
        return CheckRegistry(change)
    if change.previous_status is not None and change.previous_status != ApprovalStatus.APPROVED.value:
        return NoAction(
            f"{change.package_arn} went from {change.previous_status} to {change.status.value}: "
            "it was never Approved, so it was never deployed"
        )
    if change.status is ApprovalStatus.PENDING and not fields:
        return NoAction(f"{change.package_arn} was registered and awaits manual approval")
    return CheckRegistry(change)


def decide_deploy(
    change: PackageStateChange, newest_other: ApprovedPackage | None
) -> Deploy | NoApprovedLeft:
    """Second step, given the newest Approved package other than the changed one (or None)."""
    # Versions of a group grow with creation time, so they order packages exactly as CreationTime does,
    # without parsing the event's CreationTime (documented as ISO text, sometimes sent as epoch ms).
    if change.status is ApprovalStatus.APPROVED:
        if newest_other is not None and newest_other.version > change.version:
            return Deploy(newest_other.arn, newest_other.version, DeployReason.APPROVED, change.event_id)
        return Deploy(change.package_arn, change.version, DeployReason.APPROVED, change.event_id)
    if newest_other is None:
        return NoApprovedLeft(change)
    return Deploy(newest_other.arn, newest_other.version, DeployReason.ROLLBACK, change.event_id)
