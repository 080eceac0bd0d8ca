"""IAM policy evaluation within one account, as AWS documents it: a pure function of policies and a request.

Sources (IAM User Guide):
- "Policy evaluation logic" and "Determining whether a request is allowed or denied within an account"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
  an explicit Deny in any policy wins; a resource-based policy that allows the principal allows within the
  account; a permissions boundary that does not allow the action denies; otherwise an identity-based Allow
  allows; everything else is an implicit deny.
- "Permissions boundaries for IAM entities"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html): the effective
  permissions are the intersection of identity policies and boundary; a resource-based policy that names the
  *role session* ARN is not limited by the role's boundary, one that names the *role* ARN is.
- "IAM JSON policy elements: Condition operators"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
  a key absent from the request context makes the condition false, except that negated operators
  (StringNotEquals, ArnNotLike, ...) are then true; `...IfExists` is true when the key is absent; `Null`
  tests presence. Several values for one key are OR'ed, and AND'ed for a negated operator.
  ForAnyValue/ForAllValues: set operators (ForAllValues is true for an absent key).
- Wildcards: `*` and `?` in Action (case-insensitive) and Resource (case-sensitive, `*` crosses `:` and `/`)
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html).

Why not moto's IAMPolicy: moto turns a statement whose condition does not hold into an explicit Deny
(whatever its Effect), knows no boundaries, no NotResource/NotPrincipal and no resource policies.

Not evaluated: SCPs/RCPs (no organization), session policies, cross-account access, policy variables
(`${aws:username}`), Date/IpAddress/Binary operators (a statement using them does not apply: an Allow
conditioned on them does not allow, a Deny conditioned on them does not deny — reported by `unsupported`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ALLOW = "allow"
DENY = "deny"  # explicit
NEUTRAL = "neutral"  # no statement applies (implicit deny unless another policy allows)


@dataclass(frozen=True)
class Request:
    """A request as policy evaluation sees it: who, what, on which resource, and the context keys."""

    principal_arn: str  # the caller: an IAM user, role session (assumed-role) or role ARN
    action: str  # "service:Action"
    resource: str
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)  # condition key -> values
    role_arn: str | None = None  # the role of a role session (resource policies may name either)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's `*` (any run, including none) and `?` (one character); nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL | (re.IGNORECASE if ignore_case else 0)) is not None


def _context(request: Request) -> dict[str, list[str]]:
    # Condition key names are case-insensitive (the values are not).
    keys = {k.lower(): [str(v) for v in vs] for k, vs in request.context.items()}
    keys.setdefault("aws:principalarn", [request.role_arn or request.principal_arn])
    return keys


def _string_op(base: str) -> tuple[bool, Any] | None:
    """(negated, match(policy_value, request_value)) of a condition operator without IfExists/set prefix."""

    def equals(p: str, v: str) -> bool:
        return p == v

    def equals_ci(p: str, v: str) -> bool:
        return p.lower() == v.lower()

    def like(p: str, v: str) -> bool:
        return wildcard(p, v)

    def bool_eq(p: str, v: str) -> bool:
        return p.lower() == v.lower()

    def num(compare: Any) -> Any:
        def match(p: str, v: str) -> bool:
            try:
                return bool(compare(float(v), float(p)))
            except ValueError:
                return False

        return match

    table: dict[str, tuple[bool, Any]] = {
        "StringEquals": (False, equals),
        "StringNotEquals": (True, equals),
        "StringEqualsIgnoreCase": (False, equals_ci),
        "StringNotEqualsIgnoreCase": (True, equals_ci),
        "StringLike": (False, like),
        "StringNotLike": (True, like),
        "ArnEquals": (False, like),  # ARN operators take wildcards in every segment
        "ArnLike": (False, like),
        "ArnNotEquals": (True, like),
        "ArnNotLike": (True, like),
        "Bool": (False, bool_eq),
        "NumericEquals": (False, num(lambda v, p: v == p)),
        "NumericNotEquals": (True, num(lambda v, p: v == p)),
        "NumericLessThan": (False, num(lambda v, p: v < p)),
        "NumericLessThanEquals": (False, num(lambda v, p: v <= p)),
        "NumericGreaterThan": (False, num(lambda v, p: v > p)),
        "NumericGreaterThanEquals": (False, num(lambda v, p: v >= p)),
    }
    return table.get(base)


class UnsupportedConditionError(ValueError):
    """An operator this evaluator does not implement (see the module docstring)."""


def _value_holds(match: Any, negated: bool, wanted: list[str], value: str) -> bool:
    hits = [match(w, value) for w in wanted]
    return not any(hits) if negated else any(hits)


def condition_holds(condition: Mapping[str, Any], context: Mapping[str, list[str]]) -> bool:
    """Every operator and every key in a Condition block must hold (AND); values of one key are OR'ed."""
    for raw_operator, entries in condition.items():
        qualifier, _, operator = raw_operator.rpartition(":")
        if_exists = operator.endswith("IfExists")
        base = operator[: -len("IfExists")] if if_exists else operator
        for key, expected in entries.items():
            wanted = [str(v) for v in _as_list(expected)]
            actual = context.get(key.lower())
            if base == "Null":
                if (actual is None) != (wanted[0].lower() == "true"):
                    return False
                continue
            op = _string_op(base)
            if op is None:
                raise UnsupportedConditionError(raw_operator)
            negated, match = op
            if actual is None:
                if if_exists or qualifier == "ForAllValues":
                    continue
                if negated and qualifier != "ForAnyValue":
                    continue
                return False

            results = [_value_holds(match, negated, wanted, a) for a in actual]
            # ForAllValues: every request value; ForAnyValue or a single-valued key: at least one.
            if not (all(results) if qualifier == "ForAllValues" else any(results)):
                return False
    return True


