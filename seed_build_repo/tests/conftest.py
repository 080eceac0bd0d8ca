"""Fixtures for the model-build repo's tests: tiny Abalone-shaped data and an offline AWS (moto).

Self-contained on purpose: these tests run both in this repo's own CI and from the template
project's top-level suite, so nothing here relies on a conftest further up.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

# Fake, well-formed settings: moto accepts any credentials; real ones must never be used here.
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "SAGEMAKER_VALIDATE_ROLE": "false",
}
# Anything that could send the tests to a real account or a running local cloud.
_UNSET = (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SAGEMAKER",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)
PROJECT_ENV = {
    "SAGEMAKER_PROJECT_NAME": "abalone-demo",
    "SAGEMAKER_PROJECT_ID": "p-abcdefghijkl",
    "SAGEMAKER_PIPELINE_NAME": "abalone-demo-p-abcdefghijkl",
    "MODEL_PACKAGE_GROUP_NAME": "abalone-demo-p-abcdefghijkl",
    "ARTIFACT_BUCKET": "sagemaker-p-abcdefghijkl-artifacts",
    "SAGEMAKER_PIPELINE_ROLE_ARN": "arn:aws:iam::123456789012:role/sagemaker-p-abcdefghijkl-pipeline",
    "INPUT_DATA_URL": "s3://sagemaker-p-abcdefghijkl-artifacts/data/abalone.csv",
    "CI_COMMIT_SHA": "0123456789abcdef0123456789abcdef01234567",
    "CI_PIPELINE_URL": "https://gitlab.example.com/ml/abalone-demo-p-abcdefghijkl-model-build/-/pipelines/7",
}
# Project variables that exist in CI but that no test sets (README "Contracts between the parts").
_CI_ONLY = ("BUILD_ROLE_ARN", "AWS_ROLE_ARN", "CI_PIPELINE_ID", "CI_COMMIT_SHORT_SHA", "PIPELINE_POLL_SECONDS")
SEX_VALUES = ("M", "F", "I")


def abalone_rows(n: int, seed: int = 0) -> list[list[Any]]:
    """Plausible UCI-like rows (sex, 7 measurements, rings) with a learnable rings signal."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        length = float(rng.uniform(0.1, 0.8))
        diameter = length * 0.8
        height = length * 0.25
        whole = length**3 * 3.5
        rings = round(3 + 20 * length + rng.normal(0, 0.5))
        rows.append(
            [
                SEX_VALUES[i % 3],
                round(length, 4),
                round(diameter, 4),
                round(height, 4),
                round(whole, 4),
                round(whole * 0.45, 4),
                round(whole * 0.2, 4),
                round(whole * 0.3, 4),
                rings,
            ]
        )
    return rows


def write_abalone_csv(path: Path, rows: list[list[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(",".join(str(v) for v in row) + "\n" for row in rows))
    return path


@pytest.fixture
def make_rows() -> Any:
    """Factory: ``make_rows(n, seed=0)`` → UCI-like raw rows."""
    return abalone_rows


@pytest.fixture
def write_csv() -> Any:
    """Factory: ``write_csv(path, rows)`` writes a headerless CSV and returns its path."""
    return write_abalone_csv


@pytest.fixture
def abalone_csv(tmp_path: Path) -> Path:
    return write_abalone_csv(tmp_path / "raw" / "abalone.csv", abalone_rows(200))


@pytest.fixture
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The repo's own CI jobs carry the project's CI/CD variables (and the pipeline's CI_* ones): tests start
    # from none of them, so that "missing setting" paths are tested for real in CI too.
    for name in (*_UNSET, *PROJECT_ENV, *_CI_ONLY):
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def project_env(monkeypatch: pytest.MonkeyPatch, fake_aws_env: None) -> dict[str, str]:
    for name, value in PROJECT_ENV.items():
        monkeypatch.setenv(name, value)
    return dict(PROJECT_ENV)


@pytest.fixture
def mocked_aws(fake_aws_env: None) -> Iterator[Any]:
    """moto's in-process AWS with the project's artifacts bucket (the CI role never creates it)."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=PROJECT_ENV["ARTIFACT_BUCKET"])
        yield s3


@pytest.fixture(scope="session")
def built_pipeline() -> dict[str, Any]:
    """The pipeline definition built offline under moto, plus the uploaded code objects.

    Session-scoped because importing and compiling with the SDK takes seconds; the environment
    is patched only while building.
    """
    import boto3
    from moto import mock_aws

    from pipelines.abalone.config import config_from_env
    from pipelines.abalone.pipeline import get_pipeline

    with pytest.MonkeyPatch.context() as patch:
        for name in _UNSET:
            patch.delenv(name, raising=False)
        for name, value in {**FAKE_AWS_ENV, **PROJECT_ENV}.items():
            patch.setenv(name, value)
        with mock_aws():
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket=PROJECT_ENV["ARTIFACT_BUCKET"])
            config = config_from_env(dict(os.environ))
            definition = json.loads(get_pipeline(config).definition())
            objects = {
                obj["Key"]: s3.get_object(Bucket=PROJECT_ENV["ARTIFACT_BUCKET"], Key=obj["Key"])["Body"].read()
                for obj in s3.list_objects_v2(Bucket=PROJECT_ENV["ARTIFACT_BUCKET"]).get("Contents", [])
            }
            buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    return {"definition": definition, "objects": objects, "buckets": buckets, "config": config}
