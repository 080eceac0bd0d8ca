"""Every InvokeEndpoint the local AWS answers, as one record handed to whoever subscribed (contract K1).

SageMaker hosting derives several outputs from one request: the AWS/SageMaker endpoint metrics
(https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html, "Endpoint invocation metrics")
and data capture to S3 (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html).
runtime_endpoints builds one `Invocation` per call, success or error, and `publish` hands it to every
subscriber; each output is a subscriber of its own (endpoint_metrics, data_capture), so none of them
patches InvokeEndpoint again.
A subscriber that raises does not change the caller's answer: its traceback goes to the sandbox's
`internal_errors` list (the caller passes it in), as an AWS-side pipeline failure never fails the request.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Invocation:
    """One InvokeEndpoint call as the hosting side saw it.

    `status_code` is the HTTP status the caller received; `error_code` the runtime API's error type
    (ValidationError, ModelError, ...) or None. `model_status_code` is what the model container answered
    (a ModelError carries the container's 4XX/5XX inside a 424; the Invocation4XX/5XXErrors metrics count
    the container's status, as the CloudWatch page defines them), None when no container was reached.
    Latencies are in microseconds, the unit of ModelLatency / OverheadLatency.
    """

    endpoint_name: str
    variant_name: str
    endpoint_config_name: str
    model_name: str
    content_type: str
    accept: str
    request_body: bytes
    response_body: bytes
    status_code: int
    error_code: str | None
    model_latency_us: int
    overhead_latency_us: int
    timestamp: datetime
    inference_id: str | None
    account_id: str = "123456789012"
    region: str = "us-east-1"
    model_status_code: int | None = None


Subscriber = Callable[[Invocation], None]

_SUBSCRIBERS: list[Subscriber] = []
_LOCK = threading.Lock()


def subscribe(fn: Subscriber) -> Callable[[], None]:
    """Call `fn` with every Invocation from now on; returns the function that unsubscribes it."""
    with _LOCK:
        _SUBSCRIBERS.append(fn)

    def unsubscribe() -> None:
        with _LOCK:
            if fn in _SUBSCRIBERS:
                _SUBSCRIBERS.remove(fn)

    return unsubscribe


def publish(invocation: Invocation, errors: list[str] | None = None) -> None:
    """Hand `invocation` to every subscriber, in subscription order."""
    with _LOCK:
        subscribers = list(_SUBSCRIBERS)
    for fn in subscribers:
        try:
            fn(invocation)
        except Exception:
            if errors is None:
                raise
            errors.append(traceback.format_exc())
