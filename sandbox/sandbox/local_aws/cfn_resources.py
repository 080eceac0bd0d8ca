"""Extension: CloudFormation resource types the product uses that moto's CloudFormation lacks.

moto skips unsupported types with a warning (the resource silently does not exist). The sandbox adds the
ones whose absence would change the lifecycle, each backed by moto's own service backend:
- AWS::SageMaker::ModelPackageGroup (ModelPackageGroupName, ModelPackageGroupDescription, Tags; Ref = name,
  GetAtt ModelPackageGroupArn); deleted with the stack.
- AWS::Lambda::EventInvokeConfig (FunctionName, Qualifier, MaximumRetryAttempts, MaximumEventAgeInSeconds,
  DestinationConfig) → PutFunctionEventInvokeConfig, so asynchronous retries follow the template.
Types still skipped are recorded in `LocalAwsState.unsupported_resources` (and the sandbox report); among
them policies (AWS::SNS::TopicPolicy, AWS::SQS::QueuePolicy: moto enforces no resource policies anyway),
AWS::CloudWatch::Alarm and AWS::SageMaker::CodeRepository.
"""

from __future__ import annotations

import logging
from typing import Any

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState


class _Resource:
    """The part of moto's CloudFormationModel protocol that ResourceMap uses."""

    account_id = ""
    region_name = ""

    def __init__(self, name: str, attributes: dict[str, str]) -> None:
        self.name = name
        self.attributes = attributes

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.attributes[attribute_name]

    def is_created(self) -> bool:
        return True


class ModelPackageGroup(_Resource):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SageMaker::ModelPackageGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ModelPackageGroupName"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> ModelPackageGroup:
        from moto.sagemaker.models import sagemaker_backends

        properties = cloudformation_json.get("Properties", {})
        name = properties.get("ModelPackageGroupName") or resource_name
        arn = sagemaker_backends[account_id][region_name].create_model_package_group(
            model_package_group_name=name,
            model_package_group_description=properties.get("ModelPackageGroupDescription", ""),
            tags=properties.get("Tags"),
        )
        resource = cls(name, {"ModelPackageGroupArn": arn})
        resource.account_id, resource.region_name = account_id, region_name
        return resource

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sagemaker.models import sagemaker_backends

        sagemaker_backends[account_id][region_name].model_package_groups.pop(self.name, None)


class EventInvokeConfig(_Resource):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::EventInvokeConfig"

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> EventInvokeConfig:
        from moto.awslambda.utils import get_backend

        properties = dict(cloudformation_json.get("Properties", {}))
        function = properties.pop("FunctionName")
        properties.pop("Qualifier", None)
        get_backend(account_id, region_name).put_function_event_invoke_config(function, properties)
        return cls(f"{function}:event-invoke-config", {})

    def delete(self, account_id: str, region_name: str) -> None:
        return None


EXTRA = {model.cloudformation_type(): model for model in (ModelPackageGroup, EventInvokeConfig)}


class _Unsupported(logging.Handler):
    def __init__(self, state: LocalAwsState) -> None:
        super().__init__(logging.WARNING)
        self.state = state

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("No Moto CloudFormation support for "):
            self.state.unsupported_resources.add(message.rsplit(" ", 1)[-1])


def install(patches: Patches, state: LocalAwsState) -> None:
    import warnings

    from moto.cloudformation import parsing

    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type in EXTRA:
            return EXTRA[resource_type]
        return original(resource_type)

    patches.set(parsing, "resource_class_from_type", resource_class_from_type)
    logger = logging.getLogger("moto")  # the logger moto's CloudFormation parsing warns on
    handler = _Unsupported(state)
    logger.addHandler(handler)
    logger.propagate = False
    warnings.filterwarnings("ignore", message="Tried to parse .* not supported by moto")

    def cleanup() -> None:
        logger.removeHandler(handler)
        logger.propagate = True

    state.cleanups.append(cleanup)
