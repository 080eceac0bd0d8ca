"""Extension: CloudFormation resource types the product uses that moto's CloudFormation lacks.

moto skips unsupported types with a warning (the resource silently does not exist). The sandbox adds the
ones whose absence would change the lifecycle, each backed by moto's own service backend:
- AWS::SageMaker::ModelPackageGroup (ModelPackageGroupName, ModelPackageGroupDescription, Tags; Ref = name,
  GetAtt ModelPackageGroupArn); deleted with the stack.
- AWS::Lambda::EventInvokeConfig (FunctionName, Qualifier, MaximumRetryAttempts, MaximumEventAgeInSeconds,
  DestinationConfig) → PutFunctionEventInvokeConfig, so asynchronous retries follow the template.
- AWS::IAM::OIDCProvider (Url, ClientIdList, ThumbprintList, Tags; Ref = provider ARN) → moto's IAM
  CreateOpenIDConnectProvider. https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-oidcprovider.html
- the policies, subscription, alarm and code repository types of cfn_service_resources.
Every other type moto cannot create makes CreateStack / UpdateStack / CreateChangeSet fail with a
ValidationError naming it (moto itself skipped them with a warning, leaving blank physical ids), except the
types in NOT_EMULATED, each skipped for the reason given there and recorded in
`LocalAwsState.unsupported_resources` (shown in the sandbox report).
"""

from __future__ import annotations

from typing import Any

from sandbox.local_aws import cfn_monitoring_resources, cfn_service_resources
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

_Resource = cfn_service_resources.Resource


class ModelPackageGroup(_Resource):
    TYPE = "AWS::SageMaker::ModelPackageGroup"
    NAME_PROPERTY = "ModelPackageGroupName"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> _Resource:
        from moto.sagemaker.models import sagemaker_backends

        arn = sagemaker_backends[account_id][region_name].create_model_package_group(
            model_package_group_name=name,
            model_package_group_description=properties.get("ModelPackageGroupDescription", ""),
            tags=properties.get("Tags"),
        )
        return cls(name, {"ModelPackageGroupArn": arn})

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.sagemaker.models import sagemaker_backends

        sagemaker_backends[account_id][region_name].model_package_groups.pop(self.name, None)


class EventInvokeConfig(_Resource):
    TYPE = "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> _Resource:
        from moto.awslambda.utils import get_backend

        config = dict(properties)
        function = config.pop("FunctionName")
        config.pop("Qualifier", None)
        get_backend(account_id, region_name).put_function_event_invoke_config(function, config)
        return cls(f"{function}:event-invoke-config", {})

    def delete(self, account_id: str, region_name: str) -> None:
        return None


class OidcProvider(_Resource):
    TYPE = "AWS::IAM::OIDCProvider"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> _Resource:
        from moto.iam.models import iam_backends

        provider = iam_backends[account_id]["aws"].create_open_id_connect_provider(
            str(properties["Url"]),
            [str(t) for t in properties.get("ThumbprintList", [])],
            [str(c) for c in properties.get("ClientIdList", [])],
            list(properties.get("Tags", [])),
        )
        return cls(provider.arn, {"Arn": provider.arn})

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.iam.models import iam_backends

        iam_backends[account_id]["aws"].delete_open_id_connect_provider(self.name)


_MODELS: tuple[Any, ...] = (
    ModelPackageGroup,
    EventInvokeConfig,
    OidcProvider,
    *cfn_service_resources.TYPES,
    *cfn_monitoring_resources.TYPES,
)
EXTRA: dict[str, Any] = {model.cloudformation_type(): model for model in _MODELS}

# Types of product/platform.yaml that the sandbox deliberately does not create, and why.
NOT_EMULATED = {
    t: "the sandbox creates project stacks directly (CreateStack), not through a Service Catalog launch"
    for t in (
        "AWS::ServiceCatalog::Portfolio",
        "AWS::ServiceCatalog::CloudFormationProduct",
        "AWS::ServiceCatalog::PortfolioProductAssociation",
        "AWS::ServiceCatalog::LaunchRoleConstraint",
        "AWS::ServiceCatalog::PortfolioPrincipalAssociation",
    )
}


def uncreatable_types(template: dict[str, Any], known: Any) -> list[str]:
    """Resource types of `template` that neither moto nor the sandbox can create (NOT_EMULATED excepted)."""
    types = {str((r or {}).get("Type", "")) for r in (template.get("Resources") or {}).values()}
    custom = ("Custom::", "AWS::CloudFormation::CustomResource")
    return sorted(t for t in types if not t.startswith(custom) and t not in NOT_EMULATED and not known(t))


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend, Stack

    original = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type in EXTRA:
            return EXTRA[resource_type]
        if resource_type in NOT_EMULATED:
            state.unsupported_resources.add(resource_type)
            return None
        return original(resource_type)

    def known(resource_type: str) -> bool:
        return resource_type in EXTRA or resource_type in parsing.get_model_map()

    def refuse_uncreatable(template: str) -> None:
        missing = uncreatable_types(Stack.parse_template(template) or {}, known)
        if missing:
            raise ValidationError(
                message=f"The sandbox's local AWS cannot create resource types [{', '.join(missing)}]: "
                "neither moto nor the sandbox emulates them, and a stack without them would not be the stack "
                "CloudFormation creates (add them to sandbox/sandbox/local_aws)"
            )

    original_create = CloudFormationBackend.create_stack
    original_update = CloudFormationBackend.update_stack
    original_change_set = CloudFormationBackend.create_change_set

    def create_stack(self: Any, name: str, template: str, *args: Any, **kwargs: Any) -> Any:
        refuse_uncreatable(template)
        return original_create(self, name, template, *args, **kwargs)

    def update_stack(self: Any, name: str, template: str, *args: Any, **kwargs: Any) -> Any:
        refuse_uncreatable(template)
        return original_update(self, name, template, *args, **kwargs)

    def create_change_set(
        self: Any, stack_name: str, change_set_name: str, template: str, *args: Any, **kwargs: Any
    ) -> Any:
        refuse_uncreatable(template)
        return original_change_set(self, stack_name, change_set_name, template, *args, **kwargs)

    import warnings

    # moto warns for each NOT_EMULATED resource it skips; the sandbox records them instead.
    warnings.filterwarnings("ignore", message="Tried to parse .* not supported by moto")
    patches.set(parsing, "resource_class_from_type", resource_class_from_type)
    patches.set(CloudFormationBackend, "create_stack", create_stack)
    patches.set(CloudFormationBackend, "update_stack", update_stack)
    patches.set(CloudFormationBackend, "create_change_set", create_change_set)
