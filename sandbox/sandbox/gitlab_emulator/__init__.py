"""A small GitLab REST v4 emulator for tests and the sandbox (see README.md next to this file).

Emulated: the endpoints this product uses (users/tokens, groups, projects, commits, files, tree, CI/CD
variables, triggers, pipelines, jobs, tags and protected tags) and git smart HTTP, with GitLab's status codes, error bodies,
pagination headers and URL-encoded paths, backed by real bare git repositories; per-endpoint fault
injection and a request log for tests; a ``PipelineRunner`` hook where the sandbox runs ``.gitlab-ci.yml``.

Not emulated: everything else GitLab does (merge requests, issues, releases, protected branches, webhooks,
SSH, LFS, the admin HTTP API, persistence of non-git state across restarts).
"""

from .faults import Fault, LoggedRequest
from .runner import PipelineRunner, RecordingRunner
from .seed import Seed, seed
from .server import GitLabEmulator
from .state import DEVELOPER, GUEST, MAINTAINER, OWNER, REPORTER, EmulatorState, Job, Pipeline, Project

__all__ = [
    "DEVELOPER",
    "GUEST",
    "MAINTAINER",
    "OWNER",
    "REPORTER",
    "EmulatorState",
    "Fault",
    "GitLabEmulator",
    "Job",
    "LoggedRequest",
    "Pipeline",
    "PipelineRunner",
    "Project",
    "RecordingRunner",
    "Seed",
    "seed",
]
