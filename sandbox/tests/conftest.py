"""Fixtures for the sandbox's local AWS tests: one moto server + extensions per test (cheap, ~0.1 s)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.local_aws.server import LocalAws


@pytest.fixture
def local_aws() -> Iterator[LocalAws]:
    with LocalAws() as aws:
        yield aws


def lambda_zip(source: str, module: str = "app") -> bytes:
    """A deployment package holding one module."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def create_function(aws: LocalAws, name: str, source: str, **extra: Any) -> str:
    iam = aws.client("iam")
    try:
        role = iam.get_role(RoleName="lambda-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    response = aws.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": lambda_zip(source)},
        **extra,
    )
    return str(response["FunctionArn"])


@pytest.fixture
def make_function(local_aws: LocalAws) -> Any:
    def make(name: str, source: str, **extra: Any) -> str:
        return create_function(local_aws, name, source, **extra)

    return make


@pytest.fixture
def pipeline_helpers() -> tuple[Any, Any]:
    """(create_pipeline, finished_execution) for tests that run pipeline definitions."""
    return create_pipeline, finished_execution


def finished_execution(sm: Any, arn: str) -> dict[str, Any]:
    """The pipeline execution once it stopped Executing (polled as a client does; it runs in a thread)."""
    import time

    for _ in range(600):
        execution: dict[str, Any] = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        if execution["PipelineExecutionStatus"] != "Executing":
            return execution
        time.sleep(0.1)
    raise AssertionError(f"pipeline execution {arn} still Executing after 60 s")


def create_pipeline(aws: LocalAws, definition: dict[str, Any], bucket: str, objects: dict[str, str]) -> Any:
    """Pipeline p-1 with ``definition``, model package group p-1 and ``objects`` in ``bucket``; its client."""
    import json

    s3 = aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    sm = aws.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="p-1")
    sm.create_pipeline(
        PipelineName="p-1",
        PipelineDefinition=json.dumps(definition),
        RoleArn="arn:aws:iam::123456789012:role/r",
    )
    return sm
