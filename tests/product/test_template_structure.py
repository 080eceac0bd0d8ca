"""Structural rules of the templates: tags, least privilege, pinned trust, name lengths, contracts."""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

PROJECT_TAGS = {
    "sagemaker:project-name": {"Ref": "SageMakerProjectName"},
    "sagemaker:project-id": {"Ref": "SageMakerProjectId"},
}
# Worst case for name lengths: a 32-character project name, a 14-character project id, the longest
# region names and the longest partition.
WORST_CASE = {
    "SageMakerProjectName": "n" * 32,
    "SageMakerProjectId": "p-abcdefghijkl",
    "AWS::AccountId": "123456789012",
    "AWS::Region": "ap-southeast-4",
    "AWS::Partition": "aws-us-gov",
}
NAME_LIMITS = {
    "AWS::IAM::Role": ("RoleName", 64),
    "AWS::Lambda::Function": ("FunctionName", 64),
    "AWS::S3::Bucket": ("BucketName", 63),
    "AWS::SNS::Topic": ("TopicName", 256),
    "AWS::SQS::Queue": ("QueueName", 80),
    "AWS::Events::Rule": ("Name", 64),
    "AWS::CloudWatch::Alarm": ("AlarmName", 255),
    "AWS::Logs::LogGroup": ("LogGroupName", 512),
    "AWS::SageMaker::CodeRepository": ("CodeRepositoryName", 63),
    "AWS::SageMaker::ModelPackageGroup": ("ModelPackageGroupName", 63),
    "AWS::KMS::Alias": ("AliasName", 256),
}


def taggable(resource_type: str) -> bool:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    return "Tags" in schema.get("properties", {})


def tags_of(properties: dict[str, Any]) -> dict[str, Any]:
    tags = properties.get("Tags", {})
    if isinstance(tags, dict):  # AWS::SSM::Parameter uses a map
        return tags
    return {tag["Key"]: tag["Value"] for tag in tags}


def sub_string(value: Any, variables: dict[str, str]) -> str:
    """Evaluate a name given as a plain string or a Fn::Sub with only parameter/pseudo references."""
    if isinstance(value, str):
        return value
    if "Fn::Sub" in value:
        template = value["Fn::Sub"]
        assert isinstance(template, str), f"name must be a simple Fn::Sub: {value}"
        unresolved = set(re.findall(r"\$\{([^}]+)\}", template)) - set(variables)
        assert not unresolved, f"name depends on {unresolved}"
        return re.sub(r"\$\{([^}]+)\}", lambda match: variables[match.group(1)], template)
    raise AssertionError(f"unsupported name expression {value}")


