"""The pipeline hook: what runs a pipeline once the emulator has created it.

The emulator never interprets ``.gitlab-ci.yml``. It creates the pipeline record (source, ref, sha,
variables) and calls ``PipelineRunner.start``; a runner (the sandbox plugs gitlab-ci-local in here) then
adds jobs and moves statuses through the methods of ``EmulatorState`` (``add_job``, ``update_job``,
``append_trace``, ``update_pipeline``). Manual jobs are started through ``POST /projects/:id/jobs/:id/play``,
which calls ``PipelineRunner.play``.

``start`` and ``play`` are called on the HTTP request's thread after the record exists and outside the
emulator's lock; a runner doing real work should hand it to its own thread and return quickly, as GitLab
answers before any job runs.
"""

from __future__ import annotations

from typing import Protocol

from .models import Job, Pipeline, Project


class PipelineRunner(Protocol):
    def start(self, project: Project, pipeline: Pipeline) -> None:
        """A pipeline was created (push to a branch, API, trigger or web); add its jobs and run them."""

    def play(self, project: Project, pipeline: Pipeline, job: Job) -> None:
        """A person played the manual job ``job`` (already moved to ``pending``); run it."""


class RecordingRunner:
    """The default runner: pipelines stay ``created`` with no jobs; calls are recorded for assertions."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.played: list[int] = []

    def start(self, project: Project, pipeline: Pipeline) -> None:
        self.started.append(pipeline.id)

    def play(self, project: Project, pipeline: Pipeline, job: Job) -> None:
        self.played.append(job.id)
