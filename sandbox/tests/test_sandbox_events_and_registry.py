"""EventBridge → Lambda / SNS targets, and the Model Registry's "Model Package State Change" events."""

from __future__ import annotations

import json

import pytest

RECORDER = """
import json, boto3

def handler(event, context):
    if isinstance(event, dict) and event.get("detail", {}).get("ModelApprovalStatus") == "Rejected":
        raise RuntimeError("gitlab unavailable")
    boto3.client("s3").put_object(Bucket="received", Key=context.aws_request_id, Body=json.dumps(event))
"""

GROUP = "p-1"


def _received(aws, count: int, timeout_s: float = 30) -> list[dict]:
    """The events the recorder function stored, once the deliveries in flight have ended.

    Waits on the local AWS's background work (event-driven: it joins the delivery threads) instead of
    polling the bucket, so a missing event fails at once after delivery, not at the timeout.
    """
    assert aws.state.drain(timeout_s), f"event deliveries still running after {timeout_s} s"
    s3 = aws.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="received").get("Contents", [])]
    assert len(keys) <= count, f"more events than the {count} expected: {keys}"
    return [json.loads(s3.get_object(Bucket="received", Key=k)["Body"].read()) for k in keys]


@pytest.fixture
def approval_rule(local_aws, make_function):
    local_aws.client("s3").create_bucket(Bucket="received")
    function_arn = make_function("trigger", RECORDER, Timeout=30)
    sqs = local_aws.client("sqs")
    dlq_url = sqs.create_queue(QueueName="trigger-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events = local_aws.client("events")
    events.put_rule(
        Name="approvals",
        EventPattern=json.dumps(
            {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "detail": {"ModelPackageGroupName": [GROUP]},
            }
        ),
    )
    events.put_targets(
        Rule="approvals",
        Targets=[{"Id": "trigger", "Arn": function_arn, "DeadLetterConfig": {"Arn": dlq_arn}}],
    )
    sm = local_aws.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    sm.create_model_package_group(ModelPackageGroupName="other-group")
    return dlq_url


def _register(sm, group: str = GROUP) -> str:
    return sm.create_model_package(
        ModelPackageGroupName=group,
        ModelApprovalStatus="PendingManualApproval",
        CustomerMetadataProperties={"GitCommit": "abc123"},
        InferenceSpecification={
            "Containers": [{"Image": "xgboost", "ModelDataUrl": "s3://b/model.tar.gz"}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    )["ModelPackageArn"]


def test_registration_and_approval_reach_the_lambda_target_as_sagemaker_events(local_aws, approval_rule):
    sm = local_aws.client("sagemaker")
    arn = _register(sm)
    _register(sm, "other-group")  # filtered out by the rule's pattern
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved")
    received = _received(local_aws, 2)
    assert len(received) == 2
    by_status = {e["detail"]["ModelApprovalStatus"]: e for e in received}
    assert set(by_status) == {"PendingManualApproval", "Approved"}
    approved = by_status["Approved"]
    assert approved["source"] == "aws.sagemaker"
    assert approved["detail-type"] == "SageMaker Model Package State Change"
    assert approved["resources"] == [arn]
    assert approved["detail"]["ModelPackageArn"] == arn
    assert approved["detail"]["ModelPackageGroupName"] == GROUP
    assert approved["detail"]["ModelPackageVersion"] == 1
    assert isinstance(approved["detail"]["CreationTime"], int)
    assert approved["time"].endswith("Z")
    # SageMaker keeps metadata that an approval-only update does not mention (moto used to drop it).
    assert sm.describe_model_package(ModelPackageName=arn)["CustomerMetadataProperties"] == {
        "GitCommit": "abc123"
    }


def test_metadata_only_update_emits_no_event(local_aws, approval_rule):
    sm = local_aws.client("sagemaker")
    arn = _register(sm)
    sm.update_model_package(ModelPackageArn=arn, ApprovalDescription="looked fine")
    received = _received(local_aws, 2)
    assert [e["detail"]["ModelApprovalStatus"] for e in received] == ["PendingManualApproval"]


def test_a_function_that_keeps_failing_sends_the_event_to_the_dead_letter_queue(local_aws, approval_rule):
    sm = local_aws.client("sagemaker")
    arn = _register(sm)
    sm.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Rejected")
    sqs = local_aws.client("sqs")
    assert local_aws.state.drain(30), "event delivery (with its retries) still running after 30 s"
    messages = sqs.receive_message(QueueUrl=approval_rule, MessageAttributeNames=["All"]).get("Messages", [])
    assert len(messages) == 1
    dead = json.loads(messages[0]["Body"])
    assert dead["detail"]["ModelApprovalStatus"] == "Rejected"
    assert "gitlab unavailable" in messages[0]["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"]


def test_sns_target_with_input_transformer_reaches_an_sqs_subscriber(local_aws):
    sns, sqs, events = local_aws.client("sns"), local_aws.client("sqs"), local_aws.client("events")
    topic = sns.create_topic(Name="notifications")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    events.put_rule(
        Name="pending",
        EventPattern=json.dumps({"detail": {"ModelApprovalStatus": ["PendingManualApproval"]}}),
    )
    events.put_targets(
        Rule="pending",
        Targets=[
            {
                "Id": "topic",
                "Arn": topic,
                "InputTransformer": {
                    "InputPathsMap": {"arn": "$.detail.ModelPackageArn"},
                    "InputTemplate": '"Model <arn> awaits approval"',
                },
            }
        ],
    )
    sm = local_aws.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=GROUP)
    arn = _register(sm)
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=2).get("Messages", [])
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"])["Message"].strip('"') == f"Model {arn} awaits approval"
