"""A small IAM policy evaluator, enough to try the attacks of issue 12 against the rendered policies.

It follows the documented evaluation logic for one account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit Deny
wins, otherwise some Allow must match; with a permissions boundary both the identity policy and the
boundary must allow. Action names match case-insensitively with ``*``/``?``; Resource patterns and
String/Arn condition values match case-sensitively with ``*``/``?``
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
Condition operators it does not know make the statement fail to match (the refusing direction for an
Allow); a Deny with an unknown operator is reported by raising, so that no Deny is silently ignored.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any


def _glob(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE if ignore_case else 0) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _context_value(context: Mapping[str, str], key: str) -> str | None:
    lowered = {k.lower(): v for k, v in context.items()}
    return lowered.get(key.lower())


def _condition_holds(operator: str, key: str, values: list[str], context: Mapping[str, str]) -> bool:
    present = _context_value(context, key)
    base, if_exists = (
        (operator[: -len("IfExists")], True) if operator.endswith("IfExists") else (operator, False)
    )
    if present is None and if_exists:
        return True
    if base == "Null":
        return (present is None) == (str(values[0]).lower() == "true")
    if present is None:
        return False
    if base == "StringEquals" or base == "ArnEquals":
        return present in values
    if base in ("StringLike", "ArnLike"):
        return any(_glob(v, present) for v in values)
    if base == "Bool":
        return present.lower() in [str(v).lower() for v in values]
    raise NotImplementedError(operator)


def _statement_matches(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    if not any(_glob(a, action, ignore_case=True) for a in _as_list(statement.get("Action", []))):
        return False
    if not any(_glob(str(r), resource) for r in _as_list(statement.get("Resource", "*"))):
        return False
    for operator, pairs in statement.get("Condition", {}).items():
        for key, values in pairs.items():
            try:
                holds = _condition_holds(operator, key, [str(v) for v in _as_list(values)], context)
            except NotImplementedError:
                if statement["Effect"] == "Deny":
                    raise
                holds = False
            if not holds:
                return False
    return True


def allows(
    statements: Iterable[Mapping[str, Any]],
    action: str,
    resource: str = "*",
    context: Mapping[str, str] | None = None,
) -> bool:
    """Whether these statements (one policy, or several together) allow the request."""
    context = context or {}
    statements = list(statements)
    if any(s["Effect"] == "Deny" and _statement_matches(s, action, resource, context) for s in statements):
        return False
    return any(
        s["Effect"] == "Allow" and _statement_matches(s, action, resource, context) for s in statements
    )
