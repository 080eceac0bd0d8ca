"""Resource groups through python-gitlab: created by the first pipeline that uses them, editable mode."""

from __future__ import annotations

from typing import Any

import gitlab
import pytest

from sandbox.gitlab_emulator.state import REPORTER

CI_FILE = """
deploy:
  resource_group: production
  script: [echo deploying]
"""


def test_a_resource_group_exists_once_a_pipeline_uses_it(ci_gitlab: Any) -> None:
    server, seeded = ci_gitlab.server, ci_gitlab.seeded
    project = ci_gitlab.project()
    assert project.resource_groups.list(get_all=True) == []
    with pytest.raises(gitlab.GitlabGetError) as missing:
        project.resource_groups.get("production")
    assert missing.value.response_code == 404
    assert missing.value.error_message == "404 Not found"

    ci_gitlab.commit_ci_file(project, CI_FILE, "ci")
    ci_gitlab.wait()

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
