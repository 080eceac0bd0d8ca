"""Which model package to deploy: verify the one the trigger named, or find the newest Approved one.

``ListModelPackages`` returns at most 100 packages per page and sorts *ascending* by default, so taking the
first item of one page deploys the oldest Approved model (a bug in public templates). Here every page is
read and the newest package is chosen by creation time, with the version number breaking ties.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from botocore.exceptions import ClientError

from deployer.errors import DeployerError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

APPROVED: Final[Literal["Approved"]] = "Approved"
PAGE_SIZE = 100  # the API's maximum


@dataclass(frozen=True)
class ModelPackage:
    arn: str
    group: str
    version: int
    status: str
    created: datetime


def from_api(item: Mapping[str, Any]) -> ModelPackage:
    """A package from a ``DescribeModelPackage`` response or a ``ModelPackageSummaryList`` item."""
    return ModelPackage(
        arn=str(item.get("ModelPackageArn") or item["Arn"]),
        group=str(item.get("ModelPackageGroupName", "")),
        version=int(item.get("ModelPackageVersion", 0)),
        status=str(item.get("ModelApprovalStatus", "")),
        created=item["CreationTime"],
    )


def newest(packages: Iterable[ModelPackage]) -> ModelPackage | None:
    """The most recently created package; the (monotonic) version number breaks creation-time ties."""
    return max(packages, key=lambda package: (package.created, package.version), default=None)


def check_package(package: ModelPackage, group: str, expected_version: str = "") -> ModelPackage:
    """Refuse a package outside this project's group, not Approved, or not the version the trigger named."""
    if package.group != group:
        raise DeployerError(
            f"refusing to deploy {package.arn}: it belongs to model package group "
            f"{package.group or '(none)'!r}, not to this project's group {group!r}"
        )
    if package.status != APPROVED:
        raise DeployerError(
            f"refusing to deploy {package.arn} (version {package.version}): its approval status is "
            f"{package.status or '(none)'}, not {APPROVED}. Approve it in SageMaker Studio (Model Registry) "
            "first; approving it starts this pipeline again."
        )
    if expected_version.strip() and expected_version.strip() != str(package.version):
        raise DeployerError(
            f"refusing to deploy {package.arn}: MODEL_PACKAGE_VERSION={expected_version.strip()} but the "
            f"package is version {package.version}; start the pipeline with matching values"
        )
    return package


def describe(client: SageMakerClient, arn: str) -> ModelPackage:
    try:
        response = client.describe_model_package(ModelPackageName=arn)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in {"ValidationException", "ResourceNotFound"}:
            raise DeployerError(
                f"model package {arn} was not found (or is not visible to this job's role): "
                f"{error.response.get('Error', {}).get('Message', code)}"
            ) from None
        raise
    return from_api(response)


def verify(client: SageMakerClient, arn: str, group: str, expected_version: str = "") -> ModelPackage:
    return check_package(describe(client, arn), group, expected_version)


@dataclass(frozen=True)
class Approved:
    newest: ModelPackage
    count: int
    pages: int


def newest_approved(client: SageMakerClient, group: str) -> Approved:
    """Read every page of this group's Approved packages and return the newest, with what was read."""
    paginator = client.get_paginator("list_model_packages")
    packages: list[ModelPackage] = []
    pages = 0
    for page in paginator.paginate(
        ModelPackageGroupName=group,
        ModelApprovalStatus=APPROVED,
        SortBy="CreationTime",
        SortOrder="Descending",
        PaginationConfig={"PageSize": PAGE_SIZE},
    ):
        pages += 1
        packages.extend(
            from_api({"ModelPackageGroupName": group, **item}) for item in page["ModelPackageSummaryList"]
        )
    # The filter was server-side; re-check so a service that ignored it can never make us deploy a
    # rejected package.
    approved = [package for package in packages if package.status == APPROVED and package.group == group]
    best = newest(approved)
    if best is None:
        raise DeployerError(
            f"no Approved model package in group {group!r}. Approve one in SageMaker Studio (Model Registry);"
            " the approval starts this pipeline with MODEL_PACKAGE_ARN set."
        )
    return Approved(newest=best, count=len(approved), pages=pages)
