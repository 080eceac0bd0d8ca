"""Extension: small corrections where moto's CloudFormation reads a resource's properties differently
from CloudFormation's documented schema. Each fix names the resource type and what moto did.

- AWS::KMS::Key `Tags` are `[{Key, Value}]` in CloudFormation; moto passed them on unchanged to KMS's
  CreateKey shape (`TagKey`/`TagValue`) and failed with KeyError 'TagKey'.
- AWS::SageMaker::Model updates: moto replaces the model under a new name but does not update the
  resources that reference it (the EndpointConfig keeps the old, deleted name; CloudFormation would replace
  the config and update the endpoint). The sandbox replaces the model under its *existing* name, so the
  endpoint serves the new model. Visible difference: a model without an explicit ModelName keeps its name on
  replacement; one with ModelName gets the template's new name, as in CloudFormation.
- Explicit names (AWS::SageMaker::Endpoint EndpointName, ::EndpointConfig EndpointConfigName, ::Model
  ModelName; https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sagemaker-endpoint.html
  and the -endpointconfig / -model pages): moto ignored them and generated `<stack>-<logical id>-<random>`
  names; the sandbox creates the resources under the template's names (generated ones only when absent).
"""

from __future__ import annotations

from typing import Any

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState


def kms_tags(tags: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t for t in tags]


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.kms.models import Key

    original = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_key(cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kwargs: Any) -> Any:
        properties = dict(cloudformation_json.get("Properties", {}))
        properties["Tags"] = kms_tags(properties.get("Tags", []))
        return original(
            cls, resource_name, {**cloudformation_json, "Properties": properties}, *args, **kwargs
        )

    patches.set(Key, "create_from_cloudformation_json", classmethod(create_key))

    from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, Model, sagemaker_backends

    for model_class, name_property in (
        (FakeEndpoint, "EndpointName"),
        (FakeEndpointConfig, "EndpointConfigName"),
        (Model, "ModelName"),
    ):
        # moto's ResourceMap takes a resource's name from the property its class names here.
        patches.set(model_class, "cloudformation_name_type", staticmethod(_constant(name_property)))

    def update_model(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        sagemaker_backends[account_id][region_name].delete_model(original_resource.model_name)
        explicit = "ModelName" in cloudformation_json.get("Properties", {})
        name = new_resource_name if explicit else original_resource.model_name
        return cls.create_from_cloudformation_json(name, cloudformation_json, account_id, region_name)

    patches.set(Model, "update_from_cloudformation_json", classmethod(update_model))


def _constant(value: str) -> Any:
    def name_type() -> str:
        return value

    return name_type
