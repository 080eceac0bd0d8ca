"""The "no Approved model left" notification, delivered through moto SNS to a subscribed SQS queue."""

from __future__ import annotations

from typing import Any

import boto3

from trigger.events import ApprovalStatus, PackageStateChange
from trigger.notify import publish_no_approved_left

GROUP = "abalone-p-abcdefghijkl"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{GROUP}/3"


def test_notification_reaches_subscribers_and_says_what_to_do(inbox: Any) -> None:
    change = PackageStateChange(
        "evt-7", GROUP, ARN, 3, ApprovalStatus.REJECTED, ("ModelApprovalStatus",), None, None
    )
    message_id = publish_no_approved_left(
        boto3.client("sns", region_name="us-east-1"), inbox.topic_arn, change
    )
    [delivered] = inbox.messages()
    assert delivered["MessageId"] == message_id
    assert delivered["Subject"] == "ACTION NEEDED: no Approved model left in abalone-p-abcdefghijkl"
    body = delivered["Message"]
    assert f"Model package {ARN} (version 3)" in body
    assert "is now Rejected" in body
    assert "Nothing was deployed" in body
    assert "approve a model package" in body
    assert "sagemaker-abalone-p-abcdefghijkl-deploy-staging" in body
    assert "evt-7" in body


def test_subject_fits_sns_limit(inbox: Any) -> None:
    group = "a" * 32 + "-p-abcdefghijkl"
    change = PackageStateChange(
        "e", group, ARN.replace(GROUP, group), 3, ApprovalStatus.PENDING, ("ModelApprovalStatus",), None, None
    )
    publish_no_approved_left(boto3.client("sns", region_name="us-east-1"), inbox.topic_arn, change)
    [delivered] = inbox.messages()
    assert len(delivered["Subject"]) <= 100
    assert "is now PendingManualApproval" in delivered["Message"]
