"""Extension: CloudWatch metric alarms evaluated from the stored metric data, with notifications (contract K2).

moto stores alarms and metric data but never evaluates an alarm (every alarm stays OK). Here, as
"Evaluating an alarm" documents it
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html): each alarm's
statistic (Statistic, or ExtendedStatistic pNN) per Period over the last EvaluationPeriods periods; ALARM when
at least DatapointsToAlarm (default EvaluationPeriods) of them breach Threshold by ComparisonOperator, OK
otherwise; missing periods per TreatMissingData (missing - default: evaluate the periods present,
INSUFFICIENT_DATA when none is; notBreaching / breaching: a missing period counts as good / bad; ignore: keep
the current state when none is present). A new alarm starts INSUFFICIENT_DATA ("Unchecked: Initial alarm
creation"), as on AWS. Metric math alarms (Metrics = MetricDataQuery list): each MetricStat query is
computed per period, the query with ReturnData true is the alarm's value; an Expression may combine query
ids with + - * / and numbers (the arithmetic subset of metric math,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).
On a state change StateValue, StateReason (AWS's "Threshold Crossed: ..." text) and StateReasonData are set
and, with ActionsEnabled, the documented notification JSON is published to each SNS topic of AlarmActions
(ALARM), OKActions (OK) or InsufficientDataActions
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html, "Alarm actions";
message fields as the JSON CloudWatch sends to SNS).
Time: Period is an AWS duration; the sandbox evaluates it over Period / sandbox_clock.FACTOR real seconds
(K3), in a background thread every 10 AWS seconds, and at once on `evaluate_now(state)`.
Not emulated: composite alarms, anomaly detection bands, EvaluateLowSampleCountPercentile, actions other than
SNS topics (Auto Scaling, EC2, Lambda are skipped).
"""

from __future__ import annotations

import ast
import json
import operator
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sandbox.local_aws import sandbox_clock
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import LocalAwsState

_COMPARE: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
_LOCK = threading.Lock()
# Cleared by tests that evaluate at chosen instants (`evaluate_backend(backend, now)`) so the background
# evaluation at the real time does not change states between their steps.
BACKGROUND = threading.Event()
BACKGROUND.set()
_REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
}


