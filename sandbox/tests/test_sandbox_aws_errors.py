"""Operations the local AWS lacks answer in AWS's error shape (400), not with a 500 and a traceback."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def _client(aws, service: str):
    import boto3

    return boto3.client(
        service,
        endpoint_url=aws.endpoint_url,
        region_name=aws.region,
        aws_access_key_id="sandbox",
        aws_secret_access_key="sandbox",
        config=NO_RETRIES,
    )


def test_json_protocol_operation_without_handler_is_unknown_operation(local_aws) -> None:
    with pytest.raises(ClientError) as refused:
        _client(local_aws, "sagemaker").batch_describe_model_package(ModelPackageArnList=["arn:x"])
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "UnknownOperationException"
    assert "does not implement SageMaker BatchDescribeModelPackage" in error["Error"]["Message"]
    assert "Traceback" not in error["Error"]["Message"]


def test_query_protocol_operation_without_handler_is_invalid_action(local_aws) -> None:
    with pytest.raises(ClientError) as refused:
        _client(local_aws, "cloudformation").cancel_update_stack(StackName="s")
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidAction"
    assert "does not implement CloudFormation CancelUpdateStack" in error["Error"]["Message"]
