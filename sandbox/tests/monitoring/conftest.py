"""Fixtures for the monitoring tests: an endpoint with data capture serving a two-feature model."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from sandbox.local_aws.server import LocalAws

ROLE = "arn:aws:iam::123456789012:role/model"
CAPTURE_PREFIX = "s3://art/data-capture/prod"


def _model() -> bytes:
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, size=(100, 2))
    booster = xgb.train({"verbosity": 0, "nthread": 1}, xgb.DMatrix(x, label=x.sum(axis=1)), 5)
    raw = bytes(booster.save_raw(raw_format="json"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        archive.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


@pytest.fixture
def capturing_endpoint(local_aws: LocalAws) -> Callable[..., str]:
    """capturing_endpoint(name, percentage=100, modes=("Input", "Output")) -> endpoint name."""
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="art")
    s3.put_object(Bucket="art", Key="model/model.tar.gz", Body=_model())
    sagemaker = local_aws.client("sagemaker")
    sagemaker.create_model(
        ModelName="m",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "xgboost", "ModelDataUrl": "s3://art/model/model.tar.gz"},
    )

    def make(name: str, percentage: int = 100, modes: tuple[str, ...] = ("Input", "Output")) -> str:
        capture: dict[str, Any] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": percentage,
            "DestinationS3Uri": CAPTURE_PREFIX,
            "CaptureOptions": [{"CaptureMode": mode} for mode in modes],
            "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"]},
        }
        sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": "m",
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
            DataCaptureConfig=capture,
        )
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
        return name

    return make


@pytest.fixture
def captured(local_aws: LocalAws) -> Callable[[str], list[tuple[str, dict[str, Any]]]]:
    """captured(endpoint) -> (key, record) of every captured line of `endpoint`, in key order."""
    return lambda endpoint: _captured(local_aws, endpoint)


def _captured(local_aws: LocalAws, endpoint: str) -> list[tuple[str, dict[str, Any]]]:
    import json

    s3 = local_aws.client("s3")
    keys = sorted(
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket="art", Prefix=f"data-capture/prod/{endpoint}/"
        )
        for item in page.get("Contents", [])
    )
    lines = []
    for key in keys:
        for line in s3.get_object(Bucket="art", Key=key)["Body"].read().decode().splitlines():
            lines.append((key, json.loads(line)))
    return lines
