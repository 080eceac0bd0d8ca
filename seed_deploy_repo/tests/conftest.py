"""Fixtures: an in-process moto AWS, this project's CI/CD variables and a model registry to fill."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

REPO_ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
ACCOUNT = "123456789012"
PROJECT_NAME = "abalone-regression-with-a-32char"  # 32 characters: the longest Studio allows
PROJECT_ID = "p-abcdefghijkl"
GROUP = f"{PROJECT_NAME}-{PROJECT_ID}"
BASELINE_STATISTICS = "s3://bucket/baselines/data-quality/statistics.json"
BASELINE_CONSTRAINTS = "s3://bucket/baselines/data-quality/constraints.json"
XGBOOST_IMAGE = f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1"

PROJECT_VARIABLES = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "SAGEMAKER_PROJECT_NAME": PROJECT_NAME,
    "SAGEMAKER_PROJECT_ID": PROJECT_ID,
    "MODEL_PACKAGE_GROUP_NAME": GROUP,
    "ARTIFACT_BUCKET": f"sagemaker-{PROJECT_ID}-artifacts-{ACCOUNT}",
    "MODEL_EXECUTION_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{PROJECT_ID}-model-execution",
    "DEPLOY_CFN_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{PROJECT_ID}-deploy-cfn",
}

# Variables that would make boto3 leave the mock (a real endpoint, a role to assume, a profile).
_LEAKY = (
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_SESSION_TOKEN",
    "MODEL_PACKAGE_ARN",
    "MODEL_PACKAGE_VERSION",
    "DEPLOY_REASON",
    "APPROVAL_EVENT_ID",
    "RESOLVED_MODEL_PACKAGE_ARN",
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in-process, with fake credentials and nothing that could reach a real account."""
    for name in _LEAKY:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    with mock_aws():
        yield


@pytest.fixture
def project_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The CI/CD variables the seeder sets on the deploy repo, exported as a CI job would see them."""
    for name, value in PROJECT_VARIABLES.items():
        monkeypatch.setenv(name, value)
    return dict(PROJECT_VARIABLES)


@pytest.fixture
def sagemaker(aws: None) -> Any:
    return boto3.client("sagemaker", region_name=REGION)


@pytest.fixture
def cloudformation(aws: None) -> Any:
    return boto3.client("cloudformation", region_name=REGION)


@dataclass
class Registry:
    """A model package group in moto's registry, filled the way the build pipeline fills it."""

    client: Any
    group: str

    def register(self, status: str = "PendingManualApproval", group: str | None = None) -> str:
        response = self.client.create_model_package(
            ModelPackageGroupName=group or self.group,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": XGBOOST_IMAGE, "ModelDataUrl": "s3://bucket/model/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            # The build pipeline's data-quality check step registers the baseline monitoring uses.
            DriftCheckBaselines={
                "ModelDataQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": BASELINE_STATISTICS},
                    "Constraints": {"ContentType": "application/json", "S3Uri": BASELINE_CONSTRAINTS},
                }
            },
        )
        return str(response["ModelPackageArn"])

    def set_status(self, arn: str, status: str) -> None:
        self.client.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)

    def register_many(self, count: int, status: str = "Approved") -> list[str]:
        return [self.register(status) for _ in range(count)]


@pytest.fixture
def model_registry(sagemaker: Any) -> Registry:
    sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
    return Registry(sagemaker, GROUP)


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def lines() -> tuple[list[str], Callable[[str], None]]:
    """A list and an ``out`` function appending to it: captures what a command prints, line by line."""
    captured: list[str] = []
    return captured, captured.append