def policy_documents(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every IAM-style policy document in a resource (trust policies given as JSON strings included)."""

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if "Statement" in node:
                yield node
                return
            if "Fn::Sub" in node:
                template = node["Fn::Sub"][0] if isinstance(node["Fn::Sub"], list) else node["Fn::Sub"]
                if isinstance(template, str) and '"Statement"' in template:
                    yield json.loads(re.sub(r"\$\{[^}]+\}", "X", template))
                    return
            for child in node.values():
                yield from walk(child)
        elif isinstance(node, list):
            for child in node:
                yield from walk(child)

    yield from walk(resource.get("Properties", {}))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(params=["project", "platform"])
def template(
    request: pytest.FixtureRequest, project_template: dict[str, Any], platform_template: dict[str, Any]
) -> dict[str, Any]:
    return project_template if request.param == "project" else platform_template


def test_every_taggable_project_resource_carries_the_project_tags(project_template: dict[str, Any]) -> None:
    checked = 0
    for name, resource in project_template["Resources"].items():
        if resource["Type"].startswith("Custom::") or not taggable(resource["Type"]):
            continue
        tags = tags_of(resource.get("Properties", {}))
        assert {key: tags.get(key) for key in PROJECT_TAGS} == PROJECT_TAGS, name
        checked += 1
    assert checked >= 25


def test_every_taggable_platform_resource_is_tagged(platform_template: dict[str, Any]) -> None:
    for name, resource in platform_template["Resources"].items():
        # SSM parameters get the same tag from the stack's tags (see the comment in platform.yaml and
        # test_publish: the stack is created with it).
        if taggable(resource["Type"]) and resource["Type"] != "AWS::SSM::Parameter":
            assert tags_of(resource.get("Properties", {})).get("sagemaker-gitlab:component") == "platform", (
                name
            )


def test_no_wildcard_actions_and_star_resources_only_with_a_written_reason(template: dict[str, Any]) -> None:
    for name, resource in template["Resources"].items():
        for document in policy_documents(resource):
            for statement in as_list(document["Statement"]):
                assert "NotAction" not in statement, name
                assert "NotResource" not in statement, name
                actions = as_list(statement.get("Action", []))
                if statement["Effect"] == "Allow":
                    wildcards = [action for action in actions if "*" in action]
                    assert wildcards == [], f"{name}: wildcard actions {wildcards}"
                elif name == "LaunchRole":
                    # The launch role's only Deny: every IAM action on its own ARN (issue 12.4).
                    assert statement["Action"] == "iam:*", name
                    assert statement["Resource"] == {
                        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role"
                        + resource["Properties"]["Path"]
                        + resource["Properties"]["RoleName"]
                    }
                    continue
                else:
                    # The other Deny is the TLS-only bucket policy, which must cover every action.
                    assert statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}, name
                    continue
                if "*" in as_list(statement.get("Resource", [])):
                    reason = resource.get("Metadata", {}).get("StarResourceReason", "")
                    assert len(reason) > 40, (
                        f"{name}: Resource '*' in {statement.get('Sid')} without a reason"
                    )


def test_oidc_trust_is_pinned_on_audience_and_ref_of_one_repository(
    project_template: dict[str, Any],
) -> None:
    expected_repo = {
        "BuildRole": "model-build",
        "DeployStagingRole": "model-deploy",
        "DeployProdRole": "model-deploy",
    }
    for name, repo in expected_repo.items():
        document = project_template["Resources"][name]["Properties"]["AssumeRolePolicyDocument"]
        template, variables = document["Fn::Sub"]
        trust = json.loads(template)
        (statement,) = trust["Statement"]
        assert statement["Principal"] == {"Federated": "${OidcProviderArn}"}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        path = f"project_path:${{Group}}/${{SageMakerProjectName}}-${{SageMakerProjectId}}-{repo}"
        if name == "DeployProdRole":
            # Contract C1: production only from a protected tag prod-* (only Maintainers create it).
            assert statement["Condition"] == {
                "StringEquals": {"${GitLabHost}:aud": "sts.amazonaws.com"},
                "StringLike": {"${GitLabHost}:sub": f"{path}:ref_type:tag:ref:prod-*"},
            }
        else:
            assert statement["Condition"] == {
                "StringEquals": {
                    "${GitLabHost}:aud": "sts.amazonaws.com",
                    "${GitLabHost}:sub": f"{path}:ref_type:branch:ref:main",
                }
            }
        assert variables == {
            "Group": {
                "Fn::If": ["HasGroupOverride", {"Ref": "GitLabGroupPath"}, {"Ref": "GitLabDefaultGroup"}]
            }
        }


def test_every_project_role_has_the_platform_permissions_boundary(project_template: dict[str, Any]) -> None:
    roles = {name: r for name, r in project_template["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert len(roles) == 8
    for name, role in roles.items():
        assert role["Properties"]["PermissionsBoundary"] == {"Ref": "PermissionsBoundaryArn"}, name
        assert role["Properties"]["Path"] == "/sagemaker-gitlab/", name


def test_launch_role_creates_roles_only_with_the_boundary_and_under_the_project_path(
    platform_template: dict[str, Any],
) -> None:
    statements = platform_template["Resources"]["LaunchRole"]["Properties"]["Policies"][0]["PolicyDocument"][
        "Statement"
    ]
    creating = [s for s in statements if "iam:CreateRole" in as_list(s["Action"])]
    assert len(creating) == 1
    assert creating[0]["Condition"] == {
        "StringEquals": {"iam:PermissionsBoundary": {"Ref": "ProjectRoleBoundary"}}
    }
    assert creating[0]["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/sagemaker-gitlab/*"
    }
    pass_role = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert all(
        s["Condition"]["StringEquals"]["iam:PassedToService"] == "lambda.amazonaws.com" for s in pass_role
    )


def test_names_fit_their_limits_for_a_32_character_project_name(project_template: dict[str, Any]) -> None:
    checked = 0
    for name, resource in project_template["Resources"].items():
        if resource["Type"] not in NAME_LIMITS:
            continue
        prop, limit = NAME_LIMITS[resource["Type"]]
        value = sub_string(resource["Properties"][prop], WORST_CASE)
        assert len(value) <= limit, f"{name}.{prop} = {value} ({len(value)} > {limit})"
        if resource["Type"] == "AWS::S3::Bucket":
            assert value == value.lower()
        checked += 1
    assert checked == 26  # every named resource of the template
    seeder = project_template["Resources"]["GitLabRepositories"]["Properties"]
    assert len(sub_string(seeder["TriggerSecretName"], WORST_CASE)) <= 512
    for stack in seeder["DeployStackNames"]:
        assert len(sub_string(stack, WORST_CASE)) <= 128
    n, i = WORST_CASE["SageMakerProjectName"], WORST_CASE["SageMakerProjectId"]
    assert max(len(f"{n}-{i}-staging"), len(f"{n}-{i}-prod")) <= 63  # endpoint names (contract)


def test_lambdas_run_python_3_13_on_arm64_with_dead_letter_queues(project_template: dict[str, Any]) -> None:
    functions = {
        n: r["Properties"]
        for n, r in project_template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function"
    }
    assert {n: p["Handler"] for n, p in functions.items()} == {
        "TriggerFunction": "trigger.handler.lambda_handler",
        "SeederFunction": "seeder.handler.lambda_handler",
    }
    for properties in functions.values():
        assert properties["Runtime"] == "python3.13"
        assert properties["Architectures"] == ["arm64"]
        assert "TargetArn" in properties["DeadLetterConfig"]
        assert "LogGroup" in properties["LoggingConfig"]
    assert functions["SeederFunction"]["Timeout"] == 900


def test_approval_delivery_has_retries_a_dead_letter_queue_and_an_alarm(
    project_template: dict[str, Any],
) -> None:
    resources = project_template["Resources"]
    (target,) = resources["ApprovalRule"]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["TriggerFunction", "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["TriggerDeadLetterQueue", "Arn"]}}
    alarm = resources["TriggerDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["TriggerDeadLetterQueue", "QueueName"]}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": "NotificationTopic"}]
    assert resources["NotificationTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "ProjectKey"}
    assert resources["TriggerInvokeConfig"]["Properties"]["MaximumRetryAttempts"] == 2
    assert resources["NotificationSubscription"]["Condition"] == "HasNotificationEmail"


def test_seeder_custom_resource_has_exactly_the_documented_properties(
    project_template: dict[str, Any],
) -> None:
    resource = project_template["Resources"]["GitLabRepositories"]
    assert resource["Type"] == "Custom::GitLabRepositories"
    properties = resource["Properties"]
    assert set(properties) == {
        "ServiceToken", "ProjectName", "ProjectId",
        "RepositoryDeletionPolicy", "SeedCodeBucket", "SeedBuildRepoKey", "SeedDeployRepoKey", "TriggerSecretName",
        "DeployStackNames", "BuildRepoVariables", "DeployRepoVariables",
    }  # fmt: skip
    common = {
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "SAGEMAKER_PROJECT_NAME",
        "SAGEMAKER_PROJECT_ID",
        "MODEL_PACKAGE_GROUP_NAME",
        "ARTIFACT_BUCKET",
    }
    assert set(properties["BuildRepoVariables"]) == common | {
        "SAGEMAKER_PIPELINE_NAME", "SAGEMAKER_PIPELINE_ROLE_ARN", "BUILD_ROLE_ARN", "INPUT_DATA_URL",
    }  # fmt: skip
    assert set(properties["DeployRepoVariables"]) == common | {
        "MODEL_EXECUTION_ROLE_ARN", "DEPLOY_CFN_ROLE_ARN", "STAGING_ROLE_ARN", "PROD_ROLE_ARN",
        "NOTIFICATION_TOPIC_ARN",
    }  # fmt: skip


def test_custom_resource_attributes_are_used_only_in_outputs(project_template: dict[str, Any]) -> None:
    # moto creates resources that reference a custom resource before it answers (DESIGN.md).
    text = json.dumps(project_template["Resources"])
    assert "GitLabRepositories.Build" not in text
    assert '["GitLabRepositories", ' not in text
    outputs = json.dumps(project_template["Outputs"])
    assert '"GitLabRepositories", "BuildRepoUrl"' in outputs


def test_studio_facing_parameters(project_template: dict[str, Any]) -> None:
    parameters = project_template["Parameters"]
    without_default = {name for name, p in parameters.items() if "Default" not in p}
    assert without_default == {"SageMakerProjectName", "SageMakerProjectId"}  # all Studio passes
    assert parameters["RepositoryDeletionPolicy"]["Default"] == "Archive"
    assert parameters["RepositoryDeletionPolicy"]["AllowedValues"] == ["Retain", "Archive", "Delete"]
    assert (
        parameters["InputDataUrl"]["Default"]
        == "s3://sagemaker-sample-files/datasets/tabular/uci_abalone/abalone.csv"
    )
    ssm = {
        name: p["Default"]
        for name, p in parameters.items()
        if p["Type"] == "AWS::SSM::Parameter::Value<String>"
    }
    assert ssm == {
        "GitLabUrl": "/sagemaker-gitlab/gitlab-url",
        "GitLabHost": "/sagemaker-gitlab/gitlab-host",
        "GitLabDefaultGroup": "/sagemaker-gitlab/gitlab-group",
        "GitLabTokenSecretArn": "/sagemaker-gitlab/gitlab-token-secret-arn",
        "OidcProviderArn": "/sagemaker-gitlab/oidc-provider-arn",
        "PermissionsBoundaryArn": "/sagemaker-gitlab/permissions-boundary-arn",
        "ArtifactsBucket": "/sagemaker-gitlab/artifacts-bucket",
    }
    assert re.fullmatch(parameters["SageMakerProjectName"]["AllowedPattern"], "n" * 32)
    assert parameters["SageMakerProjectName"]["MaxLength"] == 32


def test_platform_writes_every_parameter_the_project_template_reads(
    project_template: dict[str, Any], platform_template: dict[str, Any]
) -> None:
    read = {
        p["Default"]
        for p in project_template["Parameters"].values()
        if p["Type"].startswith("AWS::SSM::Parameter::")
    }
    written = {
        r["Properties"]["Name"]
        for r in platform_template["Resources"].values()
        if r["Type"] == "AWS::SSM::Parameter"
    }
    assert read == written


def test_no_secret_values_iam_users_or_access_keys(template: dict[str, Any]) -> None:
    types = {resource["Type"] for resource in template["Resources"].values()}
    assert not types & {"AWS::IAM::User", "AWS::IAM::AccessKey", "AWS::SecretsManager::Secret"}
    text = json.dumps(template)
    assert not re.search(r"glpat-|AKIA[0-9A-Z]{16}|SecretString", text)


def test_project_id_parameter_refuses_ids_not_in_studios_format(project_template: dict[str, Any]) -> None:
    # Issue 12.3: "abcdefghijkl" would make "*-abcdefghijkl" grants match project p-abcdefghijkl's resources.
    pattern = re.compile(project_template["Parameters"]["SageMakerProjectId"]["AllowedPattern"])
    assert pattern.fullmatch("p-abcdefghijkl")
    for bad in ("abcdefghijkl", "p-abcdefghijk", "p-ABCDEFGHIJKL", "x-abcdefghijkl", "p-abcdefghijklm"):
        assert not pattern.fullmatch(bad), bad


def test_prod_and_staging_trusts_cannot_match_one_token(project_template: dict[str, Any]) -> None:
    # Issue 12.2: a staging job's sub (ref_type:branch:ref:main) must not satisfy the prod trust's pattern.
    subs = {}
    for name in ("DeployStagingRole", "DeployProdRole"):
        template, _ = project_template["Resources"][name]["Properties"]["AssumeRolePolicyDocument"]["Fn::Sub"]
        condition = json.loads(template)["Statement"][0]["Condition"]
        subs[name] = {**condition.get("StringEquals", {}), **condition.get("StringLike", {})}[
            "${GitLabHost}:sub"
        ]
    prod = re.compile(re.escape(subs["DeployProdRole"]).replace(r"\*", ".*"))
    assert not prod.fullmatch(subs["DeployStagingRole"])
    assert prod.fullmatch(
        subs["DeployStagingRole"].replace(":ref_type:branch:ref:main", ":ref_type:tag:ref:prod-1")
    )
