"""The project stack created in moto's CloudFormation the way Studio creates it.

Studio passes only SageMakerProjectName and SageMakerProjectId; the platform values come from the SSM
parameters the platform stack writes. The seeder Lambda is not executed (moto would need Docker): its
invocation is recorded and answered SUCCESS in the test (see conftest.py), which is what lets the stack
complete and its Outputs carry the seeder's answer.
"""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
ROOT = Path(__file__).resolve().parents[2]
PLATFORM_VALUES = {
    "gitlab-url": "https://gitlab.example.com",
    "gitlab-host": "gitlab.example.com",
    "gitlab-group": "ml/projects",
    "gitlab-token-secret-arn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:sagemaker-gitlab/gitlab-token-AbCdEf",
    "oidc-provider-arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.example.com",
    "permissions-boundary-arn": f"arn:aws:iam::{ACCOUNT}:policy/sagemaker-gitlab/sagemaker-gitlab-project-boundary",
    "artifacts-bucket": "sagemaker-gitlab-artifacts-123456789012-us-east-1",
}
NAME = "abalone-regression-with-gitlab-x"  # 32 characters, the longest name Studio allows
PROJECT_ID = "p-abcdefghijkl"
N_I = f"{NAME}-{PROJECT_ID}"
STACK = "SC-123456789012-pp-abcdefghijklm"
PROJECT_TAGS = {"sagemaker:project-name": NAME, "sagemaker:project-id": PROJECT_ID}
ROLE_PREFIX = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-gitlab/{N_I}"


