"""CI jobs see their commit's real message (CI_COMMIT_MESSAGE, CI_COMMIT_TITLE), not gitlab-ci-local's placeholder.

gitlab-ci-local fills both with "Commit Title" / "More commit text" when it is not told otherwise; a job that
acts on the message (the deploy repo's promotion instructions look for [skip ci]) would then behave unlike
on GitLab (https://docs.gitlab.com/ci/variables/predefined_variables/: the full message and its first line).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gitlab
import pytest

from sandbox.ci_runner import GitlabCiLocalRunner
from sandbox.gitlab_emulator.seed import seed
from sandbox.gitlab_emulator.server import GitLabEmulator

CI_FILE = (
    'show:\n  script:\n    - echo "title=[$CI_COMMIT_TITLE]"\n    - echo "message=[$CI_COMMIT_MESSAGE]"\n'
)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[GitLabEmulator, GitlabCiLocalRunner, Any]]:
    node_dir = str(Path(shutil.which("node") or "/usr/bin/node").parent)
    runner = GitlabCiLocalRunner(tmp_path / "ci", {"PATH": f"{node_dir}:/usr/bin:/bin", "LANG": "C.UTF-8"})
    (tmp_path / "ci").mkdir()
    server = GitLabEmulator(tmp_path / "gitlab", runner=runner).start()
    runner.attach(server.state, server.url)
    try:
        yield server, runner, seed(server.state, "ml/team")
    finally:
        runner.stop()
        server.stop()


def test_jobs_see_the_commit_message(emulator: Any) -> None:
    server, runner, seeded = emulator
    gl = gitlab.Gitlab(server.url, private_token=seeded.group_token.value, timeout=10)
    project = gl.projects.create({"name": "p", "path": "p", "namespace_id": seeded.group.id})
    project.commits.create(
        {
            "branch": "main",
            "commit_message": "Add the CI file\n\nWith a body line.",
            "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": CI_FILE}],
        }
    )
    [pipeline] = project.pipelines.list(get_all=True)
    assert runner.wait_idle(120), "runner still busy"
    assert not runner.errors, runner.errors
    job = next(iter(pipeline.jobs.list(get_all=True)))
    trace = project.jobs.get(job.id).trace().decode()
    assert "title=[Add the CI file]" in trace
    assert "message=[Add the CI file" in trace
    assert "With a body line." in trace
    assert "Commit Title" not in trace
