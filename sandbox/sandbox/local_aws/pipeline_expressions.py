"""The expression language of SageMaker pipeline definitions: Get, Std:Join, Std:JsonGet, conditions.

Pure functions over a `Scope` (parameters, execution variables, properties of finished steps, property files).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ExpressionError(Exception):
    """A reference that cannot be resolved; becomes the step's FailureReason."""


@dataclass
class Scope:
    parameters: dict[str, Any]
    execution: dict[str, Any]
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    property_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    json_reader: Any = None  # callable(s3_uri) -> parsed JSON, for Std:JsonGet with S3Uri


_TOKEN = re.compile(r"([^.\[\]]+)|\[(?:'([^']*)'|\"([^\"]*)\"|(\d+))\]")


def path_tokens(path: str) -> list[str | int]:
    """`Steps.A.Outputs['train'].S3Uri` → ['Steps', 'A', 'Outputs', 'train', 'S3Uri']."""
    tokens: list[str | int] = []
    for match in _TOKEN.finditer(path):
        name, single, double, index = match.groups()
        if name is not None:
            tokens.append(name)
        elif index is not None:
            tokens.append(int(index))
        else:
            tokens.append(single if single is not None else double)
    return tokens


def _walk(node: Any, tokens: list[str | int], path: str) -> Any:
    for token in tokens:
        if isinstance(node, list):
            if isinstance(token, int):
                node = node[token]
                continue
            named = [
                item
                for item in node
                if isinstance(item, dict)
                and token in (item.get("OutputName"), item.get("ChannelName"), item.get("MetricName"))
            ]
            if not named:
                raise ExpressionError(f"{path}: no element named {token!r}")
            node = named[0]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise ExpressionError(f"{path}: {token!r} not found")
    return node


def get(scope: Scope, path: str) -> Any:
    tokens = path_tokens(path)
    if not tokens:
        raise ExpressionError(f"empty reference {path!r}")
    root = tokens[0]
    if root == "Parameters" and len(tokens) == 2:
        if tokens[1] not in scope.parameters:
            raise ExpressionError(f"{path}: unknown parameter")
        return scope.parameters[str(tokens[1])]
    if root == "Execution" and len(tokens) == 2:
        return scope.execution[str(tokens[1])]
    if root == "Steps" and len(tokens) >= 3 and tokens[2] == "PropertyFiles":
        key = f"{tokens[1]}.{tokens[3]}"
        if key not in scope.property_files:
            raise ExpressionError(f"{path}: property file not produced")
        return {"__property_file__": key}
    if root == "Steps":
        step = str(tokens[1])
        if step not in scope.steps:
            raise ExpressionError(f"{path}: step {step} has not run")
        return _walk(scope.steps[step], tokens[2:], path)
    raise ExpressionError(f"unsupported reference {path!r}")


def json_path(document: Any, path: str) -> Any:
    """The JsonPath subset SageMaker's JsonGet accepts: dotted names and [index]."""
    return _walk(document, path_tokens(path.removeprefix("$.").removeprefix("$")), path)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve(value: Any, scope: Scope) -> Any:
    """Evaluate every expression inside `value` (definitions nest them anywhere)."""
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Get"}:
        return get(scope, value["Get"])
    if set(value) == {"Std:Join"}:
        spec = value["Std:Join"]
        return str(spec.get("On", "")).join(_text(resolve(v, scope)) for v in spec["Values"])
    if set(value) == {"Std:JsonGet"}:
        spec = value["Std:JsonGet"]
        if "PropertyFile" in spec:
            handle = resolve(spec["PropertyFile"], scope)
            document = scope.property_files[handle["__property_file__"]]
        else:
            document = scope.json_reader(resolve(spec["S3Uri"], scope))
        return json_path(document, spec["Path"])
    return {k: resolve(v, scope) for k, v in value.items()}


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def condition(spec: dict[str, Any], scope: Scope) -> bool:
    """One entry of a Condition step's `Conditions` list."""
    kind = spec["Type"]
    if kind == "Not":
        return not condition(spec["Expression"], scope)
    if kind == "Or":
        return any(condition(c, scope) for c in spec["Conditions"])
    if kind == "In":
        left = resolve(spec["QueryValue"], scope)
        return any(left == resolve(v, scope) for v in spec["Values"])
    left, right = resolve(spec["LeftValue"], scope), resolve(spec["RightValue"], scope)
    if kind == "Equals":
        return bool(left == right)
    left, right = _number(left), _number(right)
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "GreaterThan": lambda a, b: a > b,
        "GreaterThanOrEqualTo": lambda a, b: a >= b,
        "LessThan": lambda a, b: a < b,
        "LessThanOrEqualTo": lambda a, b: a <= b,
    }
    if kind not in comparisons:
        raise ExpressionError(f"unsupported condition type {kind}")
    return bool(comparisons[kind](left, right))


def parameter_values(definition: dict[str, Any], overrides: list[dict[str, str]] | None) -> dict[str, Any]:
    """Definition defaults + execution overrides, typed as the definition declares them."""
    casts: dict[str, Callable[[Any], Any]] = {
        "Integer": int,
        "Float": float,
        "Boolean": lambda v: str(v).lower() == "true",
        "String": str,
    }
    declared = {p["Name"]: p for p in definition.get("Parameters", [])}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if "DefaultValue" in spec:
            values[name] = spec["DefaultValue"]
    for item in overrides or []:
        if item["Name"] not in declared:
            raise ExpressionError(f"Parameter {item['Name']} is not defined in the pipeline")
        values[item["Name"]] = item["Value"]
    for name, value in list(values.items()):
        cast = casts.get(declared[name].get("Type", "String"), str)
        values[name] = cast(value)
    missing = [n for n in declared if n not in values]
    if missing:
        raise ExpressionError(f"Parameters without a value: {', '.join(missing)}")
    return values


def loads(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    return document
