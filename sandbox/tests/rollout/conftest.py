"""Fixtures for the endpoint rollout tests: a trained model in the local S3 and endpoints serving it."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from sandbox.local_aws.server import LocalAws

ROLE = "arn:aws:iam::123456789012:role/sagemaker"


def model_tar(slope: float) -> bytes:
    """model.tar.gz of a one-feature booster predicting about `slope * x` (x in [0, 1])."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(200, 1))
    booster = xgb.train({"verbosity": 0, "nthread": 1}, xgb.DMatrix(x, label=slope * x[:, 0]), 20)
    raw = booster.save_raw(raw_format="json")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        archive.addfile(info, io.BytesIO(bytes(raw)))
    return buffer.getvalue()


@pytest.fixture
def sagemaker(local_aws: LocalAws) -> Any:
    return local_aws.client("sagemaker")


@pytest.fixture
def runtime(local_aws: LocalAws) -> Any:
    return local_aws.client("sagemaker-runtime")


@pytest.fixture
def make_config(local_aws: LocalAws, sagemaker: Any) -> Callable[..., str]:
    """make_config(name, slope=..., data=bytes) -> config name, its model serving that model.tar.gz."""
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="models")

    def make(name: str, slope: float = 1.0, data: bytes | None = None, **variant: Any) -> str:
        s3.put_object(Bucket="models", Key=f"{name}/model.tar.gz", Body=data or model_tar(slope))
        sagemaker.create_model(
            ModelName=f"{name}-model",
            ExecutionRoleArn=ROLE,
            PrimaryContainer={"Image": "xgboost", "ModelDataUrl": f"s3://models/{name}/model.tar.gz"},
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": f"{name}-model",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                    **variant,
                }
            ],
        )
        return name

    return make
