"""The pipeline and job records' state machine: creation, the statuses a runner moves them through, traces.

``EmulatorState`` inherits it (``state.py``); a ``PipelineRunner`` uses ``add_job``, ``update_job``,
``append_trace``, ``update_pipeline``, ``get_pipeline`` and ``get_job``. Statuses as GitLab's
(https://docs.gitlab.com/api/pipelines/: created, waiting_for_resource, preparing, pending, running, success,
failed, canceled, skipped, manual, scheduled); finishing ones set ``finished_at``.
"""

from __future__ import annotations

import threading
from datetime import datetime

from . import gitrepo
from .models import FINISHED, PIPELINE_STATUSES, Job, Pipeline, Project, User, now
from .runner import PipelineRunner


class PipelineRecords:
    """Pipelines and jobs of ``EmulatorState``, behind its lock."""

    lock: threading.RLock
    runner: PipelineRunner
    pipelines: dict[int, Pipeline]
    jobs: dict[int, Job]

    def next_id(self, kind: str) -> int:
        # EmulatorState's (one id sequence per record kind for all its records) overrides this.
        raise NotImplementedError

    # ---- pipelines (emulator side) ---------------------------------------------------------------------
    def create_pipeline(
        self,
        project: Project,
        *,
        ref: str,
        sha: str,
        source: str,
        variables: list[dict[str, str]],
        user: User | None,
        before_sha: str = gitrepo.EMPTY_SHA,
        skipped: bool = False,
        tag: bool = False,
    ) -> Pipeline:
        """Record a pipeline and hand it to the runner (outside the lock); ``skipped`` ones ([skip ci]) are not."""
        with self.lock:
            project.pipeline_iid += 1
            ts = now()
            pipeline = Pipeline(
                id=self.next_id("pipeline"),
                iid=project.pipeline_iid,
                project_id=project.id,
                ref=ref,
                sha=sha,
                before_sha=before_sha,
                source=source,
                status="skipped" if skipped else "created",
                variables=variables,
                user_id=user.id if user else None,
                created_at=ts,
                updated_at=ts,
                tag=tag,
            )
            self.pipelines[pipeline.id] = pipeline
            project.last_activity_at = ts
        if not skipped:
            self.runner.start(project, pipeline)
        return pipeline

    # ---- the runner's surface ------------------------------------------------------------------------
    def get_pipeline(self, pipeline_id: int) -> Pipeline:
        return self._existing(self.pipelines, "pipeline", pipeline_id)

    def get_job(self, job_id: int) -> Job:
        return self._existing(self.jobs, "job", job_id)

    def _existing[R: (Pipeline, Job)](self, records: dict[int, R], kind: str, record_id: int) -> R:
        with self.lock:
            record = records.get(record_id)
            if record is None:
                raise KeyError(f"{kind} {record_id} does not exist")
            return record

    def add_job(
        self,
        pipeline: Pipeline,
        *,
        name: str,
        stage: str,
        status: str = "created",
        when: str = "on_success",
        allow_failure: bool = False,
    ) -> Job:
        """Add a job to ``pipeline``. A ``when="manual"`` job starts as ``manual`` and can be played."""
        if status not in PIPELINE_STATUSES:
            raise ValueError(f"unknown job status {status!r}")
        with self.lock:
            job = Job(
                id=self.next_id("job"),
                pipeline_id=pipeline.id,
                project_id=pipeline.project_id,
                name=name,
                stage=stage,
                status="manual" if when == "manual" and status == "created" else status,
                when=when,
                allow_failure=allow_failure,
                created_at=now(),
                user_id=pipeline.user_id,
            )
            self.jobs[job.id] = job
            pipeline.job_ids.append(job.id)
            return job

    def update_job(self, job: Job, status: str) -> None:
        with self.lock:
            _move(job, status)

    def append_trace(self, job: Job, data: bytes | str) -> None:
        with self.lock:
            job.trace.extend(data.encode() if isinstance(data, str) else data)

    def update_pipeline(self, pipeline: Pipeline, status: str) -> None:
        with self.lock:
            pipeline.updated_at = _move(pipeline, status)


def _move(record: Job | Pipeline, status: str) -> datetime:
    """Set a job's or pipeline's status and its timestamps as GitLab does (``started_at`` when it starts
    running, ``finished_at`` when it finishes, ``started_at`` too if it never ran); returns the time used."""
    if status not in PIPELINE_STATUSES:
        raise ValueError(f"unknown {type(record).__name__.lower()} status {status!r}")
    ts = now()
    if status == "running" and record.started_at is None:
        record.started_at = ts
    if status in FINISHED:
        record.finished_at = ts
        record.started_at = record.started_at or ts
    record.status = status
    return ts
