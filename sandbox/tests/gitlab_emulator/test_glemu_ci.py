"""GitLab emulator: CI/CD variables, trigger tokens, pipelines, jobs and the runner hook, via python-gitlab."""

from __future__ import annotations

from typing import Any

import gitlab
import pytest
import requests
from gitlab.v4.objects import Project

from sandbox.gitlab_emulator.civars import job_variables
from sandbox.gitlab_emulator.pytest_plugin import GitLabServer
from sandbox.gitlab_emulator.runner import RecordingRunner
from sandbox.gitlab_emulator.state import DEVELOPER, Job, Pipeline
from sandbox.gitlab_emulator.state import Project as EmuProject

CI = "build:\n  script: echo hi\n"


@pytest.fixture
def project(gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab) -> Project:
    return gitlab_server.create_project("deploy", gitlab_client)


def _seed_ci(project: Project) -> str:
    commit = project.commits.create(
        {
            "branch": "main",
            "commit_message": "ci",
            "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": CI}],
        }
    )
    return str(commit.id)


# ---- variables -------------------------------------------------------------------------------------------
def test_variable_create_get_update_delete(project: Project) -> None:
    created = project.variables.create(
        {
            "key": "ROLE_ARN",
            "value": "arn:aws:iam::123456789012:role/build",
            "masked": True,
            "protected": True,
        }
    )
    assert (
        created.masked,
        created.protected,
        created.raw,
        created.variable_type,
        created.environment_scope,
    ) == (
        True,
        True,
        False,
        "env_var",
        "*",
    )
    assert project.variables.get("ROLE_ARN").value == "arn:aws:iam::123456789012:role/build"
    project.variables.update("ROLE_ARN", {"value": "arn:aws:iam::123456789012:role/other"})
    updated = project.variables.get("ROLE_ARN")
    assert (updated.value, updated.masked, updated.protected) == (
        "arn:aws:iam::123456789012:role/other",
        True,
        True,
    )
    project.variables.delete("ROLE_ARN")
    with pytest.raises(gitlab.GitlabGetError) as err:
        project.variables.get("ROLE_ARN")
    assert (err.value.response_code, err.value.error_message) == (404, "404 Variable Not Found")


def test_duplicate_key_is_400_taken(project: Project) -> None:
    project.variables.create({"key": "AWS_REGION", "value": "us-east-1"})
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.variables.create({"key": "AWS_REGION", "value": "eu-west-1"})
    assert err.value.response_code == 400
    assert err.value.error_message == {"key": ["(AWS_REGION) has already been taken"]}
    assert project.variables.create({"key": "AWS_REGION", "value": "eu-west-1", "environment_scope": "prod"})
    assert len(project.variables.list(get_all=True)) == 2


@pytest.mark.parametrize(
    ("value", "raw", "ok"),
    [
        ("short", False, False),  # < 8 characters
        ("has spaces in it", False, False),
        ("two\nlines-long", False, False),
        ("s3://bucket/key-1.csv", False, True),
        ("arn:aws:iam::1:role/x", False, True),
        ("p@ss:w0rd~ok", False, True),
        ("semi;colon!", False, False),  # outside GitLab's maskable character set...
        ("semi;colon!", True, True),  # ...allowed when the variable is raw
    ],
)
def test_masked_value_rules(project: Project, value: str, raw: bool, ok: bool) -> None:
    data = {"key": "V", "value": value, "masked": True, "raw": raw}
    if ok:
        assert project.variables.create(data).masked is True
        return
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.variables.create(data)
    assert (err.value.response_code, err.value.error_message) == (400, {"value": ["is invalid"]})
    assert project.variables.list(get_all=True) == []


def test_bad_key_and_missing_value(project: Project) -> None:
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.variables.create({"key": "BAD-KEY", "value": "x"})
    assert err.value.error_message == {"key": ["can contain only letters, digits and '_'."]}
    with pytest.raises(gitlab.GitlabHttpError) as missing:
        project.manager.gitlab.http_post(f"/projects/{project.id}/variables", post_data={"key": "K"})
    assert missing.value.error_message == "value is missing"


