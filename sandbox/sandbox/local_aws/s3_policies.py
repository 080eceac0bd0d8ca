"""Extension: S3 bucket policies evaluated as S3 does for the conditions this product uses.

Sources: S3's authorization of object operations
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-object-operation.html),
the IAM condition operators (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)
and the global key aws:PrincipalArn, which for a role session is the role's ARN
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).

moto treats a statement whose condition does not hold as DENIED, whatever its Effect, so the usual
"deny unless TLS" statement (`Deny *` with `Bool aws:SecureTransport false`) denies every request, although
AWS SDKs and the CLI always use HTTPS against real S3. The sandbox evaluates bucket policy statements as S3
does: a statement applies only when its condition holds; the local endpoint is plain HTTP on 127.0.0.1, and
requests are evaluated with the value an HTTPS client produces (`aws:SecureTransport` = true).

`aws:PrincipalArn` is the caller's, from the request's access key as moto's STS resolves it (a role session
counts as its role; unknown keys are moto's default identity, as `sts:GetCallerIdentity` reports). The
operators Arn(Not)Equals, Arn(Not)Like, String(Not)Equals and String(Not)Like apply to it; a negated
operator holds when the key is absent (an unsigned request), as in IAM, so a "deny unless the publisher"
statement refuses anonymous writes. moto authorizes multipart uploads (POST) as `s3:PostObject`; S3
authorizes CreateMultipartUpload/UploadPart/CompleteMultipartUpload as `s3:PutObject`, and so does the
sandbox. A denied object request answers S3's `AccessDenied` error, not moto's empty 403.
Not emulated: other condition keys (a statement conditioned on them is skipped, treated as not applying);
bucket-level actions (moto consults bucket policies only for object requests).
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from sandbox.local_aws.iam_policy import wildcard
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

TLS_CONTEXT = {"aws:SecureTransport": "true"}
PRINCIPAL_OPERATORS = {
    "ArnEquals": (True, True),  # (wildcards allowed, positive)
    "ArnLike": (True, True),
    "StringEquals": (False, True),
    "StringLike": (True, True),
    "ArnNotEquals": (True, False),
    "ArnNotLike": (True, False),
    "StringNotEquals": (False, False),
    "StringNotLike": (True, False),
}
# moto's action name for an object request -> the IAM action S3 authorizes it as.
ACTION_ALIASES = {"s3:PostObject": "s3:PutObject", "s3:HeadObject": "s3:GetObject"}
ACCESS_DENIED_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
)
CREDENTIAL = re.compile(r"Credential=([A-Za-z0-9]+)/")
_request = threading.local()


def _matches(pattern: str, value: str, wildcards: bool) -> bool:
    return wildcard(pattern, value) if wildcards else pattern == value


def condition_holds(condition: dict[str, Any], principal_arn: str | None = None) -> bool:
    """Bool on aws:SecureTransport and the operators above on aws:PrincipalArn; anything else does not hold."""
    for operator, entries in condition.items():
        for key, expected in entries.items():
            values = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            if operator == "Bool" and key in TLS_CONTEXT:
                if TLS_CONTEXT[key] not in [v.lower() for v in values]:
                    return False
            elif operator in PRINCIPAL_OPERATORS and key.lower() == "aws:principalarn":
                wildcards, positive = PRINCIPAL_OPERATORS[operator]
                matched = principal_arn is not None and any(
                    _matches(v, principal_arn, wildcards) for v in values
                )
                if matched != positive:
                    return False
            else:
                return False
    return True


def evaluate(policy: dict[str, Any], action: str, resource: str, principal_arn: str | None = None) -> Any:
    """PermissionResult of a bucket policy: an explicit Deny wins, then an Allow, else neutral."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    action = ACTION_ALIASES.get(action, action)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    result = PermissionResult.NEUTRAL
    for statement in statements:
        if "Condition" in statement:
            if not condition_holds(statement["Condition"], principal_arn):
                continue
            statement = {k: v for k, v in statement.items() if k != "Condition"}
        outcome = IAMPolicyStatement(statement).is_action_permitted(action, resource)
        if outcome == PermissionResult.DENIED:
            return outcome
        if outcome == PermissionResult.PERMITTED:
            result = outcome
    return result


def access_key_of(headers: Any, querystring: dict[str, Any]) -> str | None:
    """The access key id of a SigV4-signed request (Authorization header or presigned URL)."""
    match = CREDENTIAL.search(str(headers.get("Authorization") or ""))
    if match:
        return match.group(1)
    credential = (querystring.get("X-Amz-Credential") or [""])[0]
    return credential.split("/", 1)[0] or None


def principal_arn(account_id: str, access_key_id: str | None) -> str | None:
    if not access_key_id:
        return None
    from moto.sts.models import sts_backends

    sts = sts_backends[account_id]["aws"]
    role = sts.get_assumed_role_from_access_key(access_key_id)
    if role is not None:
        return str(role.role_arn)
    _, arn, _ = sts.get_caller_identity(access_key_id, "us-east-1")
    return str(arn)


def install_policy_evaluation(patches: Patches) -> None:
    """The patches, usable with `mock_aws` too (tests of code that sets bucket policies)."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    original_setup = S3Response.setup_class
    original_key_response = S3Response.key_response

    def setup_class(self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        original_setup(self, request, *args, **kwargs)
        _request.access_key = access_key_of(self.headers, getattr(self, "querystring", {}) or {})

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        caller = principal_arn(self.account_id, getattr(_request, "access_key", None))
        return evaluate(json.loads(self.policy.decode()), action, resource, caller)

    def key_response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        status, response_headers, body = original_key_response(self, request, full_url, headers)
        if status == 403 and not body:
            return 403, {**response_headers, "Content-Type": "application/xml"}, ACCESS_DENIED_BODY
        return status, response_headers, body

    patches.set(S3Response, "setup_class", setup_class)
    patches.set(S3Response, "key_response", key_response)
    patches.set(FakeBucket, "get_permission", get_permission)


def install(patches: Patches, state: LocalAwsState) -> None:
    install_policy_evaluation(patches)
