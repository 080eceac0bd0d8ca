"""The decision table (pure): what each approval change means for the deploy repo."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trigger.decisions import (
    ApprovedPackage,
    CheckRegistry,
    Deploy,
    DeployReason,
    NoAction,
    NoApprovedLeft,
    decide,
    decide_deploy,
)
from trigger.events import ApprovalStatus, PackageStateChange

GROUP = "abalone-p-abcdefghijkl"
PREFIX = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/"


def change(
    version: int,
    status: ApprovalStatus,
    fields: tuple[str, ...] | None = ("ModelApprovalStatus",),
    previous: str | None = None,
) -> PackageStateChange:
    return PackageStateChange(
        event_id="evt-1",
        group_name=GROUP,
        package_arn=f"{PREFIX}{version}",
        version=version,
        status=status,
        updated_fields=fields,
        previous_status=previous,
        last_modified_time=None,
    )


def approved(version: int) -> ApprovedPackage:
    return ApprovedPackage(f"{PREFIX}{version}", version, datetime(2026, 11, version, tzinfo=UTC))


A, R, P = ApprovalStatus.APPROVED, ApprovalStatus.REJECTED, ApprovalStatus.PENDING


@pytest.mark.parametrize(
    "fields", [("ModelApprovalStatus",), ("ApprovalDescription", "ModelApprovalStatus"), None, ()]
)
def test_approval_asks_the_registry(fields: tuple[str, ...] | None) -> None:
    assert decide(change(5, A, fields)) == CheckRegistry(change(5, A, fields))


@pytest.mark.parametrize("newest_other", [None, 2, 4])
def test_approval_of_the_newest_deploys_that_package(newest_other: int | None) -> None:
    other = None if newest_other is None else approved(newest_other)
    assert decide_deploy(change(5, A), other) == Deploy(f"{PREFIX}5", 5, DeployReason.APPROVED, "evt-1")


def test_late_approval_of_an_older_version_keeps_the_newer_one_deployed() -> None:
    """Issue 10.7: v4 is Approved and deployed; approving v2 afterwards must not put v2 in service."""
    assert decide_deploy(change(2, A), approved(4)) == Deploy(f"{PREFIX}4", 4, DeployReason.APPROVED, "evt-1")


def test_deploy_variables_follow_the_contract() -> None:
    deploy = Deploy(f"{PREFIX}5", 5, DeployReason.ROLLBACK, "evt-9")
    assert deploy.pipeline_variables() == {
        "MODEL_PACKAGE_ARN": "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abcdefghijkl/5",
        "MODEL_PACKAGE_VERSION": "5",
        "APPROVAL_EVENT_ID": "evt-9",
        "DEPLOY_REASON": "rollback",
    }


@pytest.mark.parametrize("status", [A, R, P])
@pytest.mark.parametrize(
    "fields", [("CustomerMetadataProperties",), ("ModelLifeCycle",), ("ApprovalDescription", "sourceUri")]
)
def test_updates_that_leave_the_approval_alone_do_nothing(
    status: ApprovalStatus, fields: tuple[str, ...]
) -> None:
    decision = decide(change(3, status, fields))
    assert isinstance(decision, NoAction)
    assert "not its approval status" in decision.reason


def test_approved_to_approved_does_nothing() -> None:
    assert isinstance(decide(change(3, A, previous="Approved")), NoAction)


@pytest.mark.parametrize("status", [R, P])
def test_leaving_approved_asks_the_registry(status: ApprovalStatus) -> None:
    assert decide(change(3, status)) == CheckRegistry(change(3, status))
    assert decide(change(3, status, previous="Approved")) == CheckRegistry(
        change(3, status, previous="Approved")
    )


@pytest.mark.parametrize(("status", "previous"), [(R, "PendingManualApproval"), (P, "Rejected")])
def test_never_approved_package_was_never_deployed(status: ApprovalStatus, previous: str) -> None:
    decision = decide(change(3, status, previous=previous))
    assert isinstance(decision, NoAction)
    assert "never deployed" in decision.reason


@pytest.mark.parametrize("fields", [None, ()])
def test_pending_registration_does_nothing(fields: tuple[str, ...] | None) -> None:
    decision = decide(change(3, P, fields))
    assert isinstance(decision, NoAction)
    assert "awaits manual approval" in decision.reason


def test_rejected_creation_event_still_checks_rollback() -> None:
    # Registering straight into Rejected is rare; checking costs one list call and never leaves a
    # withdrawn model deployed.
    assert isinstance(decide(change(3, R, None)), CheckRegistry)


@pytest.mark.parametrize("status", [R, P])
def test_withdrawn_newest_rolls_back_to_newest_remaining(status: ApprovalStatus) -> None:
    assert decide_deploy(change(4, status), approved(2)) == Deploy(
        f"{PREFIX}2", 2, DeployReason.ROLLBACK, "evt-1"
    )


@pytest.mark.parametrize("status", [R, P])
def test_withdrawn_older_package_redeploys_the_newest_remaining(status: ApprovalStatus) -> None:
    """Issue 10.7: an older version may be the one in service (approved late, or an older deploy), so a
    withdrawal never concludes "nothing to roll back" while an Approved package remains."""
    assert decide_deploy(change(2, status), approved(4)) == Deploy(
        f"{PREFIX}4", 4, DeployReason.ROLLBACK, "evt-1"
    )


def test_nothing_left_to_roll_back_to_notifies() -> None:
    assert decide_deploy(change(1, R), None) == NoApprovedLeft(change(1, R))
