"""The data-quality baseline a model package carries: what its monitoring schedule judges traffic against.

The build pipeline registers it with the package (``DriftCheckBaselines.ModelDataQuality``: ``Statistics``
and ``Constraints``, each a ``MetricsSource`` with ``S3Uri``), as DescribeModelPackage returns it
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModelPackage.html,
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DriftCheckModelDataQuality.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deployer.errors import DeployerError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


@dataclass(frozen=True)
class DataQualityBaseline:
    statistics_s3_uri: str
    constraints_s3_uri: str


def from_package(description: Mapping[str, Any]) -> DataQualityBaseline:
    """The baseline in a DescribeModelPackage response; refuse (with what to do) a package without one."""
    arn = description.get("ModelPackageArn", "the model package")
    quality = description.get("DriftCheckBaselines", {}).get("ModelDataQuality", {})
    statistics = str(quality.get("Statistics", {}).get("S3Uri", ""))
    constraints = str(quality.get("Constraints", {}).get("S3Uri", ""))
    if not statistics.startswith("s3://") or not constraints.startswith("s3://"):
        raise DeployerError(
            f"{arn} has no data-quality baseline (DriftCheckBaselines.ModelDataQuality statistics and "
            "constraints), which this stage's monitoring schedule needs. Register models from the build "
            "repo's pipeline (its data-quality check step adds the baseline), or set monitoring.enabled "
            "to false in this stage's config."
        )
    return DataQualityBaseline(statistics, constraints)


def of_package(client: SageMakerClient, arn: str) -> DataQualityBaseline:
    return from_package(client.describe_model_package(ModelPackageName=arn))
