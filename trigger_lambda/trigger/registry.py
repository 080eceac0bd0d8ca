"""SageMaker Model Registry look-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trigger.decisions import ApprovedPackage

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


def newest_approved_package(
    sagemaker: SageMakerClient, group_name: str, exclude_arn: str | None = None
) -> ApprovedPackage | None:
    """The newest Approved package of ``group_name`` other than ``exclude_arn``, or None.

    Reads every page: ListModelPackages returns at most 100 summaries per call. The API sorts by
    CreationTime, but the answer is taken as the maximum over all pages (CreationTime, then version)
    rather than "the first item", so it stays right whatever order a page comes in. The withdrawn
    package is excluded explicitly in case the listing still shows it as Approved.
    """
    newest: ApprovedPackage | None = None
    paginator = sagemaker.get_paginator("list_model_packages")
    pages = paginator.paginate(
        ModelPackageGroupName=group_name,
        ModelApprovalStatus="Approved",
        ModelPackageType="Versioned",
        SortBy="CreationTime",
        SortOrder="Descending",
        PaginationConfig={"PageSize": 100},
    )
    for page in pages:
        for summary in page["ModelPackageSummaryList"]:
            arn = summary["ModelPackageArn"]
            if arn == exclude_arn or summary.get("ModelApprovalStatus") != "Approved":
                continue
            candidate = ApprovedPackage(
                arn=arn,
                version=summary.get("ModelPackageVersion", 0),
                creation_time=summary["CreationTime"],
            )
            if newest is None or (candidate.creation_time, candidate.version) > (
                newest.creation_time,
                newest.version,
            ):
                newest = candidate
    return newest
