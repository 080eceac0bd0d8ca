"""The enforcement hook in a running local AWS: callers, resource policies, PassRole, audit vs enforce."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.local_aws.server import LocalAws

ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    ],
}


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    with LocalAws(iam_mode="enforce") as local:
        yield local


def session(aws: LocalAws, name: str, statements: list[dict[str, Any]]) -> Any:
    iam = aws.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    if statements:
        document = {"Version": "2012-10-17", "Statement": statements}
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    credentials = aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{name}", RoleSessionName="test"
    )["Credentials"]

    def make(service: str) -> Any:
        return aws.client(service, credentials)

    return make


def code_of(call: Any) -> str | None:
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return None


def test_admin_calls_are_counted_as_admin(aws: LocalAws) -> None:
    aws.client("s3").create_bucket(Bucket="admin-bucket-1")
    assert aws.iam_log.summary()["admin_actions"]["s3:CreateBucket"] >= 1


def test_unknown_access_key_is_refused(aws: LocalAws) -> None:
    client = boto3.client(
        "sqs",
        endpoint_url=aws.endpoint_url,
        region_name=aws.region,
        aws_access_key_id="AKIA" + "NEVERISSUED00000",  # built here: no key-shaped literal in the tree
        aws_secret_access_key="x",
    )
    assert code_of(lambda: client.list_queues()) == "InvalidClientTokenId"


def test_bucket_policy_allows_a_role_within_the_account(aws: LocalAws) -> None:
    make = session(aws, "no-identity-s3", [])
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="shared-bucket-1")
    assert (
        code_of(lambda: make("s3").put_object(Bucket="shared-bucket-1", Key="k", Body=b"x")) == "AccessDenied"
    )
    grant = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/no-identity-s3"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::shared-bucket-1/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="shared-bucket-1", Policy=json.dumps(grant))
    assert code_of(lambda: make("s3").put_object(Bucket="shared-bucket-1", Key="k", Body=b"x")) is None


def test_kms_needs_the_key_policy_to_delegate_to_the_account(aws: LocalAws) -> None:
    make = session(aws, "kms-user", [{"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}])
    kms = aws.client("kms")
    own = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/someone-else"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    closed = kms.create_key(Policy=json.dumps(own))["KeyMetadata"]["KeyId"]
    delegated = kms.create_key()["KeyMetadata"]["KeyId"]  # the default key policy enables IAM policies
    assert code_of(lambda: make("kms").describe_key(KeyId=closed)) == "AccessDeniedException"
    assert code_of(lambda: make("kms").describe_key(KeyId=delegated)) is None


def test_passing_a_role_needs_pass_role(aws: LocalAws) -> None:
    model_role = f"arn:aws:iam::{ACCOUNT}:role/model"
    create = {"Effect": "Allow", "Action": "sagemaker:CreateModel", "Resource": "*"}
    make = session(aws, "no-pass-role", [create])
    log = aws.iam_log
    before = len(log.denials)
    container = {"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1"}
    call = lambda: make("sagemaker").create_model(  # noqa: E731
        ModelName="m1", ExecutionRoleArn=model_role, PrimaryContainer=container
    )
    assert code_of(call) == "AccessDeniedException"
    assert [(d.action, d.resource) for d in log.denials[before:]] == [("iam:PassRole", model_role)]
    pass_role = {
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": model_role,
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    }
    make = session(aws, "with-pass-role", [create, pass_role])
    assert (
        code_of(
            call := lambda: make("sagemaker").create_model(
                ModelName="m2", ExecutionRoleArn=model_role, PrimaryContainer=container
            )
        )
        is None
    ), call


def test_tolerated_denial_is_refused_and_marked(aws: LocalAws) -> None:
    make = session(aws, "no-list-buckets", [])
    log = aws.iam_log
    before = len(log.denials)
    assert code_of(lambda: make("s3").list_buckets()) == "AccessDenied"
    assert [(d.action, d.tolerated) for d in log.denials[before:]] == [("s3:ListAllMyBuckets", True)]


def test_audit_mode_records_but_allows(aws: LocalAws) -> None:
    make = session(aws, "auditee", [])
    log = aws.iam_log
    log.mode = "audit"
    try:
        before = len(log.denials)
        assert code_of(lambda: make("sqs").create_queue(QueueName="audited")) is None
        assert [d.action for d in log.denials[before:]] == ["sqs:CreateQueue"]
    finally:
        log.mode = "enforce"


def test_head_bucket_is_authorised_as_list_bucket(aws: LocalAws) -> None:
    # S3 API Reference, HeadBucket: "you must have permissions to perform the s3:ListBucket action".
    aws.client("s3").create_bucket(Bucket="head-bucket-1")
    lister = session(
        aws,
        "lister",
        [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::head-bucket-1"}],
    )
    assert code_of(lambda: lister("s3").head_bucket(Bucket="head-bucket-1")) is None
    log = aws.iam_log
    before = len(log.denials)
    nobody = session(aws, "not-a-lister", [])
    assert code_of(lambda: nobody("s3").head_bucket(Bucket="head-bucket-1")) == "403"  # HEAD: no body
    assert [d.action for d in log.denials[before:]] == ["s3:ListBucket"]


MODEL_TEMPLATE = {
    "Resources": {
        "Model": {
            "Type": "AWS::SageMaker::Model",
            "Properties": {
                "ModelName": "Deployed-Model",
                "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/model",
                "PrimaryContainer": {"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1"},
            },
        }
    }
}


def cfn_role(aws: LocalAws, name: str, actions: list[str]) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudformation.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam = aws.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    statements = [
        {"Effect": "Allow", "Action": actions, "Resource": f"arn:aws:sagemaker:*:{ACCOUNT}:model/deployed-*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/model"},
    ]
    document = {"Version": "2012-10-17", "Statement": statements}
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(document))
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def test_stack_service_role_creates_and_deletes_the_resources(aws: LocalAws) -> None:
    cfn = aws.client("cloudformation")
    role = cfn_role(aws, "cfn-full", ["sagemaker:CreateModel", "sagemaker:DeleteModel"])
    cfn.create_stack(StackName="model-ok", TemplateBody=json.dumps(MODEL_TEMPLATE), RoleARN=role)
    assert aws.client("sagemaker").describe_model(ModelName="Deployed-Model")["ModelName"] == "Deployed-Model"
    assert aws.iam_log.calls[(role, "sagemaker:CreateModel")] == 1
    cfn.delete_stack(StackName="model-ok")
    assert aws.iam_log.calls[(role, "sagemaker:DeleteModel")] == 1


def test_stack_service_role_without_create_permission_is_denied(aws: LocalAws) -> None:
    cfn = aws.client("cloudformation")
    role = cfn_role(aws, "cfn-no-create", ["sagemaker:DeleteModel"])
    log = aws.iam_log
    before = len(log.denials)
    # CreateStack answers (CloudFormation checks the role's rights per resource, later); the stack fails and
    # rolls back with the refused call as its reason.
    cfn.create_stack(StackName="model-denied", TemplateBody=json.dumps(MODEL_TEMPLATE), RoleARN=role)
    model_arn = f"arn:aws:sagemaker:{aws.region}:{ACCOUNT}:model/deployed-model"
    assert [(d.action, d.resource) for d in log.denials[before:]] == [("sagemaker:CreateModel", model_arn)]
    assert cfn.describe_stacks(StackName="model-denied")["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cfn.describe_stack_events(StackName="model-denied")["StackEvents"]
    ]
    assert any(f"is not authorized to perform sagemaker:CreateModel on {model_arn}" in r for r in reasons), (
        reasons
    )


def test_stack_role_alarm_is_checked_on_its_own_arn(aws: LocalAws) -> None:
    # The deploy stacks' role may create only the project's alarms: the check uses the alarm's ARN, not "*".
    cfn = aws.client("cloudformation")
    iam = aws.client("iam")
    role = cfn_role(aws, "cfn-alarms", ["sagemaker:DeleteModel"])
    allowed = f"arn:aws:cloudwatch:{aws.region}:{ACCOUNT}:alarm:project-errors"
    grant = {
        "Effect": "Allow",
        "Action": [
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:ListTagsForResource",
        ],
        "Resource": allowed,
    }
    document = {"Version": "2012-10-17", "Statement": [grant]}
    iam.put_role_policy(RoleName="cfn-alarms", PolicyName="alarms", PolicyDocument=json.dumps(document))

    def alarm(name: str) -> str:
        properties = {
            "AlarmName": name,
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocation5XXErrors",
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        }
        body = {
            "Resources": {"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}},
            "Outputs": {"Alarm": {"Value": {"Ref": "Alarm"}}},
        }
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(body), RoleARN=role)
        return str(cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"])

    assert alarm("project-errors") == "CREATE_COMPLETE"
    assert alarm("other-errors") == "ROLLBACK_COMPLETE"


def test_stack_role_reads_the_created_resource_with_its_tags(aws: LocalAws) -> None:
    # The Endpoint handler polls DescribeEndpoint once the endpoint exists: a condition on the endpoint's
    # tags (aws:ResourceTag) sees them (a check before creation would find no tags and deny).
    tags = [{"Key": "sagemaker:project-id", "Value": "p-tagged"}]
    container = {"Image": "123.dkr.ecr.us-east-1.amazonaws.com/x:1"}
    variant = {
        "ModelName": "tagged-model",
        "VariantName": "AllTraffic",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    template = {
        "Resources": {
            "Model": {
                "Type": "AWS::SageMaker::Model",
                "Properties": {
                    "ModelName": "tagged-model",
                    "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/model",
                    "PrimaryContainer": container,
                },
            },
            "Config": {
                "Type": "AWS::SageMaker::EndpointConfig",
                "DependsOn": "Model",
                "Properties": {"EndpointConfigName": "tagged-config", "ProductionVariants": [variant]},
            },
            "Endpoint": {
                "Type": "AWS::SageMaker::Endpoint",
                "Properties": {
                    "EndpointName": "tagged-endpoint",
                    "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
                    "Tags": tags,
                },
            },
        }
    }
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudformation.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    statements = [
        {
            "Effect": "Allow",
            "Action": ["sagemaker:Create*", "sagemaker:AddTags", "iam:PassRole"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": "sagemaker:DescribeEndpoint",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/sagemaker:project-id": "p-tagged"}},
        },
    ]
    iam = aws.client("iam")
    iam.create_role(RoleName="cfn-tagged", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(
        RoleName="cfn-tagged",
        PolicyName="p",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/cfn-tagged"
    log = aws.iam_log
    before = len(log.denials)
    aws.client("cloudformation").create_stack(
        StackName="tagged", TemplateBody=json.dumps(template), RoleARN=role
    )
    assert log.denials[before:] == []
    assert log.calls[(role, "sagemaker:DescribeEndpoint")] == 1
