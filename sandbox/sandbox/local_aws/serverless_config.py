"""Extension: a production variant's ServerlessConfig validated as the SageMaker API reference constrains it.

ProductionVariantServerlessConfig
(https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantServerlessConfig.html):
MemorySizeInMB 1024..6144 in 1 GB steps (moto checks this one), MaxConcurrency required, 1..200,
ProvisionedConcurrency 1..200 and not above MaxConcurrency. moto accepted any concurrency; a config AWS
refuses was created here. Errors are the API's ValidationException with the constraint named.
"""

from __future__ import annotations

from typing import Any

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState


def problems(config: dict[str, Any]) -> list[str]:
    """What AWS refuses in one ServerlessConfig (empty: valid as far as concurrency goes)."""
    found = []
    maximum = config.get("MaxConcurrency")
    if maximum is None:
        found.append("ServerlessConfig.MaxConcurrency is required.")
    elif not 1 <= int(maximum) <= 200:
        found.append(
            f"Value '{maximum}' at 'MaxConcurrency' failed to satisfy constraint: between 1 and 200."
        )
    provisioned = config.get("ProvisionedConcurrency")
    if provisioned is not None:
        if not 1 <= int(provisioned) <= 200:
            found.append(
                f"Value '{provisioned}' at 'ProvisionedConcurrency' failed to satisfy constraint: between 1 and 200."
            )
        elif maximum is not None and int(provisioned) > int(maximum):
            found.append(
                f"ProvisionedConcurrency ({provisioned}) must not be greater than MaxConcurrency ({maximum})."
            )
    return found


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.sagemaker.exceptions import ValidationError
    from moto.sagemaker.models import FakeEndpointConfig

    original = FakeEndpointConfig.validate_serverless_config

    def validate_serverless_config(self: Any, serverless_config: dict[str, Any]) -> None:
        original(self, serverless_config)
        found = problems(serverless_config)
        if found:
            raise ValidationError(message=" ".join(found))

    patches.set(FakeEndpointConfig, "validate_serverless_config", validate_serverless_config)
