"""Watch an endpoint's blue/green update while the stack update runs; explain and announce a rollback.

Reads DescribeEndpoint (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html)
and DescribeAlarms on the stack's ``RollbackAlarmNames`` output
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html) on every stack
poll, prints each new phase once (``deployer.rollout.phase``), and remembers every alarm seen in ALARM: once
the old fleet serves again the alarm's metric has no new data and it may be OK before the stack finishes
rolling back. A rollback is published to the project's SNS topic
(https://docs.aws.amazon.com/sns/latest/api/API_Publish.html; Subject at most 100 characters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from deployer import rollout

SUBJECT_LIMIT = 100


@dataclass
class RolloutWatch:
    sagemaker: Any
    cloudwatch: Any
    endpoint_name: str
    alarm_names: list[str]
    out: Callable[[str], None] = print
    fired: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    rolled_back: bool = False
    last_phase: str | None = None

    def endpoint(self) -> Mapping[str, Any]:
        return self.sagemaker.describe_endpoint(EndpointName=self.endpoint_name)  # type: ignore[no-any-return]

    def poll(self) -> None:
        """One look at the endpoint and the alarms; prints only what changed."""
        try:
            endpoint = self.endpoint()
        except ClientError as error:
            self.out(f"  rollout: cannot describe endpoint {self.endpoint_name}: {error}")
            return
        line = rollout.phase(endpoint)
        if line != self.last_phase:
            self.out(f"  rollout: {line}")
            self.last_phase = line
        if endpoint.get("EndpointStatus") == "RollingBack":
            self.rolled_back = True
        self.record_alarms()

    def record_alarms(self) -> None:
        # One alarm per request: IAM then authorises each against its own alarm ARN.
        for alarm in self.alarm_names:
            try:
                answer = self.cloudwatch.describe_alarms(AlarmNames=[alarm], AlarmTypes=["MetricAlarm"])
            except ClientError as error:
                # The update goes on whatever this job sees: report, do not fail the deployment for it.
                if alarm not in self.unreadable:
                    self.out(
                        f"  rollout: cannot read alarm {alarm} (the role needs cloudwatch:DescribeAlarms): {error}"
                    )
                    self.unreadable.append(alarm)
                continue
            for name in rollout.alarms_in_alarm(answer):
                if name not in self.fired:
                    self.out(f"  rollout: alarm {name} is in ALARM")
                    self.fired.append(name)

    def was_rolled_back(self, endpoint: Mapping[str, Any]) -> bool:
        """SageMaker rolled the update back: seen RollingBack, an alarm fired, or the endpoint says why."""
        return self.rolled_back or bool(self.fired) or bool(endpoint.get("FailureReason"))


def alarm_names_of(outputs: Mapping[str, str]) -> list[str]:
    return [name for name in outputs.get("RollbackAlarmNames", "").split(",") if name.strip()]


def publish(sns: Any, topic_arn: str, stage: str, message: str) -> str:
    """Publish the rollback notice; returns the MessageId."""
    subject = f"Deployment to {stage} rolled back"[:SUBJECT_LIMIT]
    return str(sns.publish(TopicArn=topic_arn, Subject=subject, Message=message)["MessageId"])


def for_stack(
    sagemaker: Any, cloudwatch: Any, stack: Mapping[str, Any] | None, out: Callable[[str], None] = print
) -> RolloutWatch | None:
    """A watch for an update of ``stack`` (DescribeStacks entry); None when there is no endpoint to update yet."""
    if stack is None or str(stack.get("StackStatus", "")).startswith(("ROLLBACK_", "DELETE_")):
        return None
    outputs = {str(item["OutputKey"]): str(item["OutputValue"]) for item in stack.get("Outputs", [])}
    if not outputs.get("EndpointName"):
        return None
    return RolloutWatch(sagemaker, cloudwatch, outputs["EndpointName"], alarm_names_of(outputs), out)


def rollback_failure(
    watch: RolloutWatch,
    failure: str,
    *,
    stage: str,
    rejected_package: str,
    serving_package: str,
    sns: Any,
    topic_arn: str | None,
) -> str | None:
    """The job's failure text when SageMaker rolled the update back (and the topic told); None otherwise."""
    try:
        endpoint = watch.endpoint()
    except ClientError:
        return None
    watch.record_alarms()
    if not watch.was_rolled_back(endpoint):
        return None
    message = rollout.rollback_message(endpoint, watch.fired, rejected_package, serving_package)
    if topic_arn:
        message_id = publish(sns, topic_arn, stage, message)
        notice = f"Notified {topic_arn} (message {message_id})."
    else:
        notice = "NOTIFICATION_TOPIC_ARN is not set: nobody was notified."
    return f"{message}\n{notice}\n{failure}"
