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
