"""Extension: S3 bucket policies see every request as sent over TLS (`aws:SecureTransport` = true).

moto treats a statement whose condition does not hold as DENIED, whatever its Effect, so the usual
"deny unless TLS" statement (`Deny *` with `Bool aws:SecureTransport false`) denies every request, although
AWS SDKs and the CLI always use HTTPS against real S3. The sandbox evaluates bucket policy statements as S3
does: a statement applies only when its condition holds; the local endpoint is plain HTTP on 127.0.0.1, and
requests are evaluated with the value an HTTPS client produces (`aws:SecureTransport` = true).
Not emulated: other condition keys; a statement conditioned on them is skipped (treated as not applying).
"""

from __future__ import annotations

import json
from typing import Any

from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

TLS_CONTEXT = {"aws:SecureTransport": "true"}


def condition_holds(condition: dict[str, Any]) -> bool:
    """Only `Bool` on aws:SecureTransport is known; anything else does not hold."""
    for operator, entries in condition.items():
        for key, expected in entries.items():
            values = expected if isinstance(expected, list) else [expected]
            if operator != "Bool" or key not in TLS_CONTEXT:
                return False
            if TLS_CONTEXT[key] not in [str(v).lower() for v in values]:
                return False
    return True


def evaluate(policy: dict[str, Any], action: str, resource: str) -> Any:
    """PermissionResult of a bucket policy: an explicit Deny wins, then an Allow, else neutral."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    result = PermissionResult.NEUTRAL
    for statement in statements:
        if "Condition" in statement:
            if not condition_holds(statement["Condition"]):
                continue
            statement = {k: v for k, v in statement.items() if k != "Condition"}
        outcome = IAMPolicyStatement(statement).is_action_permitted(action, resource)
        if outcome == PermissionResult.DENIED:
            return outcome
        if outcome == PermissionResult.PERMITTED:
            result = outcome
    return result


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        return evaluate(json.loads(self.policy.decode()), action, resource)

    patches.set(FakeBucket, "get_permission", get_permission)
