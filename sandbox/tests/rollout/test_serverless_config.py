"""ServerlessConfig concurrency validated as the API reference constrains it."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"MemorySizeInMB": 2048, "MaxConcurrency": 201}, "between 1 and 200"),
        ({"MemorySizeInMB": 2048, "MaxConcurrency": 5, "ProvisionedConcurrency": 6}, "must not be greater"),
        ({"MemorySizeInMB": 1500, "MaxConcurrency": 5}, "MemorySizeInMB"),
    ],
)
def test_refused(local_aws, sagemaker, make_config, config, message):
    make_config("base")
    with pytest.raises(sagemaker.exceptions.ClientError, match=message):
        sagemaker.create_endpoint_config(
            EndpointConfigName="serverless",
            ProductionVariants=[
                {"VariantName": "AllTraffic", "ModelName": "base-model", "ServerlessConfig": config}
            ],
        )


def test_accepted_and_served(local_aws, sagemaker, runtime, make_config):
    make_config("base")
    sagemaker.create_endpoint_config(
        EndpointConfigName="serverless",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "base-model",
                "ServerlessConfig": {
                    "MemorySizeInMB": 2048,
                    "MaxConcurrency": 5,
                    "ProvisionedConcurrency": 1,
                },
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName="ep", EndpointConfigName="serverless")
    assert runtime.invoke_endpoint(EndpointName="ep", ContentType="text/csv", Body="0.5")["Body"].read()
