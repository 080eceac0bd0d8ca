"""Extension: a stack with a service role (RoleARN) creates and deletes its resources with that role's rights.

CloudFormation "makes calls to create, modify, and delete the resources in the stack using the role's
credentials" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html);
which calls a resource type makes is its registry schema's `handlers.<create|delete>.permissions`
(https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html), as cfn-lint
ships them (cfnlint/data/schemas). moto creates resources in-process, so no HTTP call reaches
iam_enforcement: this module authorises each resource of a stack that has a RoleARN before moto creates or
deletes it, with the same evaluator, and logs the calls under the role.

Checked per resource: the handler's permissions of the resource's own service (AddTags/TagResource only
when the resource has Tags) on the resource's ARN, and iam:PassRole on each role the resource is given
(ExecutionRoleArn, RoleArn, Role) with iam:PassedToService. The resource ARN is known for the SageMaker
types (`arn:aws:sagemaker:<region>:<account>:<type>/<lowercased name>`) and CloudWatch alarms
(`arn:aws:cloudwatch:<region>:<account>:alarm:<name>`); other types are checked against
`*` (only a `Resource: "*"` statement allows). Handler permissions on other services (kms:DescribeKey
when no key is set, ...) and read/list handlers are not checked. A denial under enforce fails the
operation with CloudFormation's "... is not authorized to perform ..." reason.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from sandbox.local_aws import iam_enforcement, iam_resources
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

SAGEMAKER_ARN_TYPES = {
    "AWS::SageMaker::Model": "model",
    "AWS::SageMaker::EndpointConfig": "endpoint-config",
    "AWS::SageMaker::Endpoint": "endpoint",
    "AWS::SageMaker::ModelPackageGroup": "model-package-group",
    "AWS::SageMaker::MonitoringSchedule": "monitoring-schedule",
    "AWS::SageMaker::DataQualityJobDefinition": "data-quality-job-definition",
    "AWS::SageMaker::Pipeline": "pipeline",
}
ROLE_PROPERTIES = ("ExecutionRoleArn", "RoleArn", "Role")
# Types whose template name property moto's name generation does not know (the sandbox creates them).
NAME_PROPERTIES = {"AWS::CloudWatch::Alarm": "AlarmName"}


class StackRoleDenied(Exception):  # noqa: N818 - CloudFormation's reason text is the message
    """A stack operation its service role may not perform."""


@functools.cache
def handler_permissions(resource_type: str) -> dict[str, list[str]]:
    """`handlers` of the resource type's registry schema (cfn-lint's copy), {operation: permissions}."""
    import cfnlint  # type: ignore[import-untyped]

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text(encoding="utf-8"))
    digest = index.get(resource_type)
    if not isinstance(digest, str):
        return {}
    schema = json.loads((schemas / "resources" / f"{digest}.json").read_text(encoding="utf-8"))
    return {op: list(h.get("permissions", [])) for op, h in schema.get("handlers", {}).items()}


def resource_arn(resource_type: str, name: str, region: str, account: str) -> str:
    if resource_type == "AWS::CloudWatch::Alarm" and name:
        # CloudWatch's alarm ARN keeps the name's case (Service Authorization Reference, CloudWatch resources).
        return f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
    kind = SAGEMAKER_ARN_TYPES.get(resource_type)
    return f"arn:aws:sagemaker:{region}:{account}:{kind}/{name.lower()}" if kind and name else "*"


def checks(
    resource_type: str, operation: str, properties: dict[str, Any], arn: str
) -> list[tuple[str, str, dict[str, list[str]]]]:
    """(action, resource, extra context) the resource's handler needs for the operation."""
    service = resource_type.split("::")[1].lower()
    found: list[tuple[str, str, dict[str, list[str]]]] = []
    for permission in handler_permissions(resource_type).get(operation, []):
        prefix, _, verb = permission.partition(":")
        if prefix != service or (verb in ("AddTags", "TagResource") and not properties.get("Tags")):
            continue
        found.append((permission, arn, {}))
    principal = iam_resources.SERVICE_PRINCIPALS.get(service, f"{service}.amazonaws.com")
    if operation == "create":
        for key in ROLE_PROPERTIES:
            role = properties.get(key)
            if isinstance(role, str) and role.startswith("arn:"):
                found.append(("iam:PassRole", role, {"iam:PassedToService": [principal]}))
    return found


def _before_creation(action: str) -> bool:
    """The handler's calls that create the resource; the others (Describe*, ...) run once it exists, with
    its tags (a condition on aws:ResourceTag sees them then)."""
    verb = action.partition(":")[2]
    return verb.startswith("Create") or verb == "AddTags" or action == "iam:PassRole"