def create_project_stack(**extra: str) -> str:
    parameters = {"SageMakerProjectName": NAME, "SageMakerProjectId": PROJECT_ID, **extra}
    response = boto3.client("cloudformation").create_stack(
        StackName=STACK,
        TemplateBody=(ROOT / "product" / "template.yaml").read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    return str(response["StackId"])


@pytest.fixture
def project(moto_cloud: Any) -> Any:
    assert len(NAME) == 32
    moto_cloud.put_platform_values(PLATFORM_VALUES)
    moto_cloud.put_lambda_code(PLATFORM_VALUES["artifacts-bucket"], "sagemaker-gitlab/0.1.0")
    create_project_stack()
    return moto_cloud


def physical_ids() -> dict[str, str]:
    summaries = boto3.client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return {s["LogicalResourceId"]: s.get("PhysicalResourceId", "") for s in summaries}


def trust_condition(role_name: str) -> dict[str, Any]:
    role = boto3.client("iam").get_role(RoleName=role_name)["Role"]
    document = role["AssumeRolePolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Federated": PLATFORM_VALUES["oidc-provider-arn"]}
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    return dict(statement["Condition"])


def test_stack_waits_for_the_seeder_then_completes_with_its_answer_in_outputs(project: Any) -> None:
    cfn = boto3.client("cloudformation")
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_IN_PROGRESS"
    (event,) = project.events
    assert event["RequestType"] == "Create"
    assert event["ResourceType"] == "Custom::GitLabRepositories"
    project.answer_custom_resource(
        event,
        {
            "BuildRepoId": "41",
            "BuildRepoUrl": f"https://gitlab.example.com/ml/projects/{N_I}-model-build",
            "DeployRepoId": "42",
            "DeployRepoUrl": f"https://gitlab.example.com/ml/projects/{N_I}-model-deploy",
            "TriggerSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:sagemaker-gitlab/{N_I}/deploy-trigger-AbCdEf",
        },
    )
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["BuildRepoUrl"] == f"https://gitlab.example.com/ml/projects/{N_I}-model-build"
    assert outputs["ModelPackageGroupName"] == N_I
    assert outputs["BuildRoleArn"] == f"{ROLE_PREFIX}-build"


def test_seeder_receives_the_documented_properties_with_values_from_the_stack(project: Any) -> None:
    (event,) = project.events
    properties = event["ResourceProperties"]
    bucket = f"sagemaker-gitlab-{PROJECT_ID}-{ACCOUNT}-{REGION}"
    assert (
        properties["ServiceToken"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gitlab-seeder-{PROJECT_ID}"
    )
    assert {
        k: v
        for k, v in properties.items()
        if k not in {"ServiceToken", "BuildRepoVariables", "DeployRepoVariables"}
    } == {
        "ProjectName": NAME,
        "ProjectId": PROJECT_ID,
        "RepositoryDeletionPolicy": "Archive",
        "SeedCodeBucket": PLATFORM_VALUES["artifacts-bucket"],
        "SeedBuildRepoKey": "sagemaker-gitlab/0.1.0/seed_build_repo.zip",
        "SeedDeployRepoKey": "sagemaker-gitlab/0.1.0/seed_deploy_repo.zip",
        "TriggerSecretName": f"sagemaker-gitlab/{N_I}/deploy-trigger",
        "DeployStackNames": [f"sagemaker-{N_I}-deploy-staging", f"sagemaker-{N_I}-deploy-prod"],
    }
    # Platform values reach the seeder through its own environment only (contract C3).
    env = boto3.client("lambda").get_function_configuration(FunctionName=f"gitlab-seeder-{PROJECT_ID}")
    variables = env["Environment"]["Variables"]
    assert variables["GITLAB_URL"] == "https://gitlab.example.com"
    assert variables["GITLAB_TOKEN_SECRET_ARN"] == PLATFORM_VALUES["gitlab-token-secret-arn"]
    assert variables["GITLAB_GROUP_PATH"] == "ml/projects"
    assert variables["SAGEMAKER_PROJECT_NAME"] == NAME
    assert variables["SAGEMAKER_PROJECT_ID"] == PROJECT_ID
    assert variables["PROJECT_STACK_ID"] == event["StackId"]
    common = {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "SAGEMAKER_PROJECT_NAME": NAME,
        "SAGEMAKER_PROJECT_ID": PROJECT_ID,
        "MODEL_PACKAGE_GROUP_NAME": N_I,
        "ARTIFACT_BUCKET": bucket,
    }
    assert properties["BuildRepoVariables"] == {
        **common,
        "SAGEMAKER_PIPELINE_NAME": N_I,
        "SAGEMAKER_PIPELINE_ROLE_ARN": f"{ROLE_PREFIX}-pipeline",
        "BUILD_ROLE_ARN": f"{ROLE_PREFIX}-build",
        "INPUT_DATA_URL": "s3://sagemaker-sample-files/datasets/tabular/uci_abalone/abalone.csv",
    }
    assert properties["DeployRepoVariables"] == {
        **common,
        "MODEL_EXECUTION_ROLE_ARN": f"{ROLE_PREFIX}-model",
        "DEPLOY_CFN_ROLE_ARN": f"{ROLE_PREFIX}-deploy-cfn",
        "STAGING_ROLE_ARN": f"{ROLE_PREFIX}-deploy-staging",
        "PROD_ROLE_ARN": f"{ROLE_PREFIX}-deploy-prod",
        "NOTIFICATION_TOPIC_ARN": f"arn:aws:sns:us-east-1:123456789012:sagemaker-gitlab-{PROJECT_ID}-notifications",
    }
    # Every role named in the variables exists.
    iam = boto3.client("iam")
    for value in [*properties["BuildRepoVariables"].values(), *properties["DeployRepoVariables"].values()]:
        if value.startswith("arn:aws:iam::"):
            assert iam.get_role(RoleName=value.rsplit("/", 1)[1])["Role"]["Arn"] == value


def test_oidc_roles_trust_only_main_of_their_own_repository(project: Any) -> None:
    host = PLATFORM_VALUES["gitlab-host"]
    for suffix, repo in (
        ("build", "model-build"),
        ("deploy-staging", "model-deploy"),
        ("deploy-prod", "model-deploy"),
    ):
        path = f"project_path:ml/projects/{N_I}-{repo}"
        if suffix == "deploy-prod":  # contract C1: protected tags prod-* only
            expected = {
                "StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{host}:sub": f"{path}:ref_type:tag:ref:prod-*"},
            }
        else:
            expected = {
                "StringEquals": {
                    f"{host}:aud": "sts.amazonaws.com",
                    f"{host}:sub": f"{path}:ref_type:branch:ref:main",
                }
            }
        assert trust_condition(f"{N_I}-{suffix}") == expected


def test_group_override_reaches_trust_policies_and_the_seeder(moto_cloud: Any) -> None:
    moto_cloud.put_platform_values(PLATFORM_VALUES)
    moto_cloud.put_lambda_code(PLATFORM_VALUES["artifacts-bucket"], "sagemaker-gitlab/0.1.0")
    create_project_stack(GitLabGroupPath="fraud/team-a", RepositoryDeletionPolicy="Delete")
    (event,) = moto_cloud.events
    seeder = boto3.client("lambda").get_function_configuration(FunctionName=f"gitlab-seeder-{PROJECT_ID}")
    assert seeder["Environment"]["Variables"]["GITLAB_GROUP_PATH"] == "fraud/team-a"
    assert event["ResourceProperties"]["RepositoryDeletionPolicy"] == "Delete"
    condition = trust_condition(f"{N_I}-deploy-prod")
    assert condition["StringLike"]["gitlab.example.com:sub"] == (
        f"project_path:fraud/team-a/{N_I}-model-deploy:ref_type:tag:ref:prod-*"
    )


def test_resources_have_their_names_tags_and_settings(project: Any) -> None:
    ids = physical_ids()
    iam = boto3.client("iam")
    role_names = {name: ids[name] for name in ids if name.endswith("Role")}
    assert len(role_names) == 8
    for logical, role_name in role_names.items():
        role = iam.get_role(RoleName=role_name)["Role"]
        assert len(role_name) <= 64
        assert role["Path"] == "/sagemaker-gitlab/", logical
        assert (
            role["PermissionsBoundary"]["PermissionsBoundaryArn"]
            == PLATFORM_VALUES["permissions-boundary-arn"]
        )
        assert {t["Key"]: t["Value"] for t in role["Tags"]} == PROJECT_TAGS, logical

    bucket = f"sagemaker-gitlab-{PROJECT_ID}-{ACCOUNT}-{REGION}"
    assert ids["ArtifactBucket"] == bucket
    s3 = boto3.client("s3")
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]} == PROJECT_TAGS
    # moto's CloudFormation applies encryption and tags of a bucket (versioning and the public access block
    # are ignored by moto; checkov checks them in the template).
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    lam = boto3.client("lambda")
    trigger = lam.get_function(FunctionName=f"gitlab-trigger-{PROJECT_ID}")
    config = trigger["Configuration"]
    # (moto ignores Architectures; the structure tests check arm64 in the template.)
    assert (config["Runtime"], config["Handler"]) == ("python3.13", "trigger.handler.lambda_handler")
    assert config["Environment"]["Variables"] == {
        "TRIGGER_SECRET_NAME": f"sagemaker-gitlab/{N_I}/deploy-trigger",
        "MODEL_PACKAGE_GROUP_NAME": N_I,
        "NOTIFICATION_TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:sagemaker-gitlab-{PROJECT_ID}-notifications",
    }
    assert config["Role"] == f"{ROLE_PREFIX}-trigger"
    seeder = lam.get_function(FunctionName=f"gitlab-seeder-{PROJECT_ID}")["Configuration"]
    assert (seeder["Handler"], seeder["Timeout"]) == ("seeder.handler.lambda_handler", 900)

    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=f"sagemaker-gitlab-{PROJECT_ID}-trigger-dlq")["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=queue_url)["Tags"] == PROJECT_TAGS
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"
    assert attributes.get("KmsMasterKeyId")

    logs = boto3.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/gitlab-")["logGroups"]
    # No "sagemaker" in the names: AmazonSageMakerFullAccess reaches *sagemaker* functions (issue 12.1).
    assert sorted(g["logGroupName"] for g in groups) == [
        f"/aws/lambda/gitlab-seeder-{PROJECT_ID}",
        f"/aws/lambda/gitlab-trigger-{PROJECT_ID}",
    ]
    assert {g["retentionInDays"] for g in groups} == {365}


def test_approval_rule_routes_only_this_group_to_the_trigger(project: Any) -> None:
    events = boto3.client("events")
    rule = events.describe_rule(Name=f"sagemaker-gitlab-{PROJECT_ID}-approval")
    assert json.loads(rule["EventPattern"]) == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": [N_I]},
    }
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gitlab-trigger-{PROJECT_ID}"
    pending = events.describe_rule(Name=f"sagemaker-gitlab-{PROJECT_ID}-awaiting-approval")
    assert json.loads(pending["EventPattern"])["detail"] == {
        "ModelPackageGroupName": [N_I],
        "ModelApprovalStatus": ["PendingManualApproval"],
    }
    (notify,) = events.list_targets_by_rule(Rule=pending["Name"])["Targets"]
    assert notify["Arn"].endswith(f":sagemaker-gitlab-{PROJECT_ID}-notifications")
    assert "awaits approval" in notify["InputTransformer"]["InputTemplate"]


