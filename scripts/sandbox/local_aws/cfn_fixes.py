"""Extension: small corrections where moto's CloudFormation reads a resource's properties differently
from CloudFormation's documented schema. Each fix names the resource type and what moto did.

- AWS::KMS::Key `Tags` are `[{Key, Value}]` in CloudFormation; moto passed them on unchanged to KMS's
  CreateKey shape (`TagKey`/`TagValue`) and failed with KeyError 'TagKey'.
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
