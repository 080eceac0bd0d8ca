"""Live progress in the terminal: GitLab pipeline/job and SageMaker execution/step state changes as they happen.

Each `tick()` polls the same APIs the console reads (GitLab REST through python-gitlab, SageMaker
List/DescribePipelineExecution(s) and ListPipelineExecutionSteps through boto3), compares with what it saw
last, and emits one line per change, with the duration the API reports once a thing has finished. When
nothing changed for `quiet_s` while something runs, it says what is still running and for how long (the
build stage used to be silent for a minute). Tests call `tick()` with a fake clock; `start()` ticks on a
background thread at `interval_s`.

`scripts/run-sandbox` (sandbox/__main__.py) runs it around the stages and while `--keep-up` keeps the cloud
up (so what a person starts from the console shows in the terminal too); `watching()` is the same as a
context manager.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sandbox.console.sources import Sources, seconds

GITLAB_FINAL = {"success", "failed", "canceled", "skipped"}
SAGEMAKER_FINAL = {"Succeeded", "Failed", "Stopped"}
QUIET_S = 20.0


def _took(value: Any) -> str:
    return "" if value is None else f" in {float(value):.1f} s"


class Progress:
    def __init__(
        self,
        sources: Sources,
        emit: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        quiet_s: float = QUIET_S,
    ) -> None:
        self.sources, self.emit, self.clock, self.quiet_s = sources, emit, clock, quiet_s
        self._seen: dict[tuple[str, ...], str] = {}
        self._running_since: dict[tuple[str, ...], tuple[str, float]] = {}
        self._settled: set[tuple[str, ...]] = set()
        self._errors: dict[str, str] = {}
        self._last_change = clock()
        self._stop = threading.Event()
        self._tick_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # ---- one poll -----------------------------------------------------------------------------------------
    def tick(self) -> list[str]:
        """Poll once; emit and return the lines for what changed since the last tick.

        Safe to call from another thread while `start()`'s thread ticks (e.g. at the end of a stage, so its
        last changes print before its result line): ticks run one at a time.
        """
        with self._tick_lock:
            return self._tick()

    def _tick(self) -> list[str]:
        lines: list[str] = []
        for poll in (self._poll_gitlab, self._poll_sagemaker):
            try:
                poll(lines)
                self._errors.pop(poll.__name__, None)
            except Exception as exc:  # a service restarting or a project being deleted: try next tick
                error = f"  (progress: {type(exc).__name__} while polling; retrying)"
                if self._errors.get(poll.__name__) != error:  # once, not every second
                    self._errors[poll.__name__] = error
                    lines.append(error)
        now = self.clock()
        if lines:
            self._last_change = now
        elif self._running_since and now - self._last_change >= self.quiet_s:
            running = ", ".join(
                f"{label} {now - since:.0f} s"
                for label, since in sorted(self._running_since.values(), key=lambda item: (item[1], item[0]))
            )
            lines.append(f"  … still: {running}")
            self._last_change = now
        for line in lines:
            self.emit(line)
        return lines

    def _change(self, lines: list[str], key: tuple[str, ...], status: str, line: str, label: str) -> None:
        if self._seen.get(key) == status:
            return
        self._seen[key] = status
        lines.append(line)
        if status in GITLAB_FINAL | SAGEMAKER_FINAL | {"manual"}:
            self._running_since.pop(key, None)
        else:  # how long it has been in this state (created, pending, running, Executing)
            self._running_since[key] = (f"{label} {status}", self.clock())

    def _poll_gitlab(self, lines: list[str]) -> None:
        for path, repo in self.sources.repo_handles():
            name = path.rsplit("/", 1)[-1]
            for pipeline in reversed(self.sources.pipelines(repo, limit=5)):
                key = ("gitlab", path, str(pipeline.id))
                if key in self._settled and self._seen.get(key) == pipeline.status:
                    continue
                head = f"{name} pipeline #{pipeline.id}"
                origin = "" if key in self._seen else f" ({pipeline.source}, {pipeline.ref})"
                full, jobs = self.sources.pipeline(repo, pipeline.id)
                job_lines: list[str] = []
                for job in jobs:
                    self._change(
                        job_lines,
                        ("gitlab-job", path, str(job.id)),
                        job.status,
                        f"  gitlab  {head} job {job.name}: {job.status}"
                        + (_took(job.duration) if job.status in GITLAB_FINAL else ""),
                        f"job {job.name}",
                    )
                pipeline_lines: list[str] = []
                self._change(
                    pipeline_lines,
                    key,
                    full.status,
                    f"  gitlab  {head}{origin}: {full.status}"
                    + (_took(full.duration) if full.status in GITLAB_FINAL else ""),
                    head,
                )
                # A pipeline's start before its jobs, its end after them: the order they happened in.
                finished = full.status in GITLAB_FINAL
                lines += job_lines + pipeline_lines if finished else pipeline_lines + job_lines
                if full.status in GITLAB_FINAL:
                    self._settled.add(key)
                else:
                    self._settled.discard(key)

    def _poll_sagemaker(self, lines: list[str]) -> None:
        sm = self.sources.aws("sagemaker")
        for execution in reversed(self.sources.executions()):
            arn, status = execution["PipelineExecutionArn"], execution["PipelineExecutionStatus"]
            key = ("sagemaker", arn)
            if key in self._settled:
                continue
            label = execution.get("PipelineExecutionDisplayName") or arn.rsplit("/", 1)[-1]
            head = f"{execution['pipeline']} execution {label}"
            _, steps = self.sources.execution(arn)
            step_lines: list[str] = []
            for step in steps:
                step_status = step["StepStatus"]
                took = seconds(step.get("StartTime"), step.get("EndTime"))
                self._change(
                    step_lines,
                    ("sagemaker-step", arn, step["StepName"]),
                    step_status,
                    f"  sagemaker  {head} step {step['StepName']}: {step_status}"
                    + (_took(took) if step_status in SAGEMAKER_FINAL else ""),
                    f"step {step['StepName']}",
                )
            took = None
            finished = status in SAGEMAKER_FINAL
            if finished:
                described = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
                took = seconds(described.get("CreationTime"), described.get("LastModifiedTime"))
                self._settled.add(key)
            execution_lines: list[str] = []
            self._change(execution_lines, key, status, f"  sagemaker  {head}: {status}{_took(took)}", head)
            lines += step_lines + execution_lines if finished else execution_lines + step_lines

    # ---- on a thread --------------------------------------------------------------------------------------
    def start(self, interval_s: float = 1.0) -> Progress:
        """Tick every `interval_s` on a thread until `stop()`; may be started again after a stop."""
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval_s):
                self.tick()

        self._thread = threading.Thread(target=loop, name="progress", daemon=True)
        self._thread.start()
        return self

    def stop(self, flush: bool = True) -> None:
        """End the thread; with `flush`, one last tick so nothing that already happened goes unsaid."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if flush:
            self.tick()


@contextmanager
def watching(sources: Sources, emit: Callable[[str], None], interval_s: float = 1.0) -> Iterator[Progress]:
    progress = Progress(sources, emit).start(interval_s)
    try:
        yield progress
    finally:
        progress.stop(flush=False)
