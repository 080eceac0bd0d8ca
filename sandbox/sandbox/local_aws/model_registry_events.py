"""Extension: the Model Registry emits "SageMaker Model Package State Change" events to EventBridge.

SageMaker sends this event (source `aws.sagemaker`, to the default bus) when a versioned model package is
created and when its approval status changes; moto emits nothing. The sandbox puts the same event on moto's
default bus after CreateModelPackage (in a group) and after an UpdateModelPackage that changes
ModelApprovalStatus. The `detail` mirrors DescribeModelPackage with timestamps as epoch milliseconds (as in the
AWS documentation's example), `resources` holds the package ARN.
Also corrected: moto's UpdateModelPackage replaced CustomerMetadataProperties and ApprovalDescription with
None when the request did not include them; SageMaker keeps them.
Not emulated: events for metadata-only updates, for unversioned packages, and for package deletion.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

DETAIL_TYPE = "SageMaker Model Package State Change"


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def event_detail(package: Any) -> dict[str, Any]:
    """The event's `detail`: the package as DescribeModelPackage shows it, JSON-ready."""
    detail: dict[str, Any] = _jsonable(package.gen_response_object())
    return detail


def emit(backend: Any, package: Any) -> None:
    from moto.events.models import events_backends

    if not package.model_package_group_name:
        return
    events_backends[backend.account_id][backend.region_name].put_events(
        [
            {
                "Source": "aws.sagemaker",
                "DetailType": DETAIL_TYPE,
                "Detail": json.dumps(event_detail(package)),
                "Resources": [package.arn],
            }
        ]
    )


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.sagemaker.models import SageMakerModelBackend

    original_create = SageMakerModelBackend.create_model_package
    original_update = SageMakerModelBackend.update_model_package

    def create_model_package(self: Any, *args: Any, **kwargs: Any) -> str:
        arn: str = original_create(self, *args, **kwargs)
        emit(self, self.model_packages[arn])
        return arn

    def update_model_package(
        self: Any,
        model_package_arn: str,
        model_approval_status: str | None,
        approval_description: str | None,
        customer_metadata_properties: dict[str, str] | None,
        customer_metadata_properties_to_remove: list[str],
        additional_inference_specifications_to_add: list[Any] | None,
    ) -> str:
        package = self.describe_model_package(model_package_arn)
        before = package.model_approval_status
        merged = dict(package.customer_metadata_properties or {})
        merged.update(customer_metadata_properties or {})
        arn: str = original_update(
            self,
            model_package_arn,
            model_approval_status or before,
            approval_description if approval_description is not None else package.approval_description,
            merged,
            customer_metadata_properties_to_remove,
            additional_inference_specifications_to_add,
        )
        if package.model_approval_status != before:
            emit(self, package)
        return arn

    patches.set(SageMakerModelBackend, "create_model_package", create_model_package)
    patches.set(SageMakerModelBackend, "update_model_package", update_model_package)
