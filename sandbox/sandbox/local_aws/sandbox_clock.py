"""Time compression for AWS-side waits measured in minutes (contract K3): one factor, in this module only.

A blue/green update bakes for minutes (WaitIntervalInSeconds, TerminationWaitInSeconds,
https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html), a CloudWatch
alarm evaluates per Period of 60 s or more
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html). The sandbox runs
these waits FACTOR times faster: an AWS duration of `s` seconds takes `s / FACTOR` real seconds (one AWS minute
is one real second). Only sandbox emulation code converts; what clients read (DescribeEndpoint's fields,
alarm Period, metric timestamps) keeps AWS's values, so seed and Lambda code never know about the factor.
Metric timestamps stay real wall-clock times: an alarm period of 60 s covers the last real second.
"""

from __future__ import annotations

import threading

FACTOR = 60.0


def real_seconds(aws_seconds: float) -> float:
    """Real seconds the sandbox spends for an AWS-side wait of `aws_seconds`."""
    return max(0.0, float(aws_seconds)) / FACTOR


def wait(stop: threading.Event, aws_seconds: float) -> bool:
    """Wait an AWS duration (compressed); True when `stop` was set meanwhile."""
    return stop.wait(real_seconds(aws_seconds))
