"""Extension: UpdateStack updates every resource whose resolved properties change, dependencies first.

CloudFormation compares a resource's properties after resolving Ref, Fn::GetAtt and Fn::Sub; a resource
that refers to a replaced resource (e.g. an Endpoint whose EndpointConfigName is `!GetAtt Config.
EndpointConfigName`, after the config was replaced under a new name) is updated too, after it
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html).
moto compares the unresolved template text and follows only `Ref` to changed parameters, so an update that
changed a name through `!Sub "${Suffix}"` or replaced a referenced resource left its dependents pointing
at deleted resources.
The sandbox's rule: a resource is modified when its template text changed, when it refers (Ref, GetAtt,
Sub) to a changed parameter, or when it refers to a modified or added resource — applied transitively, and
the modified resources are updated in dependency order.
Over-approximation (visible difference): a dependent is updated even when the referenced attribute kept its
value; CloudFormation would leave it alone.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def references(node: Any) -> set[str]:
    """Logical ids and parameter names that a template fragment refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".", 1)[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
                local = set(variables) if isinstance(variables, dict) else set()
                found |= {m.split(".", 1)[0] for m in _SUB_VARIABLE.findall(str(text))} - local
                found |= references(variables)
            else:
                found |= references(value)
    return found


def resource_diff(
    old: dict[str, Any],
    new: dict[str, Any],
    changed_parameters: set[str],
) -> dict[str, list[str]]:
    """Add / Modify / Remove logical ids, Modify in dependency order (see the module docstring)."""
    added = [name for name in new if name not in old]
    removed = [name for name in old if name not in new]
    uses = {name: references(resource) & (set(new) | changed_parameters) for name, resource in new.items()}
    modified = {name for name in new if name in old and new[name] != old[name]}
    modified |= {name for name in new if name in old and uses[name] & changed_parameters}
    while True:
        grown = {name for name in new if name in old and uses[name] & (modified | set(added))}
        if grown <= modified:
            break
        modified |= grown
    return {"Add": added, "Modify": _dependency_order(modified, uses), "Remove": removed}


def _dependency_order(names: set[str], uses: dict[str, set[str]]) -> list[str]:
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return  # a cycle is CloudFormation's template error; moto's retry loop copes with the order
        visiting.add(name)
        for dependency in sorted(uses.get(name, set()) & names):
            visit(dependency)
        visiting.discard(name)
        ordered.append(name)

    for name in sorted(names):
        visit(name)
    return ordered


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.cloudformation.parsing import ResourceMap

    def build_resource_diff(
        self: Any, other_template: dict[str, Any], parameters: dict[str, Any] | None = None
    ) -> dict[str, list[str]]:
        changed = {
            key for key, value in (parameters or {}).items() if self.input_parameters.get(key) != value
        }
        return resource_diff(self._resource_json_map, other_template["Resources"], changed)

    patches.set(ResourceMap, "build_resource_diff", build_resource_diff)

    from moto.cloudformation import parsing

    original_update_resource = parsing.parse_and_update_resource

    def parse_and_update_resource(
        logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
    ) -> Any:
        # A resource whose Condition is false does not exist (CloudFormation, Conditions): moto's update
        # loop would "modify" it anyway when a parameter it references changes.
        condition = resource_json.get("Condition")
        if condition and not resources_map.lazy_condition_map[condition]:
            return resources_map[logical_id]
        return original_update_resource(logical_id, resource_json, resources_map, account_id, region_name)

    patches.set(parsing, "parse_and_update_resource", parse_and_update_resource)
