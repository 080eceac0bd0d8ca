"""Steady traffic to an endpoint while its blue/green update runs, so that the rollback alarms have data.

SageMaker's auto-rollback watches CloudWatch alarms on the endpoint's AWS/SageMaker metrics
(https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html); an alarm on
Invocation5XXErrors or ModelLatency only sees the new fleet if requests reach it. Staging has no other
traffic, so the deploy job sends the stage's sample rows itself, one row per request, at a fixed rate
(production's real traffic comes on top). Errors are counted, not raised: a failing new model is exactly
what the alarms must see.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from botocore.exceptions import BotoCoreError, ClientError

Invoke = Callable[[str], object]


@dataclass
class SteadyTraffic:
    """``with SteadyTraffic(invoke, rows, per_second):`` sends the rows round-robin until the block ends."""

    invoke: Invoke
    rows: Sequence[str]
    per_second: float
    sent: int = 0
    errors: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def send_one(self) -> None:
        row = self.rows[self.sent % len(self.rows)]
        self.sent += 1
        try:
            self.invoke(row)
        except (ClientError, BotoCoreError):
            self.errors += 1

    def _run(self) -> None:
        # Event.wait paces the requests (and ends them at once when the block ends); it synchronises nothing.
        while not self._stop.wait(1.0 / self.per_second):
            self.send_one()

    def __enter__(self) -> SteadyTraffic:
        if self.per_second > 0 and self.rows:
            self._thread = threading.Thread(target=self._run, name="steady-traffic", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def summary(self) -> str:
        return f"sent {self.sent} sample request(s) during the update, {self.errors} answered with an error"
