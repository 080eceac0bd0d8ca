"""Resource groups through python-gitlab: created by the first pipeline that uses them, editable mode."""

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
from sandbox.gitlab_emulator.state import REPORTER

CI_FILE = """
deploy:
  resource_group: production
  script: [echo deploying]
"""


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[GitLabEmulator, GitlabCiLocalRunner, Any]]:
    node_dir = str(Path(shutil.which("node") or "/usr/bin/node").parent)
    (tmp_path / "ci").mkdir()
    runner = GitlabCiLocalRunner(tmp_path / "ci", {"PATH": f"{node_dir}:/usr/bin:/bin", "LANG": "C.UTF-8"})
    server = GitLabEmulator(tmp_path / "gitlab", runner=runner).start()
    runner.attach(server.state, server.url)
    try:
        yield server, runner, seed(server.state, "ml/team")
    finally:
        runner.stop()
        server.stop()


def test_a_resource_group_exists_once_a_pipeline_uses_it(setup: Any) -> None:
    server, runner, seeded = setup
    gl = gitlab.Gitlab(server.url, private_token=seeded.group_token.value, timeout=10)
    project = gl.projects.create({"name": "p", "path": "p", "namespace_id": seeded.group.id})
    assert project.resource_groups.list(get_all=True) == []
    with pytest.raises(gitlab.GitlabGetError) as missing:
        project.resource_groups.get("production")
    assert missing.value.response_code == 404
    assert missing.value.error_message == "404 Not found"

    project.commits.create(
        {
            "branch": "main",
            "commit_message": "ci",
            "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": CI_FILE}],
        }
    )
    assert runner.wait_idle(120), "runner still busy"
    assert not runner.errors, runner.errors

    [group] = project.resource_groups.list(get_all=True)
    assert (group.key, group.process_mode) == ("production", "unordered")
    group.process_mode = "oldest_first"
    group.save()
    assert project.resource_groups.get("production").process_mode == "oldest_first"

    group.process_mode = "fastest_first"
    with pytest.raises(gitlab.GitlabUpdateError) as bad:
        group.save()
    assert bad.value.response_code == 400
    assert bad.value.error_message == "process_mode does not have a valid value"

    # Reporters see the project but lack read_resource_group: 403, as authorize! answers.
    reporter = server.state.create_user("rita")
    server.state.add_member(seeded.group, reporter, REPORTER)
    rita = gitlab.Gitlab(server.url, private_token=server.state.create_token(reporter).value, timeout=10)
    with pytest.raises(gitlab.GitlabGetError) as refused:
        rita.projects.get(project.id, lazy=True).resource_groups.get("production")
    assert refused.value.response_code == 403
