"""Every resource type of the product's templates exists in the local AWS, or CreateStack names the gap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError

from sandbox.local_aws.cfn_resources import EXTRA, NOT_EMULATED, uncreatable_types

ROOT = Path(__file__).resolve().parents[2]
DENY_READS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::outside/*"}
    ],
}
TOPIC_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": "*",
        }
    ],
}
TEMPLATE = {
    "Resources": {
        "Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": "outside", "PolicyDocument": DENY_READS},
        },
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": TOPIC_POLICY},
        },
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "dlq"}},
        "QueuePolicy": {
            "Type": "AWS::SQS::QueuePolicy",
            "Properties": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": TOPIC_POLICY},
        },
        "Subscription": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {
                "TopicArn": {"Ref": "Topic"},
                "Protocol": "sqs",
                "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
                "RawMessageDelivery": True,
            },
        },
        "Alarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": "sagemaker-gitlab-p-abcdefghijkl-trigger-dlq",
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}],
                "Statistic": "Maximum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": [{"Ref": "Topic"}],
            },
        },
        "Repository": {
            "Type": "AWS::SageMaker::CodeRepository",
            "Properties": {
                "CodeRepositoryName": "fraud-p-abcdefghijkl-model-build",
                "GitConfig": {
                    "RepositoryUrl": "https://gitlab.example.com/ml/fraud-p-abcdefghijkl-model-build.git",
                    "Branch": "main",
                },
            },
        },
    },
    "Outputs": {
        "Subscription": {"Value": {"Ref": "Subscription"}},
        "AlarmArn": {"Value": {"Fn::GetAtt": ["Alarm", "Arn"]}},
        "Repository": {"Value": {"Ref": "Repository"}},
    },
}


def test_policies_subscription_alarm_and_code_repository_exist_and_go_with_the_stack(local_aws) -> None:
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="outside")
    s3.put_object(Bucket="outside", Key="k", Body=b"x")
    cfn = local_aws.client("cloudformation")
    cfn.create_stack(StackName="project", TemplateBody=json.dumps(TEMPLATE))
    [stack] = cfn.describe_stacks(StackName="project")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    resources = cfn.describe_stack_resources(StackName="project")["StackResources"]
    assert all(r["PhysicalResourceId"] for r in resources), resources

    with pytest.raises(ClientError, match="AccessDenied"):
        s3.get_object(Bucket="outside", Key="k")  # the bucket policy is applied and enforced
    topic_arn = local_aws.client("sns").list_topics()["Topics"][0]["TopicArn"]
    attributes = local_aws.client("sns").get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    assert json.loads(attributes["Policy"]) == TOPIC_POLICY
    sqs = local_aws.client("sqs")
    queue_url = sqs.get_queue_url(QueueName="dlq")["QueueUrl"]
    assert (
        json.loads(
            sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])["Attributes"]["Policy"]
        )
        == TOPIC_POLICY
    )
    [subscription] = local_aws.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    assert subscription["SubscriptionArn"] == outputs["Subscription"]
    assert subscription["Protocol"] == "sqs"
    [alarm] = local_aws.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert alarm["AlarmName"] == "sagemaker-gitlab-p-abcdefghijkl-trigger-dlq"
    assert alarm["AlarmArn"] == outputs["AlarmArn"]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": "dlq"}]
    assert alarm["AlarmActions"] == [topic_arn]
    sagemaker = local_aws.client("sagemaker")
    repository = sagemaker.describe_code_repository(CodeRepositoryName="fraud-p-abcdefghijkl-model-build")
    assert repository["CodeRepositoryArn"] == outputs["Repository"]
    assert (
        repository["CodeRepositoryArn"]
        == "arn:aws:sagemaker:us-east-1:123456789012:code-repository/fraud-p-abcdefghijkl-model-build"
    )
    assert repository["GitConfig"]["Branch"] == "main"

    cfn.delete_stack(StackName="project")
    assert s3.get_object(Bucket="outside", Key="k")["Body"].read() == b"x"
    assert local_aws.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert sagemaker.list_code_repositories()["CodeRepositorySummaryList"] == []
    with pytest.raises(ClientError, match="ValidationException"):
        sagemaker.describe_code_repository(CodeRepositoryName="fraud-p-abcdefghijkl-model-build")


def test_a_type_the_sandbox_cannot_create_fails_create_stack_naming_it(local_aws) -> None:
    template = {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPCEndpointService", "Properties": {}},
            "Q": {"Type": "AWS::SQS::Queue"},
        }
    }
    cfn = local_aws.client("cloudformation")
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName="s", TemplateBody=json.dumps(template))
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "[AWS::EC2::VPCEndpointService]" in refused.value.response["Error"]["Message"]
    assert cfn.list_stacks()["StackSummaries"] == []


@pytest.mark.parametrize(
    "template", ["product/template.yaml", "product/platform.yaml", "seed_deploy_repo/templates/endpoint.yaml"]
)
def test_every_type_of_the_products_templates_is_created_or_deliberately_not_emulated(
    local_aws, template
) -> None:
    from moto.cloudformation.parsing import get_model_map

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    body = yaml.load((ROOT / template).read_text(encoding="utf-8"), Loader=Loader)  # noqa: S506 - SafeLoader subclass
    assert uncreatable_types(body, lambda t: t in EXTRA or t in get_model_map()) == []
    skipped = {r["Type"] for r in body["Resources"].values()} & set(NOT_EMULATED)
    assert skipped <= {t for t in NOT_EMULATED if t.startswith("AWS::ServiceCatalog::")}


def test_the_platforms_oidc_provider_is_created_and_referenced_by_arn(local_aws) -> None:
    template = {
        "Resources": {
            "Provider": {
                "Type": "AWS::IAM::OIDCProvider",
                "Properties": {"Url": "https://gitlab.example.com", "ClientIdList": ["sts.amazonaws.com"]},
            }
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Provider"}}},
    }
    cfn = local_aws.client("cloudformation")
    cfn.create_stack(StackName="platform", TemplateBody=json.dumps(template))
    [output] = cfn.describe_stacks(StackName="platform")["Stacks"][0]["Outputs"]
    assert output["OutputValue"] == "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"
    iam = local_aws.client("iam")
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [
        output["OutputValue"]
    ]
    cfn.delete_stack(StackName="platform")
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
