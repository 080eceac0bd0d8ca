"""K2: metric alarms evaluated from stored metric data, with AWS's states, reasons and SNS notifications.

Periods are AWS seconds compressed by sandbox_clock.FACTOR (60): a 60 s period is one real second, so the
tests place data points at explicit timestamps and evaluate at explicit instants instead of waiting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.utils import utcnow

from sandbox.local_aws import cloudwatch_alarms, sandbox_clock

DIMS = [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "AllTraffic"}]


@pytest.fixture
def cloudwatch(local_aws: Any) -> Iterator[Any]:
    cloudwatch_alarms.BACKGROUND.clear()
    try:
        yield local_aws.client("cloudwatch")
    finally:
        cloudwatch_alarms.BACKGROUND.set()


@pytest.fixture
def inbox(local_aws: Any) -> tuple[str, str]:
    """(topic ARN, queue URL) with the queue subscribed (raw delivery off: the SNS envelope arrives)."""
    sns, sqs = local_aws.client("sns"), local_aws.client("sqs")
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, queue


def _messages(local_aws: Any, queue: str) -> list[dict[str, Any]]:
    sqs = local_aws.client("sqs")
    received = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in received]


def _alarm(cloudwatch: Any, name: str) -> dict[str, Any]:
    return dict(cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0])


def _backend(local_aws: Any) -> Any:
    return cloudwatch_backends[local_aws.state.account_id][local_aws.state.region]


def test_errors_alarm_fires_notifies_and_recovers(local_aws, cloudwatch, inbox):
    topic, queue = inbox
    cloudwatch.put_metric_alarm(
        AlarmName="ep-errors",
        AlarmDescription="5XX errors on ep",
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=DIMS,
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    assert _alarm(cloudwatch, "ep-errors")["StateValue"] == "INSUFFICIENT_DATA"
    period = timedelta(seconds=sandbox_clock.real_seconds(60))
    assert period == timedelta(seconds=1)
    start = utcnow()
    for value in (0, 1, 1):
        cloudwatch.put_metric_data(
            Namespace="AWS/SageMaker",
            MetricData=[
                {"MetricName": "Invocation5XXErrors", "Dimensions": DIMS, "Value": value, "Timestamp": start}
            ],
        )
    assert cloudwatch_alarms.evaluate_backend(_backend(local_aws), start + period / 2) == ["ep-errors"]
    alarm = _alarm(cloudwatch, "ep-errors")
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [2.0 (")
    assert alarm["StateReason"].endswith(
        "was greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition)."
    )
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [2.0]
    (envelope,) = _messages(local_aws, queue)
    assert envelope["Subject"] == 'ALARM: "ep-errors" in US East (N. Virginia)'
    message = json.loads(envelope["Message"])
    assert (message["AlarmName"], message["NewStateValue"], message["OldStateValue"]) == (
        "ep-errors",
        "ALARM",
        "INSUFFICIENT_DATA",
    )
    assert message["AlarmDescription"] == "5XX errors on ep"
    assert message["Trigger"]["MetricName"] == "Invocation5XXErrors"
    assert message["Trigger"]["Statistic"] == "SUM"
    assert message["Trigger"]["Dimensions"] == [
        {"value": "ep", "name": "EndpointName"},
        {"value": "AllTraffic", "name": "VariantName"},
    ]
    # Unchanged state: no second notification.
    assert cloudwatch_alarms.evaluate_backend(_backend(local_aws), start + period / 2) == []
    # Two periods later no data: notBreaching counts the missing period as good.
    assert cloudwatch_alarms.evaluate_backend(_backend(local_aws), start + 3 * period) == ["ep-errors"]
    assert _alarm(cloudwatch, "ep-errors")["StateValue"] == "OK"
    (ok,) = _messages(local_aws, queue)
    assert json.loads(ok["Message"])["NewStateValue"] == "OK"


def test_m_of_n_missing_data_and_percentiles(local_aws, cloudwatch):
    cloudwatch.put_metric_alarm(
        AlarmName="latency",
        Namespace="AWS/SageMaker",
        MetricName="ModelLatency",
        Dimensions=DIMS,
        ExtendedStatistic="p90",
        Period=60,
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        Threshold=1000,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    period = timedelta(seconds=1)
    start = utcnow()
    backend = _backend(local_aws)
    # No data at all, TreatMissingData missing: stays INSUFFICIENT_DATA.
    assert cloudwatch_alarms.evaluate_backend(backend, start) == []

    def put(offset: timedelta, values: list[float]) -> None:
        cloudwatch.put_metric_data(
            Namespace="AWS/SageMaker",
            MetricData=[
                {"MetricName": "ModelLatency", "Dimensions": DIMS, "Value": v, "Timestamp": start + offset}
                for v in values
            ],
        )

    # Period 1: p90 of ten values (nine small, one large) is the 9th smallest, under the threshold.
    put(timedelta(0), [100.0] * 9 + [5000.0])
    # Period 2: breaching.
    put(period, [2000.0, 3000.0])
    assert cloudwatch_alarms.evaluate_backend(backend, start + 2 * period) == ["latency"]
    assert _alarm(cloudwatch, "latency")["StateValue"] == "OK"  # 1 of the 3 breaches, 2 needed
    put(2 * period, [1500.0])
    assert cloudwatch_alarms.evaluate_backend(backend, start + 3 * period) == ["latency"]
    alarm = _alarm(cloudwatch, "latency")
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints")


def test_metric_math_error_rate(local_aws, cloudwatch):
    def stat(query_id: str, metric: str) -> dict[str, Any]:
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {"Namespace": "AWS/SageMaker", "MetricName": metric, "Dimensions": DIMS},
                "Period": 60,
                "Stat": "Sum",
            },
            "ReturnData": False,
        }

    cloudwatch.put_metric_alarm(
        AlarmName="rate",
        Metrics=[
            stat("errors", "Invocation5XXErrors"),
            stat("calls", "Invocations"),
            {"Id": "rate", "Expression": "errors / calls * 100", "ReturnData": True},
        ],
        EvaluationPeriods=1,
        Threshold=20,
        ComparisonOperator="GreaterThanThreshold",
    )
    start = utcnow()
    data = [("Invocations", 1.0)] * 4 + [("Invocation5XXErrors", 1.0)] + [("Invocation5XXErrors", 0.0)] * 3
    cloudwatch.put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[{"MetricName": m, "Dimensions": DIMS, "Value": v, "Timestamp": start} for m, v in data],
    )
    cloudwatch_alarms.evaluate_backend(_backend(local_aws), start + timedelta(seconds=0.5))
    assert _alarm(cloudwatch, "rate")["StateValue"] == "ALARM"  # 1 / 4 = 25 % > 20 %
