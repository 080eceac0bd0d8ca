"""AssumeRoleWithWebIdentity honours the role's trust policy (aud and sub pins), through boto3."""

from __future__ import annotations

import json

import pytest

from sandbox import oidc

HOST = "gitlab.example.com"


def _role(aws, sub_pattern: str, operator: str = "StringEquals") -> str:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{HOST}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {operator: {f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": sub_pattern}},
            }
        ],
    }
    iam = aws.client("iam")
    if not iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        iam.create_open_id_connect_provider(Url=f"https://{HOST}", ClientIDList=["sts.amazonaws.com"])
    return iam.create_role(RoleName="build", AssumeRolePolicyDocument=json.dumps(policy))["Role"]["Arn"]


def _token(project_path: str, ref: str = "main", audience: str = "sts.amazonaws.com") -> str:
    identity = oidc.JobIdentity(f"https://{HOST}", project_path, 1, "ml/team", 2, ref, 3, "push", 4)
    return oidc.Signer().sign(oidc.claims(identity, audience))


def test_the_pinned_repository_and_branch_get_credentials(local_aws) -> None:
    arn = _role(local_aws, "project_path:ml/team/p-build:ref_type:branch:ref:main")
    response = local_aws.client("sts").assume_role_with_web_identity(
        RoleArn=arn, RoleSessionName="ci", WebIdentityToken=_token("ml/team/p-build")
    )
    assert response["Credentials"]["AccessKeyId"]
    assert response["AssumedRoleUser"]["Arn"].endswith(":assumed-role/build/ci")


@pytest.mark.parametrize(
    ("project_path", "ref", "audience"),
    [
        ("ml/team/p-deploy", "main", "sts.amazonaws.com"),  # another repository
        ("ml/team/p-build", "feature", "sts.amazonaws.com"),  # another branch
    ],
)
def test_any_other_repository_or_branch_is_denied(local_aws, project_path, ref, audience) -> None:
    arn = _role(local_aws, "project_path:ml/team/p-build:ref_type:branch:ref:main")
    sts = local_aws.client("sts")
    with pytest.raises(
        sts.exceptions.ClientError,
        match=r"AccessDenied.*Not authorized to perform sts:AssumeRoleWithWebIdentity",
    ):
        sts.assume_role_with_web_identity(
            RoleArn=arn, RoleSessionName="ci", WebIdentityToken=_token(project_path, ref, audience)
        )


def test_string_like_patterns_match(local_aws) -> None:
    arn = _role(local_aws, "project_path:ml/team/*:ref_type:branch:ref:main", operator="StringLike")
    sts = local_aws.client("sts")
    assert sts.assume_role_with_web_identity(
        RoleArn=arn, RoleSessionName="ci", WebIdentityToken=_token("ml/team/x")
    )


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("project_path:g/r:ref_type:tag:ref:prod-1", "project_path:g/r:ref_type:tag:ref:prod-*", True),
        ("project_path:g/r:ref_type:branch:ref:main", "project_path:g/r:ref_type:tag:ref:prod-*", False),
        ("ab", "a?", True),
        ("abc", "a?", False),
        # AWS's StringLike knows only * and ?: brackets are literal (fnmatch would read a character set).
        ("a1", "a[0-9]", False),
        ("a[0-9]", "a[0-9]", True),
    ],
)
def test_string_like_has_only_iams_two_wildcards(value: str, pattern: str, expected: bool) -> None:
    from sandbox.local_aws.sts_web_identity import string_like

    assert string_like(value, pattern) is expected


def test_a_token_whose_audience_the_provider_does_not_list_is_an_invalid_identity_token(local_aws) -> None:
    arn = _role(local_aws, "project_path:ml/team/p-build:ref_type:branch:ref:main")
    sts = local_aws.client("sts")
    with pytest.raises(sts.exceptions.ClientError, match=r"InvalidIdentityToken.*Incorrect token audience"):
        sts.assume_role_with_web_identity(
            RoleArn=arn,
            RoleSessionName="ci",
            WebIdentityToken=_token("ml/team/p-build", audience=f"https://{HOST}"),
        )


def test_without_the_issuers_oidc_provider_sts_refuses_the_token(local_aws) -> None:
    arn = _role(local_aws, "project_path:ml/team/p-build:ref_type:branch:ref:main")
    iam = local_aws.client("iam")
    [provider] = iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider["Arn"])
    sts = local_aws.client("sts")
    with pytest.raises(
        sts.exceptions.ClientError,
        match=r"InvalidIdentityToken.*No OpenIDConnect provider found in your account for https://gitlab.example.com",
    ):
        sts.assume_role_with_web_identity(
            RoleArn=arn, RoleSessionName="ci", WebIdentityToken=_token("ml/team/p-build")
        )
