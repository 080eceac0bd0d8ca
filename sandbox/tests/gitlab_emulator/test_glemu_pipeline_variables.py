"""GitLab emulator: ci_pipeline_variables_minimum_override_role in both flavours (contract C2, issue 10.2).

Expected values are GitLab's (https://docs.gitlab.com/ci/variables/#restrict-pipeline-variables, gitlab
issues 502382, 515794, 557381, gitlabhq's Projects::UpdateService), written out here.
"""

from __future__ import annotations

from typing import Any

import gitlab
import pytest
from gitlab.v4.objects import Project

from sandbox.gitlab_emulator.pytest_plugin import GitLabServer
from sandbox.gitlab_emulator.runner import RecordingRunner
from sandbox.gitlab_emulator.state import DEVELOPER, MAINTAINER, OWNER

INSUFFICIENT = {"base": ["Insufficient permissions to set pipeline variables"]}
CI = "deploy:\n  script: [echo deploy]\n"
SETTING = "ci_pipeline_variables_minimum_override_role"


def _project(gitlab_server: GitLabServer, flavor: str, name: str = "deploy") -> Project:
    gitlab_server.state.flavor = flavor
    gitlab_server.state.runner = RecordingRunner()
    client = gitlab_server.client()
    created = client.projects.create({"name": name, "path": name, "namespace_id": gitlab_server.group.id})
    created.commits.create(
        {
            "branch": "main",
            "commit_message": "ci",
            "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": CI}],
        }
    )
    return client.projects.get(created.id)


def _as(gitlab_server: GitLabServer, project: Project, level: int) -> Project:
    token = gitlab_server.make_token(access_level=level).value
    return gitlab_server.client(token).projects.get(project.id)


def _trigger(project: Project, **variables: str) -> Any:
    trigger = project.triggers.create({"description": "deploy"})
    return project.trigger_pipeline("main", trigger.token, variables=variables)


def _developer_trigger(gitlab_server: GitLabServer, project: Project, **variables: str) -> Any:
    """Trigger with a token owned by a Developer (Maintainers create triggers: make one, then demote it)."""
    token = gitlab_server.make_token(access_level=MAINTAINER)
    trigger = gitlab_server.client(token.value).projects.get(project.id).triggers.create({"description": "d"})
    state = gitlab_server.state
    state.add_member(gitlab_server.group, state.users[token.user_id], DEVELOPER)
    return project.trigger_pipeline("main", trigger.token, variables=variables)


# ---- defaults ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flavor", "expected"), [("gitlab.com", "no_one_allowed"), ("self-managed", "developer")]
)
def test_new_projects_get_the_flavours_default(
    gitlab_server: GitLabServer, flavor: str, expected: str
) -> None:
    project = _project(gitlab_server, flavor)
    assert getattr(project, SETTING) == expected


def test_an_unknown_flavour_is_refused(gitlab_server: GitLabServer) -> None:
    gitlab_server.state.flavor = "gitlab.org"
    with pytest.raises(gitlab.GitlabCreateError):
        gitlab_server.client().projects.create(
            {"name": "x", "path": "x", "namespace_id": gitlab_server.group.id}
        )


# ---- GitLab.com: no_one_allowed ------------------------------------------------------------------------------
def test_gitlab_com_refuses_triggers_even_without_variables(gitlab_server: GitLabServer) -> None:
    project = _project(gitlab_server, "gitlab.com")
    for variables in ({"MODEL_PACKAGE_ARN": "arn:aws:sagemaker:us-east-1:1:model-package/g/1"}, {}):
        with pytest.raises(gitlab.GitlabCreateError) as err:
            _trigger(project, **variables)
        # The exact body GitLab answers (Ci::PipelineTriggerService renders pipeline errors as 400).
        assert (err.value.response_code, err.value.error_message) == (400, INSUFFICIENT)
    assert project.pipelines.list(source="trigger", get_all=True) == []


def test_gitlab_com_refuses_api_pipelines_with_variables_only(gitlab_server: GitLabServer) -> None:
    project = _project(gitlab_server, "gitlab.com")
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.pipelines.create({"ref": "main", "variables": [{"key": "A", "value": "b"}]})
    assert (err.value.response_code, err.value.error_message) == (400, INSUFFICIENT)
    assert project.pipelines.create({"ref": "main"}).source == "api"