def test_file_variable_and_scope_filter(project: Project) -> None:
    project.variables.create(
        {"key": "CFG", "value": "a", "variable_type": "file", "environment_scope": "staging"}
    )
    project.variables.create({"key": "CFG", "value": "b", "environment_scope": "prod"})
    got = project.variables.get("CFG", filter={"environment_scope": "staging"})
    assert (got.value, got.variable_type) == ("a", "file")
    with pytest.raises(gitlab.GitlabGetError) as err:
        project.variables.get("CFG")
    assert err.value.response_code == 409


def test_hidden_variable_value_is_never_returned(project: Project) -> None:
    created = project.variables.create({"key": "SECRET", "value": "abcdefgh12", "masked_and_hidden": True})
    assert created.value is None
    assert project.variables.get("SECRET").value is None


def test_developer_cannot_read_variables(project: Project, gitlab_server: GitLabServer) -> None:
    project.variables.create({"key": "K", "value": "v"})
    dev = gitlab_server.client(gitlab_server.make_token(access_level=DEVELOPER).value)
    with pytest.raises(gitlab.GitlabListError) as err:
        dev.projects.get(project.id, lazy=True).variables.list()
    assert err.value.response_code == 403


# ---- triggers --------------------------------------------------------------------------------------------
def test_trigger_tokens_create_list_delete(project: Project, gitlab_server: GitLabServer) -> None:
    trigger = project.triggers.create({"description": "model approval"})
    assert trigger.token.startswith("glptt-")
    assert [t.token for t in project.triggers.list(get_all=True)] == [trigger.token]
    other = gitlab_server.client(gitlab_server.make_token().value)
    # GitLab shows a trigger's token in full to its owner only.
    assert other.projects.get(project.id).triggers.list()[0].token == trigger.token[:4]
    project.triggers.delete(trigger.id)
    assert project.triggers.list(get_all=True) == []


def test_trigger_pipeline_uses_only_the_trigger_token(project: Project, gitlab_server: GitLabServer) -> None:
    sha = _seed_ci(project)
    token = project.triggers.create({"description": "approval"}).token
    anonymous = gitlab.Gitlab(gitlab_server.url, retry_transient_errors=False, timeout=5)
    pipeline = anonymous.projects.get(project.id, lazy=True).trigger_pipeline(
        "main",
        token,
        variables={
            "MODEL_PACKAGE_ARN": "arn:aws:sagemaker:us-east-1:1:model-package/g/3",
            "DEPLOY_REASON": "approved",
        },
    )
    assert (pipeline.source, pipeline.ref, pipeline.sha, pipeline.status) == (
        "trigger",
        "main",
        sha,
        "created",
    )
    assert pipeline.web_url == f"{gitlab_server.url}/ml/team/deploy/-/pipelines/{pipeline.id}"
    stored = project.pipelines.get(pipeline.id)
    assert {v.key: v.value for v in stored.variables.list()} == {
        "MODEL_PACKAGE_ARN": "arn:aws:sagemaker:us-east-1:1:model-package/g/3",
        "DEPLOY_REASON": "approved",
    }


def test_trigger_pipeline_accepts_form_encoding(project: Project, gitlab_server: GitLabServer) -> None:
    _seed_ci(project)
    token = project.triggers.create({"description": "curl"}).token
    response = requests.post(
        f"{gitlab_server.url}/api/v4/projects/ml%2Fteam%2Fdeploy/trigger/pipeline",
        data={"token": token, "ref": "main", "variables[A]": "1", "variables[B]": "two"},
        timeout=5,
    )
    assert response.status_code == 201
    stored = project.pipelines.get(response.json()["id"])
    assert {v.key: v.value for v in stored.variables.list()} == {"A": "1", "B": "two"}


