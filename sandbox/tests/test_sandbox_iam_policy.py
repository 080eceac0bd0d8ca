"""The evaluator against the cases the IAM User Guide documents (policy evaluation logic, boundaries,
condition operators). Expected decisions are the documented ones, written out here."""

from __future__ import annotations

from typing import Any

from sandbox.local_aws.iam_policy import Request, condition_holds, evaluate, wildcard

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/s1"
BUCKET_OBJ = "arn:aws:s3:::data/key.csv"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def req(
    action: str = "s3:GetObject", resource: str = BUCKET_OBJ, context: dict[str, list[str]] | None = None
) -> Request:
    return Request(SESSION, action, resource, context or {}, role_arn=ROLE)


def test_implicit_deny_without_any_allow() -> None:
    assert not evaluate(req(), []).allowed
    assert not evaluate(req(), [policy(allow("s3:PutObject"))]).allowed


def test_explicit_deny_wins_over_allow() -> None:
    decision = evaluate(req(), [policy(allow("s3:*")), policy(deny("s3:GetObject", "arn:aws:s3:::data/*"))])
    assert not decision.allowed
    assert "explicit deny" in decision.reason


def test_resource_arn_is_matched_not_star() -> None:
    scoped = [policy(allow("s3:GetObject", "arn:aws:s3:::other/*"))]
    assert not evaluate(req(), scoped).allowed
    assert evaluate(req(), [policy(allow("s3:GetObject", "arn:aws:s3:::data/*"))]).allowed
    # Resource matching is case-sensitive, Action matching is not.
    assert not evaluate(req(), [policy(allow("s3:GetObject", "arn:aws:s3:::DATA/*"))]).allowed
    assert evaluate(req(), [policy(allow("S3:getobject", "arn:aws:s3:::data/*"))]).allowed


def test_not_action_and_not_resource() -> None:
    everything_but_iam = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate(req(), [everything_but_iam]).allowed
    assert not evaluate(req("iam:CreateRole", "*"), [everything_but_iam]).allowed
    outside = policy({"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::data/*"})
    assert not evaluate(req(), [outside]).allowed


def test_boundary_intersection() -> None:
    identity = [policy(allow("s3:*"), allow("iam:CreateRole"))]
    boundary = policy(allow("s3:GetObject"))
    assert evaluate(req(), identity, boundary=boundary).allowed
    # Allowed by identity but not by the boundary: denied (the boundary only limits).
    assert not evaluate(req("iam:CreateRole", "*"), identity, boundary=boundary).allowed
    # Allowed by the boundary but not by identity: denied (the boundary grants nothing).
    assert not evaluate(req(), [], boundary=boundary).allowed


def test_resource_policy_allows_within_the_account() -> None:
    bucket = policy(allow("s3:GetObject", BUCKET_OBJ, Principal={"AWS": ROLE}))
    assert evaluate(req(), [], resource_policy=bucket).allowed
    other = policy(allow("s3:GetObject", BUCKET_OBJ, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/x"}))
    assert not evaluate(req(), [], resource_policy=other).allowed


def test_resource_policy_deny_wins_over_identity_allow() -> None:
    bucket = policy(deny("s3:*", "arn:aws:s3:::data/*", Principal="*"))
    assert not evaluate(req(), [policy(allow("s3:*"))], resource_policy=bucket).allowed


def test_resource_policy_to_role_arn_is_limited_by_boundary_but_not_to_session_arn() -> None:
    boundary = policy(allow("sqs:*"))
    to_role = policy(allow("s3:GetObject", BUCKET_OBJ, Principal={"AWS": ROLE}))
    to_session = policy(allow("s3:GetObject", BUCKET_OBJ, Principal={"AWS": SESSION}))
    assert not evaluate(req(), [], boundary=boundary, resource_policy=to_role).allowed
    assert evaluate(req(), [], boundary=boundary, resource_policy=to_session).allowed


def test_absent_condition_keys() -> None:
    # Documented: an absent key makes a condition false, a negated one true, IfExists true, Null "true" true.
    assert not condition_holds({"StringEquals": {"aws:ResourceTag/team": "ml"}}, {})
    assert condition_holds({"StringNotEquals": {"aws:ResourceTag/team": "ml"}}, {})
    assert condition_holds({"StringEqualsIfExists": {"aws:ResourceTag/team": "ml"}}, {})
    assert condition_holds({"Null": {"aws:ResourceTag/team": "true"}}, {})
    assert not condition_holds({"Null": {"aws:ResourceTag/team": "false"}}, {})
    assert condition_holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {})
    assert not condition_holds({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {})


def test_present_condition_keys_and_value_lists() -> None:
    context = {"aws:resourcetag/team": ["ml"], "aws:tagkeys": ["a", "b"]}
    assert condition_holds({"StringEquals": {"aws:ResourceTag/team": ["x", "ml"]}}, context)  # OR
    assert not condition_holds({"StringNotEquals": {"aws:ResourceTag/team": ["x", "ml"]}}, context)  # AND
    assert not condition_holds({"StringEqualsIfExists": {"aws:ResourceTag/team": "x"}}, context)
    assert condition_holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b", "c"]}}, context)
    assert not condition_holds({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, context)
    assert condition_holds({"ForAnyValue:StringLike": {"aws:TagKeys": ["b*"]}}, context)


def test_unmet_condition_on_allow_is_neutral_not_a_deny() -> None:
    # moto makes this an explicit Deny; AWS just skips the statement, so another Allow still allows.
    conditional = policy(allow("s3:GetObject", Condition={"StringEquals": {"s3:prefix": "x"}}))
    assert evaluate(req(), [conditional, policy(allow("s3:GetObject"))]).allowed


def test_deny_unless_tls_and_principal_arn_condition() -> None:
    tls = policy(deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}), allow("s3:*"))
    assert evaluate(req(context={"aws:SecureTransport": ["true"]}), [tls]).allowed
    assert not evaluate(req(context={"aws:SecureTransport": ["false"]}), [tls]).allowed
    only_role = policy(allow("s3:*", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app"}}))
    assert evaluate(req(), [only_role]).allowed


def test_unsupported_operator_never_allows() -> None:
    dated = policy(allow("s3:*", Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))
    assert not evaluate(req(), [dated]).allowed


def test_wildcards() -> None:
    assert wildcard("arn:aws:s3:::a*/x?", "arn:aws:s3:::abc/def/xy")
    assert not wildcard("arn:aws:s3:::a[b]", "arn:aws:s3:::ab")
