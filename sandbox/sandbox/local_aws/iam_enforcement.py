"""Extension: every signed request to the local AWS is authorised as IAM would, and logged per principal.

moto's own enforcement (`INITIAL_NO_AUTH_ACTION_COUNT`, moto/iam/access_control.py) is the hook point: its
`ActionAuthenticatorMixin._authenticate_and_authorize_action` runs before every action of every service
(`call_action`) and every S3 operation. The sandbox replaces the decision it makes there:
- the caller from the request's SigV4 access key: the sandbox's admin keys (what a person does: publish,
  approve, play, and the sandbox's own observation), a role session issued by the local STS (Lambda's
  execution role, a CI job's OIDC role, the pipeline role, ...) or an IAM user's key; any other key is
  refused (`InvalidClientTokenId`, as STS does for a key it never issued);
- the resource and condition keys from `iam_resources`, the decision from `iam_policy` (documented AWS
  evaluation: explicit deny, boundary, resource policies of S3/KMS/SNS/SQS/Secrets Manager);
- roles passed to a service additionally need `iam:PassRole` on that role.
Mode "enforce" answers AccessDenied (the service's error shape) and the call fails as on AWS; "audit" only
records the denial. Unsigned requests (STS web-identity, presigned S3 URLs) are not authorised here: STS
checks the role's trust policy (sts_web_identity), S3 the bucket policy (s3_policies).
Not evaluated: see iam_policy (SCPs, session policies, policy variables, Date/IP operators); the
permissions AWS services use on their own behalf inside moto (CloudFormation resource handlers, moto's
in-process integrations) are not HTTP calls and so are not checked here.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from sandbox.local_aws import iam_policy, iam_resources, s3_policies
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import SANDBOX_CREDENTIALS, LocalAwsState

ADMIN = "admin"
ALWAYS_ALLOWED = {"sts:GetCallerIdentity"}  # documented: allowed even under an explicit deny
# Denials AWS answers too, that the caller's client handles by design: they are refused and reported, but do
# not fail the run (granting them would widen the roles for nothing).
TOLERATED = {
    # boto3's s3.Bucket.load (behind `Bucket.creation_date`, which the SageMaker SDK's default-bucket check
    # reads) calls ListBuckets and treats AccessDenied as "unknown" (boto3/s3/inject.py, bucket_load); the
    # SDK then checks the bucket with HeadBucket/ListObjectsV2, which the roles allow.
    "s3:ListAllMyBuckets": "boto3 Bucket.load treats AccessDenied from ListBuckets as unknown",
}


@dataclass(frozen=True)
class Denial:
    principal: str
    action: str
    resource: str
    reason: str
    tolerated: bool = False  # see TOLERATED

    def text(self) -> str:
        return (
            f"{self.principal} is not authorized to perform {self.action} on {self.resource} ({self.reason})"
        )


@dataclass
class CallLog:
    """Calls authorised per principal, calls made with the admin keys, and every denial."""

    mode: str = "audit"
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    denials: list[Denial] = field(default_factory=list)
    listeners: list[Callable[[Denial], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, principal: str, action: str, denial: Denial | None = None) -> None:
        with self.lock:
            self.calls[(principal, action)] += 1
            if denial is not None:
                self.denials.append(denial)
        if denial is not None:
            for listener in list(self.listeners):
                listener(denial)

    def summary(self) -> dict[str, Any]:
        """The report's `iam` section."""
        with self.lock:
            per_role: Counter[str] = Counter()
            admin: Counter[str] = Counter()
            for (principal, action), count in self.calls.items():
                if principal == ADMIN:
                    admin[action] += count
                else:
                    per_role[principal] += count
            return {
                "mode": self.mode,
                "calls_per_role": dict(sorted(per_role.items())),
                "admin_calls": sum(admin.values()),
                "admin_actions": dict(sorted(admin.items())),
                "denials": [d.__dict__ for d in self.denials],
            }


