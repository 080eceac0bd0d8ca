"""The decision table (pure): what each approval change means for the deploy repo."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trigger.decisions import (
    ApprovedPackage,
    CheckRollback,
    Deploy,
    DeployReason,
    NoAction,
    NoApprovedLeft,
    decide,
    decide_rollback,
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
def test_approval_deploys_that_package(fields: tuple[str, ...] | None) -> None:
    assert decide(change(5, A, fields)) == Deploy(f"{PREFIX}5", 5, DeployReason.APPROVED, "evt-1")


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
    assert decide(change(3, status)) == CheckRollback(change(3, status))
    assert decide(change(3, status, previous="Approved")) == CheckRollback(
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
    assert isinstance(decide(change(3, R, None)), CheckRollback)


@pytest.mark.parametrize("status", [R, P])
def test_withdrawn_newest_rolls_back_to_newest_remaining(status: ApprovalStatus) -> None:
    assert decide_rollback(change(4, status), approved(2)) == Deploy(
        f"{PREFIX}2", 2, DeployReason.ROLLBACK, "evt-1"
    )


def test_withdrawn_older_package_was_not_deployed() -> None:
    decision = decide_rollback(change(2, R), approved(4))
    assert isinstance(decision, NoAction)
    assert "newer Approved version 4 is the deployed one" in decision.reason


def test_nothing_left_to_roll_back_to_notifies() -> None:
    assert decide_rollback(change(1, R), None) == NoApprovedLeft(change(1, R))