def test_platform_stack_writes_the_values_the_project_stack_reads(moto_cloud: Any) -> None:
    cfn = boto3.client("cloudformation")
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:sagemaker-gitlab/gitlab-token-AbCdEf"
    parameters = {
        "GitLabUrl": "https://gitlab.internal.example:8443",
        "GitLabGroup": "ml",
        "GitLabTokenSecretArn": secret,
        "StudioExecutionRoleArns": f"arn:aws:iam::{ACCOUNT}:role/studio-a,arn:aws:iam::{ACCOUNT}:role/studio-b",
        "ArtifactsBucketName": "sagemaker-gitlab-artifacts-test",
        "ProductVersion": "0.1.0",
        "ProductTemplateUrl": "https://sagemaker-gitlab-artifacts-test.s3.us-east-1.amazonaws.com/sagemaker-gitlab/0.1.0/template.yaml",
    }
    # The platform's own Lambda (the GitLab token monitor) is read from the artifacts bucket, where
    # scripts/publish uploads it before creating the stack.
    import io
    import zipfile

    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("token_monitor/handler.py", "def lambda_handler(event, context):\n    return None\n")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="sagemaker-gitlab-artifacts-test")
    s3.put_object(
        Bucket="sagemaker-gitlab-artifacts-test",
        Key="sagemaker-gitlab/0.1.0/token_monitor_lambda.zip",
        Body=code.getvalue(),
    )
    cfn.create_stack(
        StackName="sagemaker-gitlab-platform",
        TemplateBody=(ROOT / "product" / "platform.yaml").read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    assert (
        cfn.describe_stacks(StackName="sagemaker-gitlab-platform")["Stacks"][0]["StackStatus"]
        == "CREATE_COMPLETE"
    )
    ssm = boto3.client("ssm")
    values = {
        p["Name"].rsplit("/", 1)[1]: p["Value"]
        for p in ssm.get_parameters_by_path(Path="/sagemaker-gitlab/")["Parameters"]
    }
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/sagemaker-gitlab/sagemaker-gitlab-project-boundary"
    assert values == {
        "gitlab-url": "https://gitlab.internal.example:8443",
        "gitlab-host": "gitlab.internal.example:8443",
        "gitlab-group": "ml",
        "gitlab-token-secret-arn": secret,
        "oidc-provider-arn": f"arn:aws:iam::{ACCOUNT}:oidc-provider/gitlab.internal.example:8443",
        "permissions-boundary-arn": boundary,
        "artifacts-bucket": "sagemaker-gitlab-artifacts-test",
    }
    launch = boto3.client("iam").get_role(RoleName="sagemaker-gitlab-launch")["Role"]
    assert json.loads(json.dumps(launch["AssumeRolePolicyDocument"]))["Statement"][0]["Principal"] == {
        "Service": "servicecatalog.amazonaws.com"
    }
    # The project stack now resolves everything from these parameters.
    moto_cloud.put_lambda_code("sagemaker-gitlab-artifacts-test", "sagemaker-gitlab/0.1.0")
    create_project_stack()
    (event,) = moto_cloud.events
    variables = boto3.client("lambda").get_function_configuration(FunctionName=f"gitlab-seeder-{PROJECT_ID}")[
        "Environment"
    ]["Variables"]
    assert variables["GITLAB_URL"] == "https://gitlab.internal.example:8443"
    assert variables["GITLAB_GROUP_PATH"] == "ml"
    assert event["ResourceProperties"]["SeedCodeBucket"] == "sagemaker-gitlab-artifacts-test"