def test_trigger_with_bad_token_or_project_is_404(project: Project, gitlab_server: GitLabServer) -> None:
    _seed_ci(project)
    real = project.triggers.create({"description": "x"}).token
    anonymous = gitlab.Gitlab(gitlab_server.url, retry_transient_errors=False, timeout=5)
    for project_id, token in ((project.id, "glptt-wrong"), (999, real)):
        with pytest.raises(gitlab.GitlabCreateError) as err:
            anonymous.projects.get(project_id, lazy=True).trigger_pipeline("main", token)
        assert (err.value.response_code, err.value.error_message) == (404, "404 Not Found")
    project.triggers.delete(project.triggers.list()[0].id)
    with pytest.raises(gitlab.GitlabCreateError) as revoked:
        anonymous.projects.get(project.id, lazy=True).trigger_pipeline("main", real)
    assert revoked.value.response_code == 404
    assert [p.source for p in project.pipelines.list(get_all=True)] == ["push"]


def test_trigger_unknown_ref_is_400(project: Project, gitlab_server: GitLabServer) -> None:
    _seed_ci(project)
    token = project.triggers.create({"description": "x"}).token
    with pytest.raises(gitlab.GitlabCreateError) as err:
        gitlab.Gitlab(gitlab_server.url).projects.get(project.id, lazy=True).trigger_pipeline("nope", token)
    assert (err.value.response_code, err.value.error_message) == (400, {"base": ["Reference not found"]})


# ---- pipelines -------------------------------------------------------------------------------------------
def test_api_pipeline_with_variables(project: Project) -> None:
    _seed_ci(project)
    pipeline = project.pipelines.create(
        {
            "ref": "main",
            "variables": [{"key": "X", "value": "1"}, {"key": "F", "value": "c", "variable_type": "file"}],
        }
    )
    assert pipeline.source == "api"
    variables = project.pipelines.get(pipeline.id).variables.list()
    assert [(v.key, v.value, v.variable_type) for v in variables] == [
        ("X", "1", "env_var"),
        ("F", "c", "file"),
    ]


def test_no_ci_file_means_no_push_pipeline_and_400_on_api(project: Project) -> None:
    project.commits.create(
        {
            "branch": "main",
            "commit_message": "m",
            "actions": [{"action": "create", "file_path": "a", "content": "a"}],
        }
    )
    assert project.pipelines.list(get_all=True) == []
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.pipelines.create({"ref": "main"})
    assert err.value.error_message == {"base": ["Missing CI config file"]}


def test_pipelines_are_listed_newest_first_with_filters(project: Project) -> None:
    _seed_ci(project)
    api = project.pipelines.create({"ref": "main"})
    listing = project.pipelines.list(get_all=True)
    assert (listing[0].id, listing[0].source) == (api.id, "api")
    assert [p.source for p in listing] == ["api", "push"]
    assert [p.id for p in project.pipelines.list(source="api", get_all=True)] == [api.id]
    assert project.pipelines.list(ref="other", get_all=True) == []
    assert len(project.pipelines.list(status="created", get_all=True)) == 2
    with pytest.raises(gitlab.GitlabGetError) as err:
        project.pipelines.get(99999)
    assert err.value.response_code == 404


class _ScriptedRunner(RecordingRunner):
    """Adds a build job and a manual deploy job, like a deploy pipeline waiting for a person."""

    def __init__(self) -> None:
        super().__init__()
        self.state: Any = None

    def start(self, project: EmuProject, pipeline: Pipeline) -> None:
        super().start(project, pipeline)
        build = self.state.add_job(pipeline, name="build", stage="build")
        self.state.update_job(build, "running")
        self.state.append_trace(build, "step 1\n")
        self.state.append_trace(build, b"done \xe2\x9c\x93\n")
        self.state.update_job(build, "success")
        self.state.add_job(pipeline, name="deploy-prod", stage="deploy", when="manual")
        self.state.update_pipeline(pipeline, "manual")

    def play(self, project: EmuProject, pipeline: Pipeline, job: Job) -> None:
        super().play(project, pipeline, job)
        self.state.update_job(job, "success")
        self.state.update_pipeline(pipeline, "success")


