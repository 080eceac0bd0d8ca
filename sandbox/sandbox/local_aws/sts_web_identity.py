"""Extension: AssumeRoleWithWebIdentity checks the role's trust policy against the token, as STS does.

moto's AssumeRoleWithWebIdentity issues credentials for any role and any token. The sandbox evaluates the
role's trust policy like STS: an Allow statement for `sts:AssumeRoleWithWebIdentity` whose
`Principal.Federated` is the OIDC provider of the token's issuer (`arn:aws:iam::<account>:oidc-provider/<host>`)
and whose conditions hold for the token's claims (`<host>:aud`, `<host>:sub`, with StringEquals/StringLike,
and their ForAnyValue/ForAllValues forms on a single value). Otherwise: AccessDenied "Not authorized to
perform sts:AssumeRoleWithWebIdentity", so a wrong `sub` pin in the project template fails in the sandbox
as it would in AWS.
Before the trust policy, STS checks the token against the account's IAM OIDC provider of its issuer
(https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html, errors
InvalidIdentityToken / IDPRejectedClaim): no provider for the issuer → InvalidIdentityToken "No OpenIDConnect
provider found in your account for <iss>"; an `aud` that is not one of the provider's client ids →
InvalidIdentityToken "Incorrect token audience" (the texts STS returns, as quoted in public issue threads).
Not emulated: the token's signature, expiry and the provider's thumbprints; other condition keys (a
statement conditioned on them does not apply).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote, urlparse

from sandbox import oidc
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

ACTION = "sts:AssumeRoleWithWebIdentity"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def issuer_host(claims: dict[str, Any]) -> str:
    """IAM names an OIDC provider by its issuer URL without the scheme (host[:port][/path])."""
    parsed = urlparse(str(claims.get("iss", "")))
    return (parsed.netloc + parsed.path).rstrip("/")


def string_like(value: str, pattern: str) -> bool:
    """IAM's ``StringLike``: ``*`` matches any run of characters and ``?`` one character; nothing else is
    special (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String).
    ``fnmatch`` would also read ``[...]`` as a character set and match more than AWS does."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def condition_holds(condition: dict[str, Any], claims: dict[str, Any], host: str) -> bool:
    for operator, entries in condition.items():
        base = operator.split(":", 1)[-1]
        for key, expected in entries.items():
            if not key.startswith(host + ":"):
                return False
            claim = claims.get(key[len(host) + 1 :])
            if claim is None:
                return False
            actual = [str(v) for v in _as_list(claim)]
            wanted = [str(v) for v in _as_list(expected)]
            if base == "StringEquals":
                matched = any(a in wanted for a in actual)
            elif base == "StringLike":
                matched = any(string_like(a, w) for a in actual for w in wanted)
            else:
                return False
            if not matched:
                return False
    return True


def trusted(policy: dict[str, Any], claims: dict[str, Any], account_id: str) -> bool:
    host = issuer_host(claims)
    provider = f"arn:aws:iam::{account_id}:oidc-provider/{host}"
    for statement in _as_list(policy.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        if ACTION not in _as_list(statement.get("Action", [])):
            continue
        federated = _as_list((statement.get("Principal") or {}).get("Federated", []))
        if provider not in federated:
            continue
        if condition_holds(statement.get("Condition", {}), claims, host):
            return True
    return False


def provider_refusal(providers: dict[str, Any], claims: dict[str, Any], account_id: str) -> str | None:
    """Why STS refuses the token before it reads the role's trust policy, or None."""
    provider = providers.get(f"arn:aws:iam::{account_id}:oidc-provider/{issuer_host(claims)}")
    if provider is None:
        return f"No OpenIDConnect provider found in your account for {claims.get('iss', '')}"
    audiences = [str(a) for a in _as_list(claims.get("aud", []))]
    if not set(audiences) & set(provider.client_id_list):
        return "Incorrect token audience"
    return None


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.responses import TokenResponse

    original = TokenResponse.assume_role_with_web_identity

    def assume_role_with_web_identity(self: Any) -> Any:
        role_arn = str(self._get_param("RoleArn"))
        denied = STSClientError("AccessDenied", f"Not authorized to perform {ACTION}")
        try:
            claims = oidc.decode_unverified(str(self._get_param("WebIdentityToken")))
        except (ValueError, IndexError):
            raise STSClientError("InvalidIdentityToken", "Couldn't parse the web identity token") from None
        account_id = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
        if account_id in iam_backends:
            refusal = provider_refusal(iam_backends[account_id]["aws"].open_id_providers, claims, account_id)
            if refusal:
                raise STSClientError("InvalidIdentityToken", refusal)
        try:
            role = iam_backends[account_id]["aws"].get_role_by_arn(role_arn)
        except Exception:
            raise denied from None
        document = role.assume_role_policy_document
        policy = json.loads(unquote(document) if isinstance(document, str) else json.dumps(document))
        if not trusted(policy, claims, account_id):
            raise denied
        return original(self)

    patches.set(TokenResponse, "assume_role_with_web_identity", assume_role_with_web_identity)