@dataclass(frozen=True)
class Caller:
    label: str  # role ARN, user ARN or ADMIN
    arn: str  # the ARN IAM names in errors (session ARN for a role session)
    role_arn: str | None
    policies: list[dict[str, Any]]
    boundary: dict[str, Any] | None


def _document(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    text = str(value)
    parsed: dict[str, Any] = json.loads(text if text.lstrip().startswith("{") else unquote(text))
    return parsed


def _managed(backend: Any, arn: str) -> dict[str, Any] | None:
    policy = backend.managed_policies.get(arn) or getattr(backend, "aws_managed_policies", {}).get(arn)
    if policy is None:
        return None
    for version in policy.versions:
        if version.version_id == policy.default_version_id:
            return _document(version.document)
    return None


def _role_caller(backend: Any, account: str, session: Any) -> Caller:
    role_arn = str(session.role_arn)
    name = role_arn.rsplit("/", 1)[-1]
    role = next((r for r in backend.roles.values() if r.name == name), None)
    policies: list[dict[str, Any]] = []
    boundary = None
    if role is not None:
        policies += [_document(doc) for doc in role.policies.values()]
        policies += [doc for arn in role.managed_policies if (doc := _managed(backend, arn))]
        if role.permissions_boundary_arn:
            # A boundary that names a policy that does not exist allows nothing.
            boundary = _managed(backend, role.permissions_boundary_arn) or {"Statement": []}
    session_arn = f"arn:aws:sts::{account}:assumed-role/{name}/{session.session_name}"
    return Caller(role_arn, session_arn, role_arn, policies, boundary)


def _user_caller(backend: Any, user: Any) -> Caller:
    policies = [_document(doc) for doc in user.policies.values()]
    policies += [doc for arn in user.managed_policies if (doc := _managed(backend, arn))]
    return Caller(str(user.arn), str(user.arn), None, policies, None)


def caller_of(account: str, access_key: str) -> Caller | None:
    """Who signed with this key, or None for a key the local STS/IAM never issued."""
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    if access_key == SANDBOX_CREDENTIALS["AWS_ACCESS_KEY_ID"]:
        return Caller(ADMIN, ADMIN, None, [], None)
    backend = iam_backends[account]["aws"]
    session = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
    if session is not None:
        return _role_caller(backend, account, session)
    user = backend.get_user_from_access_key_id(access_key)
    return _user_caller(backend, user) if user is not None else None


def resource_policy(service: str, resource: str, account: str, region: str) -> dict[str, Any] | None:
    """The resource-based policy IAM combines with identity policies within the account, if any."""
    try:
        if service == "s3":
            from moto.s3.models import s3_backends

            bucket = s3_backends[account]["aws"].buckets.get(resource.split(":::", 1)[-1].split("/", 1)[0])
            return _document(bucket.policy.decode()) if bucket is not None and bucket.policy else None
        if service == "kms":
            from moto.kms.models import kms_backends

            return _document(kms_backends[account][region].describe_key(resource).policy)
        if service == "sns":
            from moto.sns.models import sns_backends

            topic = sns_backends[account][region].topics.get(resource)
            return _document(topic._policy_json) if topic is not None else None
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[account][region].queues.get(resource.rsplit(":", 1)[-1])
            return _document(queue.policy) if queue is not None and queue.policy else None
        if service == "secretsmanager":
            from moto.secretsmanager.models import secretsmanager_backends

            secret = secretsmanager_backends[account][region].secrets.get(resource)
            policy = getattr(secret, "policy", None)
            return _document(policy) if policy else None
    except (KeyError, ValueError, AttributeError):
        return None
    return None


def decide(
    caller: Caller,
    service: str,
    action: str,
    resource: str,
    context: dict[str, list[str]],
    account: str,
    region: str,
) -> iam_policy.Decision:
    request = iam_policy.Request(caller.arn, action, resource, context, role_arn=caller.role_arn)
    policy = resource_policy(service, resource, account, region)
    identity = caller.policies
    if service == "kms" and policy is not None:
        # KMS: IAM policies count only when the key policy delegates to the account (its root principal).
        root = iam_policy.Request(f"arn:aws:iam::{account}:root", action, resource, context)
        if iam_policy.policy_effect(policy, root, resource_policy=True) != iam_policy.ALLOW:
            identity = []
    return iam_policy.evaluate(request, identity, boundary=caller.boundary, resource_policy=policy)


def _params(response: Any) -> Callable[[str], Any]:
    body = iam_resources.json_params(getattr(response, "body", None))
    uri = getattr(response, "uri_match", None) or {}

    def get(name: str) -> Any:
        if name in uri:
            return unquote(str(uri[name]))
        if name in body:
            return body[name]
        try:
            return response._get_param(name)
        except Exception:  # moto's parsers differ per protocol; a missing parameter is simply absent
            return None

    return get


def refusal(service: str, content_type: str, code: str, message: str) -> Exception:
    """A 403 error in the service's protocol (S3 XML, JSON for JSON/REST-JSON services, else query XML)."""
    from moto.core.exceptions import JsonRESTError, _RESTError
    from moto.s3.exceptions import S3ClientError

    if service == "s3":
        return S3ClientError(code, message)  # a ServiceException: S3 answers it with 403
    error: _RESTError
    if service == "lambda" or "json" in content_type:
        error = JsonRESTError(code + ("Exception" if code == "AccessDenied" else ""), message)
    else:
        error = _RESTError(code, message)
    error.code = 403
    return error


def authorise(response: Any, log: CallLog, s3_resource: str | None) -> None:
    """The replacement of moto's check (see the module docstring)."""
    access_key = s3_policies.access_key_of(response.headers, {})
    if not access_key or "Credential=" not in str(response.headers.get("Authorization") or ""):
        return  # unsigned: see the module docstring
    scope = str(response.headers["Authorization"]).split("Credential=", 1)[1].split(",", 1)[0].split("/")
    region, service = scope[2], scope[3]
    operation = response._get_action()
    operation = operation[0] if isinstance(operation, list) else str(operation)
    action = iam_resources.iam_action(service, operation)
    account = response.current_account
    caller = caller_of(account, access_key)
    content_type = str(response.headers.get("Content-Type") or "")
    if caller is None:
        log.record("unknown", action, Denial(access_key, action, "*", "unknown access key"))
        if service == "s3":
            raise refusal(
                service,
                content_type,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        raise refusal(
            service,
            content_type,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    if caller.label == ADMIN or action in ALWAYS_ALLOWED:
        log.record(caller.label, action)
        return
    params = _params(response)
    resource = s3_resource or iam_resources.resource_of(service, operation, params, region, account)
    context = iam_resources.context_of(
        service, params, resource, caller.role_arn or caller.arn, account, region
    )
    checks = [(action, resource, context)]
    for role in iam_resources.passed_roles(service, params):
        passed = {**context, "iam:PassedToService": [iam_resources.SERVICE_PRINCIPALS[service]]}
        checks.append(("iam:PassRole", role, passed))
    for checked_action, checked_resource, checked_context in checks:
        decision = decide(
            caller,
            checked_action.split(":")[0],
            checked_action,
            checked_resource,
            checked_context,
            account,
            region,
        )
        if not decision.allowed:
            denial = Denial(
                caller.arn, checked_action, checked_resource, decision.reason, checked_action in TOLERATED
            )
            log.record(caller.label, action, denial)
            if log.mode == "enforce":
                raise refusal(service, content_type, "AccessDenied", f"User: {denial.text()}")
            return
    log.record(caller.label, action)


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.core.authorization import ActionAuthenticatorMixin

    log = CallLog(mode=state.iam_mode)
    state.iam = log

    def _authenticate_and_authorize_action(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        s3_resource = resource if iam_request_cls.__name__ == "S3IAMRequest" else None
        authorise(self, log, s3_resource)

    patches.set(
        ActionAuthenticatorMixin, "_authenticate_and_authorize_action", _authenticate_and_authorize_action
    )
