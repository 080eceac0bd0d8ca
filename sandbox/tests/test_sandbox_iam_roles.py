"""The product's roles, authorised by the sandbox: with one needed permission removed from a copy of the
template's policy, the sandbox denies exactly that call; with the template as it is, it allows it.

The policies are the template's, rendered by tests/product/iam_render.py (fixed account and region
eu-west-1, every !Sub/!GetAtt/!Ref resolved); the project roles carry the platform's permissions boundary,
as the template sets it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from iam_render import ACCOUNT, REGION, policies_of

from sandbox.local_aws.server import LocalAws

ROOT = Path(__file__).resolve().parents[2]
STACK_STAGING = "sagemaker-abalone-p-abcdefghijkl-deploy-staging"
TOKEN_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:platform/gitlab-token-AbCdEf"
PROJECT_BUCKET = f"sagemaker-gitlab-p-abcdefghijkl-{ACCOUNT}-{REGION}"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:sagemaker-gitlab-p-abcdefghijkl-notifications"


def _template(name: str) -> dict[str, Any]:
    from cfnlint.decode import decode_str

    template, matches = decode_str((ROOT / "product" / name).read_text(encoding="utf-8"))
    assert not matches, matches
    return dict(template)


def identity_documents(template: str, logical: str) -> list[dict[str, Any]]:
    return [
        p.document for p in policies_of(_template(template)) if p.resource == logical and p.kind == "identity"
    ]


def without(documents: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """A copy of the documents with `action` removed from every statement that lists it."""
    cut = copy.deepcopy(documents)
    removed = 0
    for document in cut:
        statements = []
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if action in actions:
                removed += 1
                actions = [a for a in actions if a != action]
                if not actions:
                    continue
                statement["Action"] = actions
            statements.append(statement)
        document["Statement"] = statements
    assert removed, f"{action} is not listed in the template's policy"
    return cut


def _call_describe_stacks(make: Any) -> Any:
    return make("cloudformation").describe_stacks(StackName=STACK_STAGING)


def _call_put_model_artifact(make: Any) -> Any:
    return make("s3").put_object(Bucket=PROJECT_BUCKET, Key="pipelines/model.tar.gz", Body=b"model")


def _call_describe_launch_stack(make: Any) -> Any:
    return make("cloudformation").describe_stacks(StackName="SC-123456789012-pp-abcdefghijklm")


def _call_get_token(make: Any) -> Any:
    return make("secretsmanager").get_secret_value(SecretId=TOKEN_SECRET)


def _call_publish(make: Any) -> Any:
    return make("sns").publish(TopicArn=TOPIC, Message="approved")


CASES = [
    # (template, role, boundary?, removed action, the call, the resource AWS authorises it on)
    (
        "template.yaml",
        "DeployStagingRole",
        True,
        "cloudformation:DescribeStacks",
        _call_describe_stacks,
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_STAGING}/*",
    ),
    (
        "template.yaml",
        "PipelineExecutionRole",
        True,
        "s3:PutObject",
        _call_put_model_artifact,
        f"arn:aws:s3:::{PROJECT_BUCKET}/pipelines/model.tar.gz",
    ),
    (
        "platform.yaml",
        "LaunchRole",
        False,
        "cloudformation:DescribeStacks",
        _call_describe_launch_stack,
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/SC-123456789012-pp-abcdefghijklm/*",
    ),
    ("template.yaml", "SeederRole", True, "secretsmanager:GetSecretValue", _call_get_token, TOKEN_SECRET),
    ("template.yaml", "TriggerRole", True, "sns:Publish", _call_publish, TOPIC),
]


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    # The local AWS in its default region; the calls are signed for the rendered region (eu-west-1).
    with LocalAws(iam_mode="enforce") as local:
        boundary = next(
            p.document for p in policies_of(_template("platform.yaml")) if p.resource == "ProjectRoleBoundary"
        )
        local.client("iam").create_policy(PolicyName="boundary", PolicyDocument=json.dumps(boundary))
        local.client("s3").create_bucket(Bucket=PROJECT_BUCKET)
        yield local


def role_session(aws: LocalAws, name: str, documents: list[dict[str, Any]], boundary: bool) -> Any:
    iam = aws.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    extra = {"PermissionsBoundary": f"arn:aws:iam::{ACCOUNT}:policy/boundary"} if boundary else {}
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **extra)
    for index, document in enumerate(documents):
        iam.put_role_policy(RoleName=name, PolicyName=f"p{index}", PolicyDocument=json.dumps(document))
    credentials = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}", RoleSessionName="case"
    )["Credentials"]

    def make(service: str) -> Any:
        return aws.client(service, credentials, region=REGION)

    return make


def _error_code(call: Any, make: Any) -> str | None:
    from botocore.exceptions import ClientError

    try:
        call(make)
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


@pytest.mark.parametrize(
    ("template", "role", "boundary", "action", "call", "resource"), CASES, ids=[c[1] for c in CASES]
)
def test_one_permission_removed_is_exactly_the_denied_call(
    aws: LocalAws, template: str, role: str, boundary: bool, action: str, call: Any, resource: str
) -> None:
    documents = identity_documents(template, role)
    log = aws.iam_log

    before = len(log.denials)
    code = _error_code(call, role_session(aws, f"{role}-full", documents, boundary))
    assert code not in ("AccessDenied", "AccessDeniedException"), log.denials[before:]
    assert log.denials[before:] == []

    before = len(log.denials)
    code = _error_code(call, role_session(aws, f"{role}-cut", without(documents, action), boundary))
    assert code in ("AccessDenied", "AccessDeniedException", "AuthorizationError")
    denied = [(d.action, d.resource) for d in log.denials[before:]]
    assert denied == [(action, resource)]