def test_owner_sets_maintainer_and_then_maintainers_may_trigger_with_variables(
    gitlab_server: GitLabServer,
) -> None:
    project = _project(gitlab_server, "gitlab.com")  # the group token is Owner
    project.manager.update(project.id, {SETTING: "maintainer"})
    assert getattr(gitlab_server.client().projects.get(project.id), SETTING) == "maintainer"
    triggered = _trigger(project, DEPLOY_REASON="approved")
    assert project.pipelines.get(triggered.id).variables.list()[0].key == "DEPLOY_REASON"
    with pytest.raises(gitlab.GitlabCreateError) as err:
        _developer_trigger(gitlab_server, project, DEPLOY_REASON="approved")
    assert err.value.error_message == INSUFFICIENT
    _trigger(_as(gitlab_server, project, MAINTAINER), DEPLOY_REASON="approved")


# ---- who may change the setting ------------------------------------------------------------------------------
def test_a_maintainer_cannot_lift_no_one_allowed(gitlab_server: GitLabServer) -> None:
    project = _project(gitlab_server, "gitlab.com")
    as_maintainer = _as(gitlab_server, project, MAINTAINER)
    with pytest.raises(gitlab.GitlabUpdateError) as err:
        as_maintainer.manager.update(project.id, {SETTING: "maintainer", "description": "changed"})
    assert (err.value.response_code, err.value.error_message) == (
        400,
        "Changing the restrict_user_defined_variables or ci_pipeline_variables_minimum_override_role is not allowed",
    )
    unchanged = gitlab_server.client().projects.get(project.id)
    assert (getattr(unchanged, SETTING), unchanged.description) == ("no_one_allowed", "")  # nothing changed


def test_only_owners_choose_owner_and_developers_cannot_edit_projects(gitlab_server: GitLabServer) -> None:
    project = _project(gitlab_server, "self-managed")
    as_maintainer = _as(gitlab_server, project, MAINTAINER)
    with pytest.raises(gitlab.GitlabUpdateError) as err:
        as_maintainer.manager.update(project.id, {SETTING: "owner"})
    assert (err.value.response_code, err.value.error_message) == (
        400,
        "Changing the ci_pipeline_variables_minimum_override_role to the owner role is not allowed",
    )
    as_maintainer.manager.update(project.id, {SETTING: "maintainer"})  # from developer: Maintainer may
    _as(gitlab_server, project, OWNER).manager.update(project.id, {SETTING: "owner"})
    with pytest.raises(gitlab.GitlabUpdateError) as dev:
        _as(gitlab_server, project, DEVELOPER).manager.update(project.id, {SETTING: "developer"})
    assert dev.value.response_code == 403


def test_values_outside_the_four_are_refused(gitlab_server: GitLabServer) -> None:
    project = _project(gitlab_server, "self-managed")
    with pytest.raises(gitlab.GitlabUpdateError) as err:
        project.manager.update(project.id, {SETTING: "reporter"})
    assert err.value.response_code == 400
    assert "does not have a valid value" in str(err.value.error_message)


# ---- self-managed: developer ------------------------------------------------------------------------------
def test_self_managed_lets_developers_trigger_with_variables(gitlab_server: GitLabServer) -> None:
    project = _project(gitlab_server, "self-managed")
    triggered = _developer_trigger(gitlab_server, project, DEPLOY_REASON="approved")
    assert project.pipelines.get(triggered.id).source == "trigger"
    api = _as(gitlab_server, project, DEVELOPER).pipelines.create(
        {"ref": "main", "variables": [{"key": "A", "value": "b"}]}
    )
    assert api.source == "api"


def test_a_trigger_owner_below_the_role_is_refused_even_without_variables(
    gitlab_server: GitLabServer,
) -> None:
    # TRIGGER_PAYLOAD is a pipeline variable of every trigger (gitlab issue 557381): the stricter answer.
    project = _project(gitlab_server, "self-managed")
    project.manager.update(project.id, {SETTING: "maintainer"})
    with pytest.raises(gitlab.GitlabCreateError) as err:
        _developer_trigger(gitlab_server, project)
    assert err.value.error_message == INSUFFICIENT
