"""The monitor end to end: moto for Secrets Manager and SNS (messages read back through an SQS
subscription), the GitLab emulator through real HTTP."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws

from token_monitor.handler import lambda_handler
from token_monitor.monitor import Config, run
from token_monitor.secret import MonitorError

REGION = "eu-west-1"


class AwsWorld:
    def __init__(self) -> None:
        self.sm = boto3.client("secretsmanager", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.topic_arn = self.sns.create_topic(Name="gitlab-token-alerts")["TopicArn"]
        queue_url = self.sqs.create_queue(QueueName="inbox")["QueueUrl"]
        self.queue_url = queue_url
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)

    def secret(self, value: str) -> str:
        return str(self.sm.create_secret(Name="gitlab-token", SecretString=value)["ARN"])

    def messages(self) -> list[dict[str, Any]]:
        got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsWorld]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield AwsWorld()


def _today() -> Any:
    return datetime.now(UTC).date()


def _run(aws: AwsWorld, gitlab_url: str, secret_arn: str, caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    config = Config(gitlab_url=gitlab_url, secret_arn=secret_arn, topic_arn=aws.topic_arn)
    logger = logging.getLogger("token_monitor.test")
    with caplog.at_level(logging.INFO, logger="token_monitor.test"), requests.Session() as session:
        return run(config, sm=aws.sm, sns=aws.sns, session=session, today=_today(), logger=logger)


def test_token_with_30_days_left_notifies_once_with_steps(
    aws: AwsWorld, gitlab_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # The seeded group token expires in 30 days: the first warning day.
    arn = aws.secret(json.dumps({"token": gitlab_server.token}))
    summary = _run(aws, gitlab_server.url, arn, caplog)
    assert summary["status"] == "expiring"
    assert summary["days_left"] == 30
    assert summary["token_name"] == "sagemaker-seeder"
    assert summary["notified"] is True
    [message] = aws.messages()
    assert message["Subject"].startswith("The platform's GitLab token expires in 30 days")
    assert f"--secret-id {arn}" in message["Message"]
    assert gitlab_server.token not in message["Message"]
    assert gitlab_server.token not in caplog.text
    assert '"event": "token.checked"' in caplog.text


def test_token_far_from_expiry_stays_quiet(
    aws: AwsWorld, gitlab_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    token = gitlab_server.make_token(expires_at=_today() + timedelta(days=200))
    summary = _run(aws, gitlab_server.url, aws.secret(token.value), caplog)
    assert summary == {
        "status": "ok",
        "days_left": 200,
        "expires_at": (_today() + timedelta(days=200)).isoformat(),
        "token_id": token.id,
        "token_name": token.name,
        "notified": False,
    }
    assert aws.messages() == []


@pytest.mark.parametrize("how", ["revoke", "expire"])
def test_refused_token_sends_loud_message(
    aws: AwsWorld, gitlab_server: Any, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    getattr(gitlab_server, how)(gitlab_server.token)
    summary = _run(aws, gitlab_server.url, aws.secret(gitlab_server.token), caplog)
    assert summary["status"] == "refused"
    [message] = aws.messages()
    assert message["Subject"].startswith("ACTION REQUIRED")
    assert "updating or deleting existing projects fails" in message["Message"]
    assert gitlab_server.token not in caplog.text


def test_unreadable_secret_raises_actionable_error(
    aws: AwsWorld, gitlab_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    missing = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:nope-AbCdEf"
    with pytest.raises(MonitorError, match="cannot read the GitLab token secret"):
        _run(aws, gitlab_server.url, missing, caplog)
    assert aws.messages() == []


def test_gitlab_server_error_raises_so_the_errors_alarm_fires(
    aws: AwsWorld, gitlab_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    gitlab_server.inject("GET /personal_access_tokens/self", 503)
    with pytest.raises(MonitorError, match="HTTP 503"):
        _run(aws, gitlab_server.url, aws.secret(gitlab_server.token), caplog)


def test_handler_reads_its_environment(
    aws: AwsWorld, gitlab_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_URL", gitlab_server.url)
    monkeypatch.setenv("GITLAB_TOKEN_SECRET_ARN", aws.secret(gitlab_server.token))
    monkeypatch.setenv("TOPIC_ARN", aws.topic_arn)
    monkeypatch.setenv("WARN_DAYS", "45")
    result = lambda_handler({}, None)
    # 30 days left is not a warning day when the first warning is at 45.
    assert result["days_left"] == 30
    assert result["notified"] is False


def test_handler_names_missing_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("GITLAB_URL", "GITLAB_TOKEN_SECRET_ARN", "TOPIC_ARN"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(MonitorError, match="GITLAB_URL, GITLAB_TOKEN_SECRET_ARN, TOPIC_ARN"):
        lambda_handler({}, None)
