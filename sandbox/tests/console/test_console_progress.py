"""Live progress: each tick prints what changed in GitLab and SageMaker since the last one, with durations.

Driven by explicit ticks and a fake clock (no sleeps): the test moves the emulator's state between ticks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sandbox.console import Sources
from sandbox.console.progress import Progress

from .conftest import GROUP, PREFIX, T0, Seeded


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_progress(sources: Sources, clock: FakeClock) -> tuple[Progress, list[str]]:
    printed: list[str] = []
    return Progress(sources, printed.append, clock=clock, quiet_s=20), printed


def test_gitlab_pipeline_and_job_changes_print_once_each_with_durations(local_aws, gitlab_server):
    from .conftest import seed_gitlab

    token, _, _ = seed_gitlab(gitlab_server)  # one finished build pipeline already
    sources = Sources(aws=local_aws.client, gitlab=lambda: gitlab_server.client(token), group_path=GROUP)
    clock = FakeClock()
    progress, printed = make_progress(sources, clock)
    build = f"{PREFIX}-model-build"
    first = progress.tick()
    assert first == [
        f"  gitlab  {build} pipeline #1 job train: success in 12.5 s",
        f"  gitlab  {build} pipeline #1 job lint: success in 3.0 s",
        f"  gitlab  {build} pipeline #1 (push, main): success in 16.0 s",
    ]
    assert printed == first
    assert progress.tick() == []  # nothing changed

    state = gitlab_server.state
    deploy = state.find_project(f"{GROUP}/{PREFIX}-model-deploy")
    pipeline = state.create_pipeline(
        deploy, ref="main", sha="b" * 40, source="trigger", variables=[], user=None
    )
    job = state.add_job(pipeline, name="deploy-staging", stage="deploy")
    head = f"  gitlab  {PREFIX}-model-deploy pipeline #{pipeline.id}"
    assert progress.tick() == [f"{head} (trigger, main): created", f"{head} job deploy-staging: created"]

    state.update_pipeline(pipeline, "running")
    state.update_job(job, "running")
    clock.now += 5
    assert progress.tick() == [f"{head}: running", f"{head} job deploy-staging: running"]
    clock.now += 19
    assert progress.tick() == []  # quiet, but not for 20 s yet
    clock.now += 1
    assert progress.tick() == [
        f"  … still: {PREFIX}-model-deploy pipeline #{pipeline.id} running 20 s, job deploy-staging running 20 s"
    ]
    assert progress.tick() == []  # said once per quiet period

    state.update_job(job, "success")
    state.update_pipeline(pipeline, "success")
    job.started_at, job.finished_at = T0, T0 + timedelta(seconds=41.25)
    pipeline.started_at, pipeline.finished_at = T0, T0 + timedelta(seconds=42)
    assert progress.tick() == [f"{head} job deploy-staging: success in 41.2 s", f"{head}: success in 42.0 s"]
    clock.now += 100
    assert progress.tick() == []  # nothing runs: no "still running" line


def test_a_manual_job_played_later_is_reported(local_aws, gitlab_server):
    from .conftest import seed_gitlab

    token, _, _ = seed_gitlab(gitlab_server)
    sources = Sources(aws=local_aws.client, gitlab=lambda: gitlab_server.client(token), group_path=GROUP)
    progress, _ = make_progress(sources, FakeClock())
    state = gitlab_server.state
    deploy = state.find_project(f"{GROUP}/{PREFIX}-model-deploy")
    pipeline = state.create_pipeline(
        deploy, ref="main", sha="b" * 40, source="trigger", variables=[], user=None
    )
    job = state.add_job(pipeline, name="deploy-prod", stage="prod", when="manual")
    state.update_pipeline(pipeline, "manual")
    progress.tick()
    state.update_job(job, "running")
    state.update_pipeline(pipeline, "running")
    head = f"  gitlab  {PREFIX}-model-deploy pipeline #{pipeline.id}"
    assert progress.tick() == [f"{head}: running", f"{head} job deploy-prod: running"]


def test_sagemaker_steps_and_the_execution_print_with_the_apis_durations(seeded: Seeded):
    progress, _ = make_progress(seeded.sources, FakeClock())
    lines = [line for line in progress.tick() if "sagemaker" in line]
    sm = seeded.aws.client("sagemaker")
    steps = {
        s["StepName"]: s
        for s in sm.list_pipeline_execution_steps(PipelineExecutionArn=seeded.execution_arn)[
            "PipelineExecutionSteps"
        ]
    }
    described = sm.describe_pipeline_execution(PipelineExecutionArn=seeded.execution_arn)
    label = seeded.execution_arn.rsplit("/", 1)[-1]
    head = f"  sagemaker  {PREFIX} execution {label}"

    def took(start: Any, end: Any) -> str:
        return f"{round((end - start).total_seconds(), 1):.1f}"

    evaluate, register = steps["Evaluate"], steps["Register"]
    assert lines == [
        f"{head} step Evaluate: Succeeded in {took(evaluate['StartTime'], evaluate['EndTime'])} s",
        f"{head} step Register: Succeeded in {took(register['StartTime'], register['EndTime'])} s",
        f"{head}: Succeeded in {took(described['CreationTime'], described['LastModifiedTime'])} s",
    ]
    assert progress.tick() == []  # a finished execution is not polled again


def test_a_failing_poll_is_reported_and_retried_not_raised(local_aws, gitlab_server):
    calls = []

    def broken() -> Any:
        calls.append(1)
        raise ConnectionError("GitLab restarting")

    sources = Sources(aws=local_aws.client, gitlab=broken, group_path=GROUP)
    progress, _ = make_progress(sources, FakeClock())
    assert progress.tick() == ["  (progress: ConnectionError while polling; retrying)"]
    assert progress.tick() == []  # said once, still retried
    assert len(calls) == 2


def test_stop_flushes_what_happened_and_the_poller_can_start_again(local_aws, gitlab_server):
    from .conftest import seed_gitlab

    token, pipeline_id, _ = seed_gitlab(gitlab_server)
    sources = Sources(aws=local_aws.client, gitlab=lambda: gitlab_server.client(token), group_path=GROUP)
    progress, printed = make_progress(sources, FakeClock())
    progress.start(interval_s=3600)  # the thread waits on an event, never ticks within this test
    progress.stop(flush=True)
    assert (
        printed[-1]
        == f"  gitlab  {PREFIX}-model-build pipeline #{pipeline_id} (push, main): success in 16.0 s"
    )
    count = len(printed)
    progress.start(interval_s=3600)
    progress.stop(flush=False)
    assert len(printed) == count
    assert progress._thread is None
