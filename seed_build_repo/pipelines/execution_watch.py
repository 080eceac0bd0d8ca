"""Follow a SageMaker Pipeline execution step by step and say what happened.

Pure functions over the ``ListPipelineExecutionSteps`` / ``DescribePipelineExecution`` shapes plus
one polling loop whose clock, sleep and output are injectable, so all of it is testable offline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

TERMINAL_EXECUTION_STATUSES = frozenset({"Succeeded", "Failed", "Stopped"})
_FAILED_STEP_STATUSES = frozenset({"Failed", "Stopped"})


@dataclass(frozen=True)
class StepState:
    name: str
    status: str
    started: datetime | None
    ended: datetime | None
    failure_reason: str | None
    metadata: Mapping[str, Any]

    @property
    def duration_seconds(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return max(0.0, (self.ended - self.started).total_seconds())


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def parse_steps(summaries: Iterable[Mapping[str, Any]]) -> dict[str, StepState]:
    """Latest state per step name (the API lists the most recent attempt first)."""
    states: dict[str, StepState] = {}
    for summary in summaries:
        name = summary["StepName"]
        if name in states:
            continue
        states[name] = StepState(
            name=name,
            status=summary.get("StepStatus", "Unknown"),
            started=summary.get("StartTime"),
            ended=summary.get("EndTime"),
            failure_reason=summary.get("FailureReason"),
            metadata=summary.get("Metadata", {}),
        )
    return states


def _detail(state: StepState) -> str:
    """The one fact worth printing about a finished step."""
    metadata = state.metadata
    if "Condition" in metadata:
        return f"condition outcome: {metadata['Condition'].get('Outcome', '?')}"
    if "RegisterModel" in metadata:
        return f"model package: {metadata['RegisterModel'].get('Arn', '?')}"
    for kind in ("ProcessingJob", "TrainingJob"):
        if kind in metadata:
            return f"{kind[0].lower()}{kind[1:]}: {metadata[kind].get('Arn', '?').rsplit('/', 1)[-1]}"
    return ""


def _sortable(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("inf")


def step_changes(previous: Mapping[str, StepState], current: Mapping[str, StepState]) -> list[str]:
    """Lines describing steps that appeared or changed status since ``previous``, in start order."""
    lines = []
    ordered = sorted(current.values(), key=lambda s: (_sortable(s.started), s.name))
    for state in ordered:
        before = previous.get(state.name)
        if before is not None and before.status == state.status:
            continue
        line = f"{state.name:<20} {state.status}"
        if state.status not in ("Executing", "Starting"):
            line += f" after {format_duration(state.duration_seconds)}"
            detail = _detail(state)
            if detail:
                line += f" ({detail})"
        lines.append(line)
    return lines


def failed_processing_jobs(states: Mapping[str, StepState]) -> dict[str, str]:
    """Step name → processing job name, for failed processing steps (their scripts leave an ExitMessage)."""
    jobs = {}
    for state in states.values():
        arn = state.metadata.get("ProcessingJob", {}).get("Arn")
        if state.status in _FAILED_STEP_STATUSES and arn:
            jobs[state.name] = arn.rsplit("/", 1)[-1]
    return jobs


def failure_lines(
    states: Mapping[str, StepState], execution: Mapping[str, Any], exit_messages: Mapping[str, str] | None = None
) -> list[str]:
    """Why the execution failed: each failed step's FailureReason (and script message), else the execution's."""
    exit_messages = exit_messages or {}
    lines = []
    for state in states.values():
        if state.status not in _FAILED_STEP_STATUSES:
            continue
        lines.append(f"step {state.name} {state.status}: {state.failure_reason or 'no reason given'}")
        if exit_messages.get(state.name):
            lines.append(f"  script said: {exit_messages[state.name].strip()}")
    if not lines and execution.get("FailureReason"):
        lines.append(f"execution: {execution['FailureReason']}")
    return lines


@dataclass
class Watcher:
    """Polls an execution until it ends; ``emit`` receives the progress lines."""

    client: Any
    execution_arn: str
    emit: Callable[[str], None] = print
    poll_seconds: float = 30.0
    timeout_seconds: float = 6 * 3600.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    # A throttled or failed poll is retried at the next interval; only a run of them gives up.
    max_consecutive_errors: int = 5
    # Without a status change, say what is still running this often, so a long step never looks stuck.
    heartbeat_seconds: float = 300.0

    def list_steps(self) -> dict[str, StepState]:
        summaries: list[Mapping[str, Any]] = []
        kwargs: dict[str, Any] = {"PipelineExecutionArn": self.execution_arn, "SortOrder": "Descending"}
        while True:
            page = self.client.list_pipeline_execution_steps(**kwargs)
            summaries.extend(page.get("PipelineExecutionSteps", []))
            token = page.get("NextToken")
            if not token:
                return parse_steps(summaries)
            kwargs["NextToken"] = token

    def run(self) -> tuple[str, dict[str, StepState], Mapping[str, Any]]:
        """(final status, step states, DescribePipelineExecution response)."""
        start = self.clock()
        seen: dict[str, StepState] = {}
        errors = 0
        last_emit = start
        while True:
            try:
                execution = self.client.describe_pipeline_execution(PipelineExecutionArn=self.execution_arn)
                states = self.list_steps()
                errors = 0
            except (ClientError, BotoCoreError) as error:
                errors += 1
                if errors >= self.max_consecutive_errors:
                    raise
                self.emit(f"warning: polling failed ({error}); retrying in {format_duration(self.poll_seconds)}")
                self.sleep(self.poll_seconds)
                continue
            now = self.clock()
            elapsed = format_duration(now - start)
            changes = step_changes(seen, states)
            for line in changes:
                self.emit(f"[{elapsed:>8}] {line}")
            if changes:
                last_emit = now
            elif now - last_emit >= self.heartbeat_seconds:
                running = ", ".join(sorted(s.name for s in states.values() if s.status == "Executing"))
                self.emit(f"[{elapsed:>8}] still running: {running or 'waiting for the next step'}")
                last_emit = now
            seen = states
            status = execution.get("PipelineExecutionStatus", "Unknown")
            if status in TERMINAL_EXECUTION_STATUSES:
                return status, states, execution
            if now - start > self.timeout_seconds:
                self.emit(
                    f"stopped waiting after {format_duration(self.timeout_seconds)}; the execution is still "
                    f"{status}: {self.execution_arn}"
                )
                return "TimedOut", states, execution
            self.sleep(self.poll_seconds)
