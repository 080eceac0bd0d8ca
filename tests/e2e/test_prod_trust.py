"""Issue 12.2 / C1: only a protected prod-* tag of the deploy repo reaches production, in the sandbox's STS.

Renders the staging and prod roles' trust policies from product/template.yaml (as CloudFormation would, with
this test's parameter values), creates the roles in the local AWS, and presents GitLab-shaped ID tokens to
its AssumeRoleWithWebIdentity (which evaluates trust policies like STS: sandbox/local_aws/sts_web_identity.py).
Fast (no lifecycle): runs in the normal suite, beside the end-to-end test that does the same in the live
sandbox (sandbox/sandbox/lifecycle/trust.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from sandbox import oidc
from sandbox.local_aws.server import LocalAws

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
HOST = "gitlab.example.com"
GROUP = "ml/team"
NAME, PROJECT_ID = "abalone", "p-abcdefghijkl"
DEPLOY_REPO = f"{GROUP}/{NAME}-{PROJECT_ID}-model-deploy"
BUILD_REPO = f"{GROUP}/{NAME}-{PROJECT_ID}-model-build"
VALUES = {
    "OidcProviderArn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/{HOST}",
    "GitLabHost": HOST,
    "Group": GROUP,
    "SageMakerProjectName": NAME,
    "SageMakerProjectId": PROJECT_ID,
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": ACCOUNT,
}


def _template() -> dict[str, Any]:
    template, matches = decode_str((ROOT / "product" / "template.yaml").read_text(encoding="utf-8"))
    assert not matches, matches
    return dict(template)


def _sub(value: Any) -> str:
    """Fn::Sub with this test's values (the forms the roles use: a string, or [string, {Group: ...}])."""
    text = value["Fn::Sub"][0] if isinstance(value["Fn::Sub"], list) else value["Fn::Sub"]

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in VALUES, f"no test value for ${{{name}}}"
        return VALUES[name]

    return re.sub(r"\$\{([^}]+)\}", replace, str(text))


def _role(logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = _template()["Resources"][logical_id]["Properties"]
    return properties


def trust_policy(logical_id: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_sub(_role(logical_id)["AssumeRolePolicyDocument"]))
    return document


@pytest.fixture(scope="module")
def roles() -> Iterator[tuple[LocalAws, dict[str, str]]]:
    with LocalAws() as aws:
        iam = aws.client("iam")
        # The platform stack's GitLab OIDC provider: STS refuses web identities whose issuer has none.
        iam.create_open_id_connect_provider(
            Url=f"https://{HOST}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["0" * 40]
        )
        arns = {
            stage: iam.create_role(
                RoleName=f"{NAME}-{PROJECT_ID}-deploy-{stage}",
                AssumeRolePolicyDocument=json.dumps(trust_policy(logical_id)),
            )["Role"]["Arn"]
            for stage, logical_id in (("staging", "DeployStagingRole"), ("prod", "DeployProdRole"))
        }
        yield aws, arns


def token(project_path: str, ref_type: str, ref: str, audience: str = "sts.amazonaws.com") -> str:
    """A job's ID token as GitLab mints it for a pipeline on a branch or a tag (sandbox.oidc's claims)."""
    identity = oidc.JobIdentity(
        f"https://{HOST}", project_path, 7, GROUP, 3, ref, 11, "push", 13, ref_type=ref_type
    )
    return oidc.Signer().sign(oidc.claims(identity, audience))


def assume(roles: tuple[LocalAws, dict[str, str]], stage: str, web_token: str) -> str:
    aws, arns = roles
    sts = aws.client("sts")
    try:
        sts.assume_role_with_web_identity(
            RoleArn=arns[stage], RoleSessionName="ci", WebIdentityToken=web_token
        )
    except sts.exceptions.ClientError as error:
        return str(error.response["Error"]["Code"])
    return "credentials"


def test_a_job_on_main_gets_staging_but_is_refused_production(roles: Any) -> None:
    main = token(DEPLOY_REPO, "branch", "main")
    assert assume(roles, "staging", main) == "credentials"
    assert assume(roles, "prod", main) == "AccessDenied"


@pytest.mark.parametrize("tag", ["prod-v1", "prod-v1-p42", "prod-v12-hotfix"])
def test_a_prod_tag_pipeline_gets_production_and_not_staging(roles: Any, tag: str) -> None:
    promoted = token(DEPLOY_REPO, "tag", tag)
    assert assume(roles, "prod", promoted) == "credentials"
    assert assume(roles, "staging", promoted) == "AccessDenied"


@pytest.mark.parametrize(
    ("project_path", "ref_type", "ref", "audience"),
    [
        (DEPLOY_REPO, "branch", "prod-v1", "sts.amazonaws.com"),  # a branch named like the tag
        (DEPLOY_REPO, "tag", "v1", "sts.amazonaws.com"),  # another tag
        (DEPLOY_REPO, "tag", "release-prod-v1", "sts.amazonaws.com"),  # prod- not at the start
        (BUILD_REPO, "tag", "prod-v1", "sts.amazonaws.com"),  # the build repo's tag
        (
            f"{GROUP}/other-p-zzzzzzzzzzzz-model-deploy",
            "tag",
            "prod-v1",
            "sts.amazonaws.com",
        ),  # another project
        (DEPLOY_REPO, "tag", "prod-v1", f"https://{HOST}"),  # another audience
    ],
)
def test_nothing_else_gets_production(
    roles: Any, project_path: str, ref_type: str, ref: str, audience: str
) -> None:
    # STS checks the audience against the OIDC provider's client ids before any trust policy: another
    # audience is an InvalidIdentityToken (STS AssumeRoleWithWebIdentity errors), the rest AccessDenied.
    expected = "AccessDenied" if audience == "sts.amazonaws.com" else "InvalidIdentityToken"
    assert assume(roles, "prod", token(project_path, ref_type, ref, audience)) == expected


def test_the_prod_role_may_read_the_staging_stack_it_promotes_from() -> None:
    """resolve-prod reads the staging stack's ModelPackageArn with the prod role (DescribeStacks only)."""
    staging_stack = (
        f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/sagemaker-{NAME}-{PROJECT_ID}-deploy-staging/x"
    )
    granted: set[str] = set()
    for policy in _role("DeployProdRole")["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            for resource in resources:
                if not isinstance(resource, str) and "Fn::Sub" not in resource:
                    continue  # !GetAtt of a role: never a stack
                pattern = resource if isinstance(resource, str) else _sub(resource)
                regex = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
                if statement["Effect"] == "Allow" and re.fullmatch(regex, staging_stack):
                    granted.update(actions)
    assert "cloudformation:DescribeStacks" in granted
    writes = {"CreateStack", "UpdateStack", "DeleteStack", "CreateChangeSet", "ExecuteChangeSet"}
    assert not granted & {f"cloudformation:{action}" for action in writes}