def statistic(values: list[float], stat: str) -> float | None:
    """One period's statistic over its raw values (None: no data)."""
    if not values:
        return None
    if stat == "SampleCount":
        return float(len(values))
    if stat == "Sum":
        return float(sum(values))
    if stat == "Average":
        return float(sum(values) / len(values))
    if stat == "Minimum":
        return float(min(values))
    if stat == "Maximum":
        return float(max(values))
    if stat.startswith("p"):
        # Nearest-rank percentile over the period's samples.
        ordered = sorted(values)
        rank = max(1, -(-float(stat[1:]) * len(ordered) // 100))
        return float(ordered[int(rank) - 1])
    raise ValueError(f"unsupported statistic {stat}")


def _values(
    backend: Any, namespace: str, name: str, dimensions: list[Any], start: datetime, end: datetime
) -> list[float]:
    from moto.cloudwatch.models import MetricDatum

    wanted = {(d.name, d.value) for d in dimensions}
    return [
        datum.value
        for datum in backend.metric_data
        if isinstance(datum, MetricDatum)
        and datum.namespace == namespace
        and datum.name == name
        and {(d.name, d.value) for d in datum.dimensions} == wanted
        and start <= datum.timestamp < end
    ]


def _expression(text: str, values: dict[str, float | None]) -> float | None:
    ops: dict[type, Callable[[float, float], float]] = {
        ast.Add: operator.add,
        ast.Sub: operator.sub,
        ast.Mult: operator.mul,
        ast.Div: operator.truediv,
    }

    def run(node: ast.AST) -> float | None:
        if isinstance(node, ast.Expression):
            return run(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name):
            return values.get(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            left, right = run(node.left), run(node.right)
            if left is None or right is None or (isinstance(node.op, ast.Div) and right == 0):
                return None
            return ops[type(node.op)](left, right)
        raise ValueError(f"Sandbox: metric math beyond + - * / is not emulated: {text}")

    return run(ast.parse(text, mode="eval"))


def _period_value(backend: Any, alarm: Any, start: datetime, end: datetime) -> float | None:
    if not alarm.metric_data_queries:
        stat = alarm.extended_statistic or alarm.statistic
        return statistic(
            _values(backend, alarm.namespace, alarm.metric_name, alarm.dimensions, start, end), stat
        )
    results: dict[str, float | None] = {}
    returned = None
    for query in alarm.metric_data_queries:
        if query.metric_stat:
            metric = query.metric_stat.metric
            values = _values(backend, metric.namespace, metric.metric_name, metric.dimensions, start, end)
            results[query.id] = statistic(values, query.metric_stat.stat)
        if query.return_data is None or str(query.return_data).lower() == "true":
            returned = query
    for query in alarm.metric_data_queries:
        if query.expression:
            results[query.id] = _expression(query.expression, results)
    return results.get(returned.id) if returned is not None else None


def _period(alarm: Any) -> int:
    """The alarm's Period, or its metric math queries' (a metric math alarm has no Period of its own)."""
    if alarm.period:
        return int(alarm.period)
    return min(int(q.metric_stat.period) for q in alarm.metric_data_queries if q.metric_stat)


def _datapoints(backend: Any, alarm: Any, now: datetime) -> list[tuple[datetime, float | None]]:
    """(period start, value) for the last EvaluationPeriods periods, newest first."""
    period = timedelta(seconds=sandbox_clock.real_seconds(_period(alarm)))
    points = []
    for k in range(int(alarm.evaluation_periods)):
        end = now - k * period
        points.append((end - period, _period_value(backend, alarm, end - period, end)))
    return points


def _reason(
    alarm: Any, points: list[tuple[datetime, float | None]], breaching: int, needed: int, new: str
) -> str:
    _, words = _COMPARE[alarm.comparison_operator]
    present = [(t, v) for t, v in points if v is not None]
    shown = ", ".join(f"{v} ({t.strftime('%d/%m/%y %H:%M:%S')})" for t, v in present)
    count = breaching if new == "ALARM" else len(present) - breaching
    verb = "was" if count == 1 else "were"
    negation = "" if new == "ALARM" else "not "
    return (
        f"Threshold Crossed: {count} out of the last {len(points)} datapoints [{shown}] {verb} {negation}{words} "
        f"the threshold ({float(alarm.threshold)}) (minimum {needed} datapoint"
        f"{'' if needed == 1 else 's'} for {'OK -> ALARM' if new == 'ALARM' else 'ALARM -> OK'} transition)."
    )


def evaluate(backend: Any, alarm: Any, now: datetime) -> tuple[str, str, str] | None:
    """(state, reason, reason data) the alarm should be in at `now`; None when it keeps its state."""
    points = _datapoints(backend, alarm, now)
    compare, _ = _COMPARE.get(alarm.comparison_operator, (operator.ge, ""))
    treat = alarm.treat_missing_data or "missing"
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    present = [v for _, v in points if v is not None]
    breaching = sum(1 for v in present if compare(v, float(alarm.threshold)))
    if treat == "breaching":
        breaching += len(points) - len(present)
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore" or alarm.state_value == "INSUFFICIENT_DATA":
            return None
        return (
            "INSUFFICIENT_DATA",
            (
                f"Insufficient Data: {len(points)} datapoint{'s were' if len(points) != 1 else ' was'} unknown."
            ),
            "{}",
        )
    new = "ALARM" if breaching >= needed else "OK"
    if new == alarm.state_value:
        return None
    data = {
        "version": "1.0",
        "queryDate": now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "statistic": alarm.extended_statistic or alarm.statistic,
        "period": _period(alarm),
        "recentDatapoints": present,
        "threshold": float(alarm.threshold),
        "evaluatedDatapoints": [
            {"timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "value": v}
            for t, v in points
            if v is not None
        ],
    }
    return new, _reason(alarm, points, breaching, needed, new), json.dumps(data)


def notification(alarm: Any, account_id: str, old: str) -> dict[str, Any]:
    """The JSON CloudWatch publishes to an alarm action's SNS topic."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": alarm.configuration_updated_timestamp.strftime(
            "%Y-%m-%dT%H:%M:%S.000+0000"
        ),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": alarm.state_updated_timestamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "Region": _REGION_NAMES.get(alarm.region_name, alarm.region_name),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
            "Statistic": (alarm.statistic or "").upper() if not alarm.extended_statistic else None,
            "ExtendedStatistic": alarm.extended_statistic,
            "Unit": alarm.unit,
            "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
            "Period": alarm.period,
            "EvaluationPeriods": alarm.evaluation_periods,
            "DatapointsToAlarm": alarm.datapoints_to_alarm,
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": float(alarm.threshold),
            "TreatMissingData": alarm.treat_missing_data or "missing",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        },
    }


def _notify(backend: Any, alarm: Any, old: str) -> None:
    from moto.sns.models import sns_backends

    actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions}.get(
        alarm.state_value, alarm.insufficient_data_actions
    )
    if not alarm.actions_enabled:
        return
    region = _REGION_NAMES.get(alarm.region_name, alarm.region_name)
    for arn in actions or []:
        if not str(arn).startswith("arn:aws:sns:"):
            continue
        _, _, _, topic_region, account, _ = str(arn).split(":", 5)
        sns_backends[account][topic_region].publish(
            json.dumps(notification(alarm, backend.account_id, old)),
            arn=arn,
            subject=f'{alarm.state_value}: "{alarm.name}" in {region}'[:100],
        )


def evaluate_backend(backend: Any, now: datetime | None = None) -> list[str]:
    """Evaluate every metric alarm of one CloudWatch backend; the names of alarms that changed state."""
    from moto.core.utils import utcnow

    now = now or utcnow()
    changed = []
    with _LOCK:
        for alarm in list(backend.alarms.values()):
            if alarm.rule or alarm.comparison_operator not in _COMPARE:
                continue  # composite and anomaly-band alarms: not emulated
            outcome = evaluate(backend, alarm, now)
            if outcome is None:
                continue
            old = alarm.state_value
            alarm.update_state(outcome[1], outcome[2], outcome[0])
            changed.append(alarm.name)
            _notify(backend, alarm, old)
    return changed


def evaluate_now(state: LocalAwsState) -> list[str]:
    """Evaluate every alarm of the sandbox's account and region at once; names of alarms that changed."""
    from moto.cloudwatch.models import cloudwatch_backends

    return evaluate_backend(cloudwatch_backends[state.account_id][state.region])


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    original = CloudWatchBackend.put_metric_alarm

    def put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        existing = self.alarms.get(kwargs.get("name", args[0] if args else None))
        alarm = original(self, *args, **kwargs)
        if existing is None:
            alarm.state_value = "INSUFFICIENT_DATA"
        else:  # PutMetricAlarm on an existing alarm updates its configuration, not its state
            alarm.state_value, alarm.state_reason = existing.state_value, existing.state_reason
            alarm.state_reason_data = existing.state_reason_data
        return alarm

    patches.set(CloudWatchBackend, "put_metric_alarm", put_metric_alarm)
    stop = threading.Event()

    def loop() -> None:
        while not sandbox_clock.wait(stop, 10):
            if not BACKGROUND.is_set():
                continue
            try:
                evaluate_now(state)
            except Exception:
                import traceback

                state.internal_errors.append(traceback.format_exc())

    thread = threading.Thread(target=loop, name="cloudwatch-alarms", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(5)

    state.cleanups.append(halt)
