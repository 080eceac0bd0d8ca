"""Shared state of the running local AWS: its URL, the background work it started, what it recorded."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Credentials the sandbox's own clients sign with. moto accepts any; these are not keys to anything.
# They live here (not in server.py) so extensions that make clients need not import the server module,
# which imports them: that was the pipeline_hooks <-> server import cycle (issue 13).
SANDBOX_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "sandbox",
    "AWS_SECRET_ACCESS_KEY": "sandbox",
}


@dataclass
class Invocation:
    """One Lambda invocation, as the sandbox report and the tests see it."""

    function_name: str
    source: str
    request_id: str
    errored: bool
    payload: str
    logs: str
    duration_s: float


@dataclass
class CfnResponse:
    """A custom resource response received at the ResponseURL."""

    stack_id: str
    logical_id: str
    request_id: str
    status: str
    reason: str
    physical_resource_id: str
    data: dict[str, Any]


@dataclass
class LocalAwsState:
    """Everything the extensions share. One instance per running local AWS."""

    endpoint_url: str
    region: str
    account_id: str = "123456789012"
    invocations: list[Invocation] = field(default_factory=list)
    cfn_responses: dict[str, CfnResponse] = field(default_factory=dict)
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    unsupported_resources: set[str] = field(default_factory=set)
    # Set by cfn_custom_resources: the emulated network edge (cfn_response_edge.ResponseEdge) and the
    # environment that routes a Lambda process's HTTPS through it.
    response_edge: Any = None
    lambda_network_env: dict[str, str] = field(default_factory=dict)
    # Tracebacks of unexpected errors inside moto's handlers (aws_errors answers InternalFailure).
    internal_errors: list[str] = field(default_factory=list)
    cleanups: list[Callable[[], Any]] = field(default_factory=list)
    # IAM: "enforce" refuses what the caller's policies do not allow, "audit" only records it; the call log
    # (iam_enforcement.CallLog) is set when the extension is installed.
    iam_mode: str = "audit"
    iam: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def background(self, name: str, target: Callable[[], None]) -> threading.Thread:
        """Start background work (async invocations, pipeline executions) that `drain` can wait for."""
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self.lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()
        return thread

    def busy(self) -> bool:
        with self.lock:
            return any(t.is_alive() for t in self._threads)

    def drain(self, timeout_s: float) -> bool:
        """Wait for all background work; True when none is left.

        Joins the threads (woken when each ends) rather than polling; work started by work being drained
        (an async invocation a pipeline step made) is picked up by the next round.
        """
        import time

        deadline = time.monotonic() + timeout_s
        while True:
            with self.lock:
                alive = [t for t in self._threads if t.is_alive()]
            if not alive:
                return True
            for thread in alive:
                thread.join(max(0.0, deadline - time.monotonic()))
                if thread.is_alive():
                    return False

    def record(self, invocation: Invocation) -> None:
        with self.lock:
            self.invocations.append(invocation)