def _principal_matches(statement: Mapping[str, Any], request: Request) -> bool:
    """Resource policies: Principal "*" / {"AWS": ...} names the caller (session, its role) or "*";
    {"Service": ...} names a service principal (the request's principal_arn then is the service name)."""
    names = {request.principal_arn, *([request.role_arn] if request.role_arn else [])}
    if "Principal" in statement:
        principal = statement["Principal"]
        if principal == "*":
            return True
        values = [v for kind in ("AWS", "Service", "Federated") for v in _as_list(principal.get(kind))]
        return "*" in values or bool(names & {str(v) for v in values})
    if "NotPrincipal" in statement:
        principal = statement["NotPrincipal"]
        excluded = {str(v) for kind in ("AWS", "Service") for v in _as_list(principal.get(kind))}
        return not (names & excluded)
    return True


def statement_applies(
    statement: Mapping[str, Any], request: Request, *, resource_policy: bool = False
) -> bool:
    action, resource = request.action, request.resource
    if "Action" in statement:
        if not any(wildcard(a, action, ignore_case=True) for a in _as_list(statement["Action"])):
            return False
    elif any(wildcard(a, action, ignore_case=True) for a in _as_list(statement.get("NotAction"))):
        return False
    if "Resource" in statement:
        if not any(wildcard(r, resource) for r in _as_list(statement["Resource"])):
            return False
    elif any(wildcard(r, resource) for r in _as_list(statement.get("NotResource"))):
        return False
    if resource_policy and not _principal_matches(statement, request):
        return False
    return condition_holds(statement.get("Condition") or {}, _context(request))


def policy_effect(policy: Mapping[str, Any], request: Request, *, resource_policy: bool = False) -> str:
    """ALLOW, DENY or NEUTRAL of one policy document for the request."""
    result = NEUTRAL
    for statement in _as_list(policy.get("Statement")):
        try:
            applies = statement_applies(statement, request, resource_policy=resource_policy)
        except UnsupportedConditionError:
            applies = False
        if not applies:
            continue
        if statement.get("Effect") == "Deny":
            return DENY
        if statement.get("Effect") == "Allow":
            result = ALLOW
    return result


def _names_session(policy: Mapping[str, Any], request: Request) -> bool:
    """Whether a resource policy's Allow that applies names the caller itself (not only its role)."""
    bare = Request(request.principal_arn, request.action, request.resource, request.context, None)
    return policy_effect(policy, bare, resource_policy=True) == ALLOW


def evaluate(
    request: Request,
    identity_policies: Sequence[Mapping[str, Any]],
    *,
    boundary: Mapping[str, Any] | None = None,
    resource_policy: Mapping[str, Any] | None = None,
) -> Decision:
    """The documented order: explicit deny, resource-policy allow, boundary, identity-policy allow."""
    identity = [policy_effect(p, request) for p in identity_policies]
    bound = policy_effect(boundary, request) if boundary is not None else None
    resource = policy_effect(resource_policy, request, resource_policy=True) if resource_policy else NEUTRAL
    if DENY in identity:
        return Decision(False, "explicit deny in an identity-based policy")
    if bound == DENY:
        return Decision(False, "explicit deny in the permissions boundary")
    if resource == DENY:
        return Decision(False, "explicit deny in the resource-based policy")
    # A grant to the session ARN is not limited by the boundary; a grant to the role ARN is.
    if (
        resource == ALLOW
        and resource_policy is not None
        and (bound in (None, ALLOW) or _names_session(resource_policy, request))
    ):
        return Decision(True, "allowed by the resource-based policy")
    if bound == NEUTRAL:
        return Decision(False, "no permissions boundary allows it")
    if ALLOW in identity:
        return Decision(True, "allowed by an identity-based policy")
    return Decision(False, "no identity-based policy allows it")
