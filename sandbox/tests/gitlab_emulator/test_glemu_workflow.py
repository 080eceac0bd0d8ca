"""GitLab emulator: which pipelines GitLab creates at all ([skip ci], workflow:rules), via python-gitlab."""

from __future__ import annotations

import gitlab
import pytest
from gitlab.v4.objects import Project

from sandbox.gitlab_emulator.pytest_plugin import GitLabServer
from sandbox.gitlab_emulator.runner import RecordingRunner
from sandbox.gitlab_emulator.workflow import evaluate

TRIGGER_ONLY = """
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "trigger" && $MODEL_PACKAGE_ARN
    - if: $CI_PIPELINE_SOURCE == "web"
    - when: never
deploy:
  script: [echo deploy]
  rules:
    - !reference [.rules, deploy]
"""


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('$CI_PIPELINE_SOURCE == "push"', True),
        ("$CI_PIPELINE_SOURCE == 'trigger'", False),
        ('$CI_PIPELINE_SOURCE != "trigger"', True),
        ("$UNSET", False),
        ("$EMPTY", False),
        ("$CI_COMMIT_BRANCH", True),
        ("$UNSET == null", True),
        ("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", True),
        ("$CI_COMMIT_BRANCH =~ /^ma/", True),
        ("$CI_COMMIT_BRANCH =~ /^MA/i", True),
        ("$CI_COMMIT_BRANCH !~ /^feat/", True),
        ('$UNSET || $CI_PIPELINE_SOURCE == "push"', True),
        ('$UNSET && $CI_PIPELINE_SOURCE == "push"', False),
        ('($UNSET || $CI_COMMIT_BRANCH) && $CI_PIPELINE_SOURCE == "push"', True),
        ('$CI_PIPELINE_SOURCE == "x" || $UNSET && $CI_COMMIT_BRANCH', False),
        ("${CI_COMMIT_BRANCH} == 'main'", True),
    ],
)
def test_rules_if_expressions(expr: str, expected: bool) -> None:
    variables = {
        "CI_PIPELINE_SOURCE": "push",
        "CI_COMMIT_BRANCH": "main",
        "CI_DEFAULT_BRANCH": "main",
        "EMPTY": "",
    }
    assert evaluate(expr, variables) is expected


@pytest.fixture
def project(gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab) -> Project:
    return gitlab_server.create_project("wf", gitlab_client)


def _commit(project: Project, content: str, message: str = "seed") -> str:
    commit = project.commits.create(
        {
            "branch": "main",
            "commit_message": message,
            "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": content}],
        }
    )
    return str(commit.id)


def test_workflow_rules_filter_push_and_api_but_not_triggers(
    project: Project, gitlab_server: GitLabServer
) -> None:
    runner = RecordingRunner()
    gitlab_server.state.runner = runner
    _commit(project, TRIGGER_ONLY)
    assert project.pipelines.list(get_all=True) == []  # GitLab creates no push pipeline
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.pipelines.create({"ref": "main"})
    assert (err.value.response_code, err.value.error_message) == (
        400,
        {"base": ["Pipeline filtered out by workflow rules."]},
    )
    token = project.triggers.create({"description": "approval"}).token
    anonymous = gitlab.Gitlab(gitlab_server.url).projects.get(project.id, lazy=True)
    with pytest.raises(gitlab.GitlabCreateError):
        anonymous.trigger_pipeline("main", token)  # no MODEL_PACKAGE_ARN: filtered too
    pipeline = anonymous.trigger_pipeline("main", token, variables={"MODEL_PACKAGE_ARN": "arn:x"})
    assert runner.started == [pipeline.id]


def test_project_variables_are_visible_to_workflow_rules(project: Project) -> None:
    project.variables.create({"key": "DEPLOY_ENABLED", "value": "yes"})
    _commit(project, 'workflow:\n  rules:\n    - if: $DEPLOY_ENABLED == "yes"\nj:\n  script: [x]\n')
    assert [p.source for p in project.pipelines.list(get_all=True)] == ["push"]


def test_exists_rule_checks_the_commits_files(project: Project) -> None:
    _commit(project, "workflow:\n  rules:\n    - exists: [deploy/*.yaml]\nj:\n  script: [x]\n")
    assert project.pipelines.list(get_all=True) == []
    project.commits.create(
        {
            "branch": "main",
            "commit_message": "add",
            "actions": [{"action": "create", "file_path": "deploy/prod.yaml", "content": "a: 1"}],
        }
    )
    assert len(project.pipelines.list(get_all=True)) == 1


def test_skip_ci_records_a_skipped_pipeline_that_never_runs(
    project: Project, gitlab_server: GitLabServer
) -> None:
    runner = RecordingRunner()
    gitlab_server.state.runner = runner
    _commit(project, "j:\n  script: [x]\n", message="Initial seed [skip ci]")
    (pipeline,) = project.pipelines.list(get_all=True)
    assert (pipeline.source, pipeline.status) == ("push", "skipped")
    assert runner.started == []
    api = project.pipelines.create({"ref": "main"})  # an explicit API request is not skipped
    assert runner.started == [api.id]