def test_runner_hook_jobs_trace_and_manual_play(project: Project, gitlab_server: GitLabServer) -> None:
    runner = _ScriptedRunner()
    runner.state = gitlab_server.state
    gitlab_server.state.runner = runner
    _seed_ci(project)
    (pipeline,) = project.pipelines.list(get_all=True)
    assert runner.started == [pipeline.id]
    assert project.pipelines.get(pipeline.id).status == "manual"
    jobs = {j.name: j for j in project.pipelines.get(pipeline.id).jobs.list(get_all=True)}
    assert {n: j.status for n, j in jobs.items()} == {"build": "success", "deploy-prod": "manual"}
    assert project.jobs.get(jobs["build"].id).trace() == "step 1\ndone ✓\n".encode()
    with pytest.raises(gitlab.GitlabJobPlayError) as err:
        project.jobs.get(jobs["build"].id).play()
    assert err.value.error_message == "400 Bad request - Unplayable Job"
    project.jobs.get(jobs["deploy-prod"].id).play()
    assert runner.played == [jobs["deploy-prod"].id]
    assert project.jobs.get(jobs["deploy-prod"].id).status == "success"
    done = project.pipelines.get(pipeline.id)
    assert done.status == "success"
    assert done.finished_at is not None
    assert [j.name for j in done.jobs.list(scope="manual", get_all=True)] == []


def test_job_variables_follow_gitlab_precedence_protection_and_scopes(
    project: Project, gitlab_server: GitLabServer
) -> None:
    _seed_ci(project)
    project.variables.create({"key": "ROLE", "value": "arn:aws:iam::1:role/prod", "protected": True})
    project.variables.create({"key": "STAGE", "value": "any"})
    project.variables.create({"key": "STAGE", "value": "staging-only", "environment_scope": "staging"})
    project.variables.create({"key": "STAGE", "value": "review", "environment_scope": "review/*"})
    project.variables.create({"key": "OVERRIDE", "value": "project"})
    token = project.triggers.create({"description": "t"}).token
    anonymous = gitlab.Gitlab(gitlab_server.url).projects.get(project.id, lazy=True)
    on_main = anonymous.trigger_pipeline("main", token, variables={"OVERRIDE": "trigger"})
    state = gitlab_server.state
    emu_project = state.projects[project.id]

    def resolved(pipeline_id: int, environment: str | None) -> dict[str, str]:
        return {
            v.key: v.value
            for v in job_variables(state, emu_project, state.pipelines[pipeline_id], environment)
        }

    main_vars = resolved(on_main.id, None)
    assert main_vars["ROLE"] == "arn:aws:iam::1:role/prod"  # main is protected
    assert main_vars["STAGE"] == "any"
    assert main_vars["OVERRIDE"] == "trigger"  # pipeline variables win over project variables
    assert (main_vars["CI_PIPELINE_SOURCE"], main_vars["CI_COMMIT_REF_PROTECTED"]) == ("trigger", "true")
    assert main_vars["CI_PROJECT_PATH"] == "ml/team/deploy"
    assert resolved(on_main.id, "staging")["STAGE"] == "staging-only"
    assert resolved(on_main.id, "review/x")["STAGE"] == "review"
    project.commits.create(
        {
            "branch": "feature",
            "start_branch": "main",
            "commit_message": "f",
            "actions": [{"action": "create", "file_path": "f", "content": "f"}],
        }
    )
    (feature,) = project.pipelines.list(ref="feature", get_all=True)
    feature_vars = resolved(feature.id, None)
    assert "ROLE" not in feature_vars  # protected variables stay off unprotected branches
    assert feature_vars["CI_COMMIT_REF_PROTECTED"] == "false"