def authorise(
    log: iam_enforcement.CallLog,
    role_arn: str,
    resource_type: str,
    operation: str,
    properties: dict[str, Any],
    name: str,
    account: str,
    region: str,
    phase: str = "all",
) -> None:
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    role_name = role_arn.rsplit("/", 1)[-1]
    session = type("Session", (), {"role_arn": role_arn, "session_name": "AWSCloudFormation"})()
    caller = iam_enforcement._role_caller(backend, account, session)
    arn = resource_arn(resource_type, name, region, account)
    for action, resource, extra in checks(resource_type, operation, properties, arn):
        if phase != "all" and (phase == "before") != _before_creation(action):
            continue
        service = action.split(":")[0]
        context = {
            **iam_resources.context_of(service, lambda _: None, resource, role_arn, account, region),
            **extra,
        }
        decision = iam_enforcement.decide(caller, service, action, resource, context, account, region)
        denial = None
        if not decision.allowed:
            denial = iam_enforcement.Denial(caller.arn, action, resource, decision.reason)
        log.record(role_arn, action, denial)
        if denial is not None and log.mode == "enforce":
            raise StackRoleDenied(
                f"Role {role_name} is not authorized to perform {action} on {resource} ({decision.reason})"
            )


def _stack_role(account: str, region: str, stack_id: str) -> str | None:
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[account][region]
    stack = backend.stacks.get(stack_id) or backend.deleted_stacks.get(stack_id)
    role = getattr(stack, "role_arn", None) if stack is not None else None
    return str(role) if role else None


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.cloudformation import parsing

    log: iam_enforcement.CallLog = state.iam
    original_create = parsing.parse_and_create_resource
    original_delete_resource = parsing.ResourceMap._delete_resource
    # moto pops a stack from its backend before deleting its resources: remember each stack's role.
    roles: dict[str, str] = {}

    def parse_and_create_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
    ) -> Any:
        role = _stack_role(account_id, region_name, resources_map.stack_id)
        if role:
            roles[resources_map.stack_id] = role
        condition = resource_json.get("Condition")
        applies = not condition or resources_map.lazy_condition_map[condition]
        generated = None
        if role and applies:
            generated = parsing.parse_resource_and_generate_name(logical_id, resource_json, resources_map)
        if not generated or not role:
            return original_create(logical_id, resource_json, resources_map, account_id, region_name)
        _, properties_json, physical_name = generated
        named = NAME_PROPERTIES.get(resource_json["Type"])
        if named and (properties_json.get("Properties") or {}).get(named):
            physical_name = properties_json["Properties"][named]
        args = (
            log,
            role,
            resource_json["Type"],
            "create",
            properties_json.get("Properties", {}) or {},
            str(physical_name or ""),
            account_id,
            region_name,
        )
        authorise(*args, phase="before")
        created = original_create(logical_id, resource_json, resources_map, account_id, region_name)
        authorise(*args, phase="after")
        return created

    def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> Any:
        role = _stack_role(self._account_id, self._region_name, self.stack_id) or roles.get(self.stack_id)
        if role:
            name = str(getattr(parsed_resource, "physical_resource_id", "") or "")
            if name.startswith("arn:"):
                name = name.rsplit("/", 1)[-1]
            authorise(
                log,
                role,
                resource_json["Type"],
                "delete",
                resource_json.get("Properties", {}) or {},
                name,
                self._account_id,
                self._region_name,
            )
        return original_delete_resource(self, parsed_resource, resource_json)

    from moto.cloudformation.models import Stack

    original_create_resources = Stack.create_resources

    def create_resources(self: Any) -> None:
        """A denied resource fails the stack as CloudFormation does (CreateStack itself has answered): the
        stack's CREATE_FAILED reason names the call, then it rolls back to ROLLBACK_COMPLETE."""
        try:
            original_create_resources(self)
        except StackRoleDenied as denied:
            from sandbox.local_aws.cfn_custom_resources import _NoOutputs

            self.status = "ROLLBACK_IN_PROGRESS"
            # A stack that never completed has no Outputs (resolving them would create the refused resource).
            self.output_map = _NoOutputs()
            self._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=str(denied))
            try:
                self.resource_map.delete()
            except Exception as exc:  # a rollback that fails is reported, as CloudFormation does
                self.status = "ROLLBACK_FAILED"
                self._add_stack_event("ROLLBACK_FAILED", resource_status_reason=str(exc))
                return
            self.status = "ROLLBACK_COMPLETE"
            self._add_stack_event("ROLLBACK_COMPLETE", resource_status_reason=str(denied))

    patches.set(Stack, "create_resources", create_resources)
    patches.set(parsing, "parse_and_create_resource", parse_and_create_resource)
    patches.set(parsing.ResourceMap, "_delete_resource", _delete_resource)
