"""Loud notifications to the project's people (the project stack's SNS topic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trigger.events import PackageStateChange

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

SUBJECT_LIMIT = 100  # SNS rejects longer subjects.


def no_approved_left_message(change: PackageStateChange) -> tuple[str, str]:
    """Subject and body of the "nothing to roll back to" notification."""
    subject = f"ACTION NEEDED: no Approved model left in {change.group_name}"[:SUBJECT_LIMIT]
    body = (
        f"Model package {change.package_arn} (version {change.version}) of group {change.group_name} "
        f"is now {change.status.value}, and no Approved model package remains in the group.\n\n"
        "Nothing was deployed: there is no model to roll back to. If this package was deployed, its "
        "endpoints keep serving it.\n\n"
        "To fix: approve a model package in the SageMaker Model Registry (that deploys it), or delete "
        f"the deploy stacks sagemaker-{change.group_name}-deploy-staging / -prod to take the endpoints "
        "down.\n\n"
        f"EventBridge event id: {change.event_id}"
    )
    return subject, body


def publish_no_approved_left(sns: SNSClient, topic_arn: str, change: PackageStateChange) -> str:
    """Publish the notification; returns the SNS message id."""
    subject, body = no_approved_left_message(change)
    answer = sns.publish(TopicArn=topic_arn, Subject=subject, Message=body)
    return answer["MessageId"]
