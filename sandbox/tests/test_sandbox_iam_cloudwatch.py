"""CloudWatch requests are authorised as cloudwatch:* on the named alarm, not as the signing name monitoring:*."""

from __future__ import annotations

from typing import Any

from sandbox.local_aws import iam_resources

ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:sagemaker-gitlab-p-1-prod-5xx-errors"


def params_of(values: dict[str, Any]) -> Any:
    return values.get


def test_the_signing_name_monitoring_is_the_iam_prefix_cloudwatch() -> None:
    assert iam_resources.iam_action("monitoring", "DescribeAlarms") == "cloudwatch:DescribeAlarms"
    assert iam_resources.iam_action("sns", "Publish") == "sns:Publish"


def test_one_named_alarm_is_the_resource_in_either_protocol() -> None:
    name = "sagemaker-gitlab-p-1-prod-5xx-errors"
    for values in ({"AlarmNames": [name]}, {"AlarmNames.member.1": name}):
        resource = iam_resources.resource_of(
            "monitoring", "DescribeAlarms", params_of(values), "us-east-1", "123456789012"
        )
        assert resource == ARN


def test_several_or_no_alarms_are_authorised_against_star() -> None:
    for values in ({"AlarmNames": ["a", "b"]}, {"AlarmNames.member.1": "a", "AlarmNames.member.2": "b"}, {}):
        assert iam_resources.resource_of("monitoring", "DescribeAlarms", params_of(values), "r", "1") == "*"
