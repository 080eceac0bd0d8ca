"""Extension: CloudFormation validates parameter values before it creates or changes anything.

moto resolves parameters without checking their constraints, so a stack with a bad project name was created
and failed later (or not at all). CloudFormation refuses CreateStack / UpdateStack / CreateChangeSet with a
400 ValidationError before any resource exists. Constraints, as the user guide defines them
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html):
AllowedPattern (the whole value must match), AllowedValues, MinLength/MaxLength (String), MinValue/MaxValue
and the value itself (Number), ConstraintDescription replacing the message. Defaults are checked too.

Message texts, as the CloudFormation API returns them (observed; quoted in public issue threads):
- "Parameters: [A, B] do not exist in the template" (aws-samples/amazon-ec2-image-builder-samples#18)
- "Parameters: [A] must have values" (boto/botocore#2598)
- "Parameter 'A' must match pattern <pattern>" (aws/aws-connected-device-framework#183)
- "Parameter 'A' must be one of AllowedValues" (aws-amplify/amplify-cli#6224)
- "Parameter 'A' must be a number not less than 1" (openshift/rosa, CreateStack ValidationError)
- "Parameter A failed to satisfy constraint: <ConstraintDescription>" (aws-ia/taskcat#627)
- "must contain at least / at most N characters", "must be a number", "must be a number not greater than N":
  the same sentence form (as also written by Eucalyptus's CloudFormation-compatible service,
  cloud-formation/.../TemplateParser.java).
Not validated: AWS-specific types (AWS::EC2::KeyPair::KeyName ... existence), SSM parameter types'
values, list element constraints.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState


class ParameterError(Exception):
    """A parameter value CloudFormation refuses; the text is CloudFormation's message."""


def _text(value: Any) -> str:
    # YAML reads `true`/`1` unquoted as bool/int; CloudFormation sees the template's text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def check_value(name: str, slot: dict[str, Any], value: str) -> None:
    """Raise ParameterError with CloudFormation's message when `value` breaks a constraint of `slot`."""
    description = slot.get("ConstraintDescription")

    def refuse(message: str) -> ParameterError:
        if description:
            return ParameterError(f"Parameter {name} failed to satisfy constraint: {description}")
        return ParameterError(f"Parameter '{name}' {message}")

    kind = str(slot.get("Type", "String"))
    if kind == "Number":
        number = _number(value)
        if number is None:
            raise refuse("must be a number")
        if "MinValue" in slot and number < float(slot["MinValue"]):
            raise refuse(f"must be a number not less than {_text(slot['MinValue'])}")
        if "MaxValue" in slot and number > float(slot["MaxValue"]):
            raise refuse(f"must be a number not greater than {_text(slot['MaxValue'])}")
    elif kind == "String" or kind.startswith("AWS::"):
        if "MinLength" in slot and len(value) < int(slot["MinLength"]):
            raise refuse(f"must contain at least {_text(slot['MinLength'])} characters")
        if "MaxLength" in slot and len(value) > int(slot["MaxLength"]):
            raise refuse(f"must contain at most {_text(slot['MaxLength'])} characters")
        pattern = slot.get("AllowedPattern")
        # Java's String.matches semantics: the pattern must match the whole value.
        if pattern is not None and re.fullmatch(str(pattern), value) is None:
            raise refuse(f"must match pattern {pattern}")
    allowed = slot.get("AllowedValues")
    if allowed is not None and value not in [_text(v) for v in allowed]:
        raise refuse("must be one of AllowedValues")


def check(template: dict[str, Any], given: dict[str, Any]) -> None:
    """Validate the values given for a stack against its template's Parameters, as CloudFormation does."""
    slots: dict[str, Any] = template.get("Parameters") or {}
    unknown = [key for key in given if key not in slots]
    if unknown:
        raise ParameterError(f"Parameters: [{', '.join(unknown)}] do not exist in the template")
    missing = [key for key, slot in slots.items() if key not in given and "Default" not in (slot or {})]
    if missing:
        raise ParameterError(f"Parameters: [{', '.join(missing)}] must have values")
    for key, slot in slots.items():
        value = given[key] if key in given else slot["Default"]
        if str(slot.get("Type", "String")).startswith(("List<", "CommaDelimitedList", "AWS::SSM::")):
            continue
        check_value(key, slot, _text(value))


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend, Stack

    def validate(template: str, parameters: dict[str, Any]) -> None:
        try:
            check(Stack.parse_template(template) or {}, parameters)
        except ParameterError as exc:
            raise ValidationError(message=str(exc)) from None

    original_create = CloudFormationBackend.create_stack
    original_update = CloudFormationBackend.update_stack
    original_change_set = CloudFormationBackend.create_change_set

    def create_stack(self: Any, name: str, template: str, parameters: dict[str, Any], **kwargs: Any) -> Any:
        validate(template, parameters)
        return original_create(self, name, template, parameters, **kwargs)

    def update_stack(self: Any, name: str, template: str, role_arn: Any, parameters: Any, tags: Any) -> Any:
        resolved = self._resolve_update_parameters(instance=self.get_stack(name), incoming_params=parameters)
        validate(template, resolved)
        return original_update(self, name, template, role_arn, parameters, tags)

    def create_change_set(
        self: Any,
        stack_name: str,
        change_set_name: str,
        template: str,
        parameters: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        validate(template, parameters)
        return original_change_set(self, stack_name, change_set_name, template, parameters, *args, **kwargs)

    patches.set(CloudFormationBackend, "create_stack", create_stack)
    patches.set(CloudFormationBackend, "update_stack", update_stack)
    patches.set(CloudFormationBackend, "create_change_set", create_change_set)
