"""The attacks of issue 12, tried on the rendered policies with a small IAM evaluator (iam_eval.py).

Each test performs an escalation a project role, the launch role or a foreign resource could try, sees it
refused, and sees the legitimate call still allowed (the sandbox does not enforce IAM yet, issue 11).
"""

import json
from pathlib import Path
from typing import Any

import iam_catalogue as catalogue
import iam_eval as evaluate  # helper modules: tests/product is on pytest's pythonpath
import iam_render as render
from cfnlint.decode import decode_str

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


ACCOUNT, REGION = render.ACCOUNT, render.REGION


def load(path: Path) -> dict[str, Any]:
    template, matches = decode_str(path.read_text(encoding="utf-8"))
    assert not matches, matches
    return dict(template)


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
