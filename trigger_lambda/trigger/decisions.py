"""Decide what an approval-state change means for the deploy repo. Pure functions, no I/O.

"Currently deployed" is, by the project's contract, the newest Approved package of the group: every
approval triggers a deploy of exactly that package, and the deploy repo deploys the newest Approved one
when run without a package. So:

* A package becomes **Approved** -> deploy it (reason ``approved``).
* A package leaves Approved (-> Rejected or PendingManualApproval). It was the deployed one exactly when
  it was Approved before and no remaining Approved package is newer. The event does not reliably say
  what the status was before (``previousModelApprovalStatus`` is absent on API and console updates), so:
  - if the event says the previous status and it was not Approved -> the package was never deployed;
  - a PendingManualApproval event that is not an update (no ``UpdatedModelPackageFields``: SageMaker's
    creation event) is a new registration awaiting approval -> nothing to do;
  - otherwise look up the newest *remaining* Approved package: if it is newer than the withdrawn one,
    the withdrawn one was not deployed -> nothing to do; if it is older -> deploy it (``rollback``);
    if there is none -> notify loudly: nothing can be rolled back to, and the endpoints keep serving
    whatever they serve.
  When the withdrawn package had been Pending (a candidate rejected without ever being approved) and is
  newer than every Approved one, this redeploys the package that is already deployed. That is a harmless
  no-op deploy (same package, deploy stacks unchanged), and it is the price of never leaving a withdrawn
  model in service.
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
class CheckRollback:
    """The package left Approved and may have been the deployed one: ask the registry."""

    change: PackageStateChange


@dataclass(frozen=True)
class NoApprovedLeft:
    """The (possibly deployed) package was withdrawn and no Approved package remains: tell people."""

    change: PackageStateChange


@dataclass(frozen=True)
class NoAction:
    reason: str


def decide(change: PackageStateChange) -> Deploy | CheckRollback | NoAction:
    """First step: what the event alone tells us."""
    fields = change.updated_fields
    if fields and APPROVAL_FIELD not in fields:
        return NoAction(
            f"update of {change.package_arn} changed {', '.join(fields)}, not its approval status"
        )
    if change.status is ApprovalStatus.APPROVED:
        if change.previous_status == ApprovalStatus.APPROVED.value:
            return NoAction(f"{change.package_arn} was already Approved")
        return Deploy(change.package_arn, change.version, DeployReason.APPROVED, change.event_id)
    if change.previous_status is not None and change.previous_status != ApprovalStatus.APPROVED.value:
        return NoAction(
            f"{change.package_arn} went from {change.previous_status} to {change.status.value}: "
            "it was never Approved, so it was never deployed"
        )
    if change.status is ApprovalStatus.PENDING and not fields:
        return NoAction(f"{change.package_arn} was registered and awaits manual approval")
    return CheckRollback(change)


def decide_rollback(
    change: PackageStateChange, newest_remaining: ApprovedPackage | None
) -> Deploy | NoApprovedLeft | NoAction:
    """Second step, given the newest Approved package other than the withdrawn one (or None)."""
    if newest_remaining is None:
        return NoApprovedLeft(change)
    # Versions of a group grow with creation time, so they order packages exactly as CreationTime does,
    # without parsing the event's CreationTime (documented as ISO text, sometimes sent as epoch ms).
    if newest_remaining.version > change.version:
        return NoAction(
            f"{change.package_arn} is now {change.status.value}, but the newer Approved version "
            f"{newest_remaining.version} is the deployed one: nothing to roll back"
        )
    return Deploy(newest_remaining.arn, newest_remaining.version, DeployReason.ROLLBACK, change.event_id)
