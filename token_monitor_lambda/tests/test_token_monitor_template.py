"""The monitor's block in product/platform.yaml: what the function may do, and how it is run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from release.render import parse_template

PLATFORM = Path(__file__).resolve().parents[2] / "product" / "platform.yaml"


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(parse_template(PLATFORM.read_text(encoding="utf-8"))["Resources"])


def test_role_reads_only_the_token_secret_and_publishes_only_to_the_topic(resources: dict[str, Any]) -> None:
    [policy] = resources["TokenMonitorRole"]["Properties"]["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements["ReadTheGitLabTokenSecret"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["ReadTheGitLabTokenSecret"]["Resource"] == {"Ref": "GitLabTokenSecretArn"}
    assert statements["PublishTokenAlerts"]["Action"] == "sns:Publish"
    assert statements["PublishTokenAlerts"]["Resource"] == {"Ref": "TokenAlertsTopic"}
    for statement in statements.values():
        assert statement["Resource"] != "*"
        assert statement["Effect"] == "Allow"
    assert set(statements) == {
        "ReadTheGitLabTokenSecret",
        "PublishTokenAlerts",
        "EncryptTokenAlerts",
        "WriteItsLogGroup",
    }


def test_function_runs_daily_alone_with_its_own_log_group(resources: dict[str, Any]) -> None:
    function = resources["TokenMonitorFunction"]["Properties"]
    assert "sagemaker" not in function["FunctionName"].lower()
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "token_monitor.handler.lambda_handler"
    assert function["ReservedConcurrentExecutions"] == 1
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "TokenMonitorLogGroup"}
    assert set(function["Environment"]["Variables"]) == {
        "GITLAB_URL",
        "GITLAB_TOKEN_SECRET_ARN",
        "TOPIC_ARN",
        "WARN_DAYS",
    }
    assert resources["TokenMonitorLogGroup"]["Properties"]["RetentionInDays"] == 90
    assert resources["TokenMonitorSchedule"]["Properties"]["ScheduleExpression"] == "cron(0 7 * * ? *)"
    assert resources["TokenAlertsTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "TokenAlertsKey"}
    alarm = resources["TokenMonitorErrorsAlarm"]["Properties"]
    assert alarm["MetricName"] == "Errors"
    assert alarm["AlarmActions"] == [{"Ref": "TokenAlertsTopic"}]
