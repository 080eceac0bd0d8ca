"""deployer.rollout_watch and deployer.traffic, with fakes shaped like the documented API answers.

DescribeEndpoint: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html;
DescribeAlarms: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html;
Publish: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer import stack_events
from deployer.rollout_watch import RolloutWatch, alarm_names_of, for_stack, rollback_failure
from deployer.traffic import SteadyTraffic

ENDPOINT = "abalone-p-abc-prod"
ERRORS = "sagemaker-gitlab-p-abc-prod-5xx-errors"
LATENCY = "sagemaker-gitlab-p-abc-prod-model-latency"
TOPIC = "arn:aws:sns:us-east-1:123456789012:sagemaker-gitlab-p-abc-notifications"


def updating(status: str, new_weight: float) -> dict[str, Any]:
    return {
        "EndpointName": ENDPOINT,
        "EndpointStatus": "Updating",
        "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentWeight": 1.0 - new_weight}],
        "PendingDeploymentSummary": {
            "EndpointConfigName": "prod-new",
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "CurrentWeight": new_weight,
                    "VariantStatus": [{"Status": status}],
                }
            ],
        },
    }


ROLLING_BACK = {"EndpointName": ENDPOINT, "EndpointStatus": "RollingBack"}
ROLLED_BACK = {
    "EndpointName": ENDPOINT,
    "EndpointStatus": "InService",
    "FailureReason": f"Rolled back: alarm {ERRORS} in ALARM",
    "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentWeight": 1.0}],
}


def alarms(errors: str, latency: str = "OK") -> dict[str, Any]:
    return {
        "MetricAlarms": [
            {"AlarmName": ERRORS, "StateValue": errors},
            {"AlarmName": LATENCY, "StateValue": latency},
        ],
        "CompositeAlarms": [],
    }


class FakeSageMaker:
    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers: Iterator[dict[str, Any]] = iter(answers)

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        assert EndpointName == ENDPOINT
        return next(self.answers)


class FakeCloudWatch:
    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.answers = iter(answers)
        self.calls: list[dict[str, Any]] = []
        self.current: dict[str, Any] = {}

    def describe_alarms(self, **kwargs: Any) -> dict[str, Any]:
        # The watch asks for one alarm at a time: answer with that alarm from the scripted poll.
        self.calls.append(kwargs)
        if kwargs["AlarmNames"] == [ERRORS]:
            self.current = next(self.answers)
        [name] = kwargs["AlarmNames"]
        return {"MetricAlarms": [a for a in self.current["MetricAlarms"] if a["AlarmName"] == name]}


class FakeSns:
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs: Any) -> dict[str, Any]:
        self.published.append(kwargs)
        return {"MessageId": "m-1"}


def watch_of(
    endpoints: list[dict[str, Any]], alarm_answers: list[dict[str, Any]]
) -> tuple[RolloutWatch, list[str]]:
    printed: list[str] = []
    watch = RolloutWatch(
        FakeSageMaker(endpoints), FakeCloudWatch(alarm_answers), ENDPOINT, [ERRORS, LATENCY], printed.append
    )
    return watch, printed


def test_each_phase_is_printed_once_and_the_fired_alarm_is_remembered() -> None:
    watch, printed = watch_of(
        [
            updating("Creating", 0.0),
            updating("ActivatingTraffic", 0.1),
            updating("ActivatingTraffic", 0.1),
            updating("Baking", 0.1),
            ROLLING_BACK,
        ],
        [alarms("OK"), alarms("OK"), alarms("ALARM"), alarms("ALARM"), alarms("OK")],
    )
    for _ in range(5):
        watch.poll()
    assert printed == [
        "  rollout: new fleet: Creating, 0% of traffic",
        "  rollout: new fleet: ActivatingTraffic, 10% of traffic",
        f"  rollout: alarm {ERRORS} is in ALARM",
        "  rollout: new fleet: Baking, 10% of traffic",
        "  rollout: rolling back: the previous fleet takes all traffic again",
    ]
    # The alarm was back to OK at the last poll: what fired is still known.
    assert watch.fired == [ERRORS]
    assert watch.rolled_back
    assert watch.cloudwatch.calls[:2] == [
        {"AlarmNames": [ERRORS], "AlarmTypes": ["MetricAlarm"]},
        {"AlarmNames": [LATENCY], "AlarmTypes": ["MetricAlarm"]},
    ]


def test_a_rollback_fails_with_the_alarm_and_both_packages_and_is_published() -> None:
    watch, _ = watch_of([updating("Baking", 1.0), ROLLED_BACK], [alarms("ALARM"), alarms("OK")])
    watch.poll()
    sns = FakeSns()
    text = rollback_failure(
        watch,
        "stack s ended in UPDATE_ROLLBACK_COMPLETE",
        stage="prod",
        rejected_package="arn:pkg/3",
        serving_package="arn:pkg/2",
        sns=sns,
        topic_arn=TOPIC,
    )
    assert text is not None
    assert f"Alarm(s): {ERRORS}." in text
    assert "Package arn:pkg/3 does not serve; arn:pkg/2 still serves all traffic" in text
    assert f"Notified {TOPIC} (message m-1)." in text
    assert text.endswith("stack s ended in UPDATE_ROLLBACK_COMPLETE")
    [notice] = sns.published
    assert notice["TopicArn"] == TOPIC
    assert notice["Subject"] == "Deployment to prod rolled back"
    assert f"Alarm(s): {ERRORS}." in notice["Message"]


def test_a_failure_that_is_not_a_rollback_is_left_to_the_stack_report() -> None:
    in_service = {"EndpointName": ENDPOINT, "EndpointStatus": "InService"}
    watch, _ = watch_of([in_service], [alarms("OK")])
    sns = FakeSns()
    kwargs: dict[str, Any] = {"stage": "staging", "rejected_package": "a", "serving_package": "b"}
    assert rollback_failure(watch, "capacity", sns=sns, topic_arn=TOPIC, **kwargs) is None
    assert sns.published == []


def test_without_a_topic_the_failure_says_nobody_was_notified() -> None:
    watch, _ = watch_of([ROLLED_BACK], [alarms("ALARM")])
    sns = FakeSns()
    text = rollback_failure(
        watch, "f", stage="prod", rejected_package="a", serving_package="b", sns=sns, topic_arn=None
    )
    assert text is not None
    assert "NOTIFICATION_TOPIC_ARN is not set: nobody was notified." in text
    assert sns.published == []


def test_only_an_existing_endpoint_is_watched() -> None:
    outputs = [
        {"OutputKey": "EndpointName", "OutputValue": ENDPOINT},
        {"OutputKey": "RollbackAlarmNames", "OutputValue": f"{ERRORS},{LATENCY}"},
    ]
    watch = for_stack(None, None, {"StackStatus": "UPDATE_COMPLETE", "Outputs": outputs})
    assert watch is not None
    assert (watch.endpoint_name, watch.alarm_names) == (ENDPOINT, [ERRORS, LATENCY])
    assert for_stack(None, None, None) is None
    assert for_stack(None, None, {"StackStatus": "ROLLBACK_COMPLETE", "Outputs": outputs}) is None
    assert for_stack(None, None, {"StackStatus": "CREATE_COMPLETE", "Outputs": []}) is None
    assert alarm_names_of({}) == []


def test_traffic_sends_the_rows_round_robin_and_counts_errors() -> None:
    sent: list[str] = []

    def invoke(row: str) -> object:
        sent.append(row)
        if row == "bad":
            raise ClientError({"Error": {"Code": "ModelError", "Message": "500"}}, "InvokeEndpoint")
        return b"1.0"

    traffic = SteadyTraffic(invoke, ["a", "bad", "c"], per_second=0)
    for _ in range(5):
        traffic.send_one()
    assert sent == ["a", "bad", "c", "a", "bad"]
    assert (traffic.sent, traffic.errors) == (5, 2)
    assert traffic.summary() == "sent 5 sample request(s) during the update, 2 answered with an error"
    with traffic:  # a rate of 0 starts no thread
        pass
    assert traffic.sent == 5


def test_other_exceptions_from_invoke_are_not_swallowed() -> None:
    def invoke(row: str) -> object:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        SteadyTraffic(invoke, ["a"], per_second=0).send_one()


def test_the_stack_waiter_runs_the_watch_on_every_poll() -> None:
    statuses = iter(["UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"])

    class Client:
        def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803
            return {"Stacks": [{"StackStatus": next(statuses)}]}

        def get_paginator(self, name: str) -> Any:
            class Pages:
                def paginate(self, StackName: str) -> list[dict[str, Any]]:  # noqa: N803
                    return [{"StackEvents": []}]

            return Pages()

    polls: list[int] = []
    result = stack_events.wait_for_stack(
        Client(),  # type: ignore[arg-type]
        "stack-id",
        since_event_id=None,
        out=lambda _line: None,
        poll_seconds=0,
        sleep=lambda _seconds: None,
        on_poll=lambda: polls.append(1),
    )
    assert result.status == "UPDATE_COMPLETE"
    assert len(polls) == 3


def test_an_unreadable_alarm_is_reported_once_and_does_not_stop_the_watch() -> None:
    class Denied:
        def describe_alarms(self, **kwargs: Any) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "DescribeAlarms")

    printed: list[str] = []
    watch = RolloutWatch(
        FakeSageMaker([ROLLING_BACK, ROLLING_BACK]), Denied(), ENDPOINT, [ERRORS], printed.append
    )
    watch.poll()
    watch.poll()
    denied = [line for line in printed if "cannot read alarm" in line]
    assert len(denied) == 1
    assert "cloudwatch:DescribeAlarms" in denied[0]
    assert watch.rolled_back
