"""CloudFormation custom resources backed by the local Lambda: Create, FAILED → rollback, Delete."""

from __future__ import annotations

import json

import pytest

SOURCE = """
import json, os, urllib.request
import boto3

def handler(event, context):
    props = event["ResourceProperties"]
    boto3.client("s3").put_object(
        Bucket="requests", Key=event["RequestType"] + "/" + event["RequestId"], Body=json.dumps(event)
    )
    failing = props.get("FailOn") == event["RequestType"]
    body = {
        "Status": "FAILED" if failing else "SUCCESS",
        "Reason": "group 'ml/team' not found" if failing else "",
        "PhysicalResourceId": event.get("PhysicalResourceId") or "gitlab:ml/team/" + props["Name"],
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"RepoUrl": "http://git/" + props["Name"]},
    }
    request = urllib.request.Request(
        event["ResponseURL"], data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": ""}
    )
    urllib.request.urlopen(request).read()
"""


def _template(function_arn: str, fail_on: str = "") -> str:
    return json.dumps(
        {
            "Resources": {
                "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "side-effect"}},
                "Repos": {
                    "Type": "Custom::GitLabRepositories",
                    "Properties": {"ServiceToken": function_arn, "Name": "p-1", "FailOn": fail_on},
                },
            },
            "Outputs": {"RepoUrl": {"Value": {"Fn::GetAtt": ["Repos", "RepoUrl"]}}},
        }
    )


def _settled(aws, name: str) -> dict:
    """The stack once the custom resources' background work (the Lambda invocation, a rollback it caused)
    has ended: joined threads, no polling of the stack status."""
    assert aws.state.drain(30), f"{name}: custom resource work still running after 30 s"
    return aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


def _requests(aws, kind: str) -> list[dict]:
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="requests", Prefix=kind + "/").get("Contents", [])]
    return [json.loads(s3.get_object(Bucket="requests", Key=k)["Body"].read()) for k in keys]


@pytest.fixture
def seeder(local_aws, make_function):
    local_aws.client("s3").create_bucket(Bucket="requests")
    return make_function("seeder", SOURCE, Timeout=30)


def test_create_answers_with_data_and_delete_sends_physical_id(local_aws, seeder):
    cfn = local_aws.client("cloudformation")
    cfn.create_stack(StackName="project", TemplateBody=_template(seeder))
    stack = _settled(local_aws, "project")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Outputs"] == [{"OutputKey": "RepoUrl", "OutputValue": "http://git/p-1"}]
    [create] = _requests(local_aws, "Create")
    assert create["ResourceType"] == "Custom::GitLabRepositories"
    assert create["ResourceProperties"]["Name"] == "p-1"

    cfn.delete_stack(StackName="project")
    [delete] = _requests(local_aws, "Delete")
    assert delete["PhysicalResourceId"] == "gitlab:ml/team/p-1"
    assert delete["ResourceProperties"]["Name"] == "p-1"
    assert (
        cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"][0]["StackName"] == "project"
    )


def test_failed_create_rolls_the_stack_back_and_deletes_what_was_made(local_aws, seeder):
    cfn = local_aws.client("cloudformation")
    cfn.create_stack(StackName="project", TemplateBody=_template(seeder, fail_on="Create"))
    stack = _settled(local_aws, "project")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cfn.describe_stack_events(StackName="project")["StackEvents"]
    ]
    assert any(
        "Received response status [FAILED] from custom resource. Message returned: group 'ml/team' not found"
        in r
        for r in reasons
    )
    # CloudFormation's rollback deletes the custom resource too, with the id its failed Create returned.
    [delete] = _requests(local_aws, "Delete")
    assert delete["PhysicalResourceId"] == "gitlab:ml/team/p-1"
    assert "side-effect" not in str(local_aws.client("sqs").list_queues().get("QueueUrls", []))


def test_failed_delete_leaves_the_stack_delete_failed(local_aws, seeder):
    cfn = local_aws.client("cloudformation")
    cfn.create_stack(StackName="project", TemplateBody=_template(seeder, fail_on="Delete"))
    assert _settled(local_aws, "project")["StackStatus"] == "CREATE_COMPLETE"
    cfn.delete_stack(StackName="project")
    stack = cfn.describe_stacks(StackName="project")["Stacks"][0]
    assert stack["StackStatus"] == "DELETE_FAILED"
