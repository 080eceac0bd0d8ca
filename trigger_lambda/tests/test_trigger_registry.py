"""Newest Approved package look-up against moto's SageMaker registry (real boto3 client)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from trigger.registry import newest_approved_package

GROUP = "abalone-p-abcdefghijkl"
A, R, P = "Approved", "Rejected", "PendingManualApproval"


def counting_client() -> tuple[Any, list[dict[str, Any]]]:
    sm = boto3.client("sagemaker", region_name="us-east-1")
    calls: list[dict[str, Any]] = []
    sm.meta.events.register(
        "provide-client-params.sagemaker.ListModelPackages", lambda params, **_: calls.append(dict(params))
    )
    return sm, calls


def test_newest_approved_among_mixed_statuses(make_registry: Callable[[list[str]], list[str]]) -> None:
    arns = make_registry([A, A, R, A, P, R])
    sm, calls = counting_client()
    newest = newest_approved_package(sm, GROUP)
    assert newest is not None
    assert (newest.arn, newest.version) == (arns[3], 4)
    assert calls[0]["ModelApprovalStatus"] == "Approved"
    assert (calls[0]["SortBy"], calls[0]["SortOrder"]) == ("CreationTime", "Descending")


def test_excluded_package_is_skipped(make_registry: Callable[[list[str]], list[str]]) -> None:
    # The withdrawn package may still be listed as Approved right after the change.
    arns = make_registry([A, R, A, A])
    sm, _ = counting_client()
    newest = newest_approved_package(sm, GROUP, exclude_arn=arns[3])
    assert newest is not None
    assert newest.version == 3


def test_no_approved_package(make_registry: Callable[[list[str]], list[str]]) -> None:
    arns = make_registry([R, P, A])
    sm, _ = counting_client()
    assert newest_approved_package(sm, GROUP, exclude_arn=arns[2]) is None
    assert newest_approved_package(sm, "another-group-without-packages") is None


def test_reads_every_page_of_more_than_100_packages(make_registry: Callable[[list[str]], list[str]]) -> None:
    statuses = [A] * 230 + [R] * 5 + [A] + [P] * 4
    arns = make_registry(statuses)
    sm, calls = counting_client()
    newest = newest_approved_package(sm, GROUP, exclude_arn=arns[235])
    assert newest is not None
    assert (newest.arn, newest.version) == (arns[229], 230)
    # 231 Approved packages are listed (the excluded one is skipped client-side): pages of 100, 100, 31.
    assert len(calls) == 3
    assert "NextToken" not in calls[0]
    assert all("NextToken" in c for c in calls[1:])


def test_answer_does_not_depend_on_page_order() -> None:
    """The real API sorts by CreationTime; the look-up still takes the maximum over all pages."""
    sm = boto3.client("sagemaker", region_name="us-east-1")
    prefix = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/"

    def summary(version: int) -> dict[str, Any]:
        return {
            "ModelPackageGroupName": GROUP,
            "ModelPackageVersion": version,
            "ModelPackageArn": f"{prefix}{version}",
            "CreationTime": datetime(2026, 1, 1, tzinfo=UTC).replace(day=version),
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved",
        }

    with Stubber(sm) as stub:
        stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary(1)], "NextToken": "t"})
        stub.add_response("list_model_packages", {"ModelPackageSummaryList": [summary(7), summary(3)]})
        newest = newest_approved_package(sm, GROUP)
        stub.assert_no_pending_responses()
    assert newest is not None
    assert newest.version == 7


def test_registry_errors_propagate(aws: None) -> None:
    sm = boto3.client("sagemaker", region_name="us-east-1")
    with Stubber(sm) as stub:
        stub.add_client_error("list_model_packages", "ThrottlingException", http_status_code=400)
        with pytest.raises(sm.exceptions.ClientError, match="ThrottlingException"):
            newest_approved_package(sm, GROUP)
