"""Extension: EventBridge rules deliver to Lambda functions and SNS topics.

moto matches events against rules and delivers to SQS, logs and buses, but raises NotImplementedError for
Lambda and SNS targets. The sandbox adds both, after moto's own pattern matching:
- Lambda: an asynchronous invocation (EventBridge does not wait for the function) with the target's `Input`
  or `InputTransformer` applied. A function error is retried like Lambda's asynchronous invocation does
  (MaximumRetryAttempts of the function's event invoke config, default 2); an event still failing is sent to
  the target's DeadLetterConfig queue, if any, with EventBridge's error attributes, and always recorded in
  `LocalAwsState.dead_letters` so it is never silently dropped.
- SNS: Publish of the (transformed) event JSON to the topic; subscriptions (e.g. SQS) receive it.
Not emulated: retry back-off delays (real: about 1 and 2 minutes; the sandbox retries after 0.2 s), maximum
event age, resource-based permission checks (AWS::Lambda::Permission is not enforced).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sandbox.local_aws import lambda_hooks
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

_OURS = ("lambda", "sns")


def _service(target: dict[str, Any]) -> str:
    return str(target["Arn"].split(":")[2])


def iso_time(value: Any) -> str:
    """EventBridge delivers `time` as ISO 8601 UTC; moto keeps epoch seconds internally."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def transform(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """The payload a target receives: the event, a constant `Input`, `InputPath` or an `InputTransformer`."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputTransformer" in target:
        from moto.events.models import EventTemplateParser  # type: ignore[attr-defined]

        transformer = target["InputTransformer"]
        rendered = EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=cast(Any, event),
        )
        return rendered
    if target.get("InputPath"):
        node: Any = event
        for part in target["InputPath"].removeprefix("$.").split("."):
            if part and part != "$":
                node = node.get(part) if isinstance(node, dict) else None
        return node
    return event


def _retries(fn: Any) -> int:
    for config in getattr(fn, "event_invoke_config", []) or []:
        if "MaximumRetryAttempts" in config.config:
            return int(config.config["MaximumRetryAttempts"])
    return 2


def deliver_to_lambda(state: LocalAwsState, target: dict[str, Any], payload: Any, rule_arn: str) -> None:
    from moto.awslambda.utils import get_backend

    arn = target["Arn"]
    region, account = arn.split(":")[3], arn.split(":")[4]
    fn = get_backend(account, region).get_function(arn)
    attempts = 1 + _retries(fn)
    last_error = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(0.2)
        result = lambda_hooks.run(state, fn, payload, source=f"events:{rule_arn}")
        if not result.errored:
            return
        last_error = result.payload
    letter = {"rule": rule_arn, "target": arn, "event": payload, "error": last_error}
    with state.lock:
        state.dead_letters.append(letter)
    dlq = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dlq:
        from moto.sqs.models import sqs_backends

        queue_region, queue_account, queue_name = dlq.split(":")[3], dlq.split(":")[4], dlq.split(":")[5]
        sqs_backends[queue_account][queue_region].send_message(
            queue_name=queue_name,
            message_body=json.dumps(payload),
            message_attributes={
                "ERROR_CODE": {"DataType": "String", "StringValue": "FunctionError"},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": last_error[:256]},
                "RULE_ARN": {"DataType": "String", "StringValue": rule_arn},
                "TARGET_ARN": {"DataType": "String", "StringValue": arn},
            },
        )


def deliver_to_sns(target: dict[str, Any], payload: Any) -> None:
    from moto.sns.models import sns_backends

    arn = target["Arn"]
    region, account = arn.split(":")[3], arn.split(":")[4]
    message = payload if isinstance(payload, str) else json.dumps(payload)
    sns_backends[account][region].publish(message=message, arn=arn)


def _delivery(
    state: LocalAwsState, target: dict[str, Any], payload: Any, rule_arn: str
) -> Callable[[], None]:
    return lambda: deliver_to_lambda(state, target, payload, rule_arn)


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.events.models import Rule

    original = Rule.send_to_targets

    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if not self.event_pattern.matches_event(original_event):
            return
        ours = [t for t in self.targets if _service(t) in _OURS]
        theirs = [t for t in self.targets if _service(t) not in _OURS]
        event = copy.deepcopy(original_event)
        event["time"] = iso_time(event.get("time"))
        with state.lock:
            state.events.append(event)
        for target in ours:
            payload = transform(target, event)
            if _service(target) == "lambda":
                state.background(f"events-{self.name}", _delivery(state, target, payload, self.arn))
            else:
                deliver_to_sns(target, payload)
        if theirs:
            clone = copy.copy(self)
            clone.targets = theirs
            original(clone, original_event, transform_input)

    patches.set(Rule, "send_to_targets", send_to_targets)
