"""GitLab emulator: protected tags, tags and tag pipelines (contract C7), via python-gitlab and the git CLI.

Expected values are GitLab's documented ones (https://docs.gitlab.com/api/protected_tags/,
https://docs.gitlab.com/api/tags/, https://docs.gitlab.com/ci/variables/predefined_variables/), written out
here rather than computed by the emulator.
"""

from __future__ import annotations

from pathlib import Path

import gitlab
import pytest
from gitlab.v4.objects import Project

from sandbox.gitlab_emulator import push_hook
from sandbox.gitlab_emulator.civars import job_variables
from sandbox.gitlab_emulator.pytest_plugin import GitLabServer, run_git
from sandbox.gitlab_emulator.runner import RecordingRunner
from sandbox.gitlab_emulator.state import DEVELOPER, MAINTAINER, OWNER

PROD_ONLY_CI = """
workflow:
  rules:
    - if: $CI_COMMIT_TAG =~ /^prod-/
    - if: $CI_COMMIT_BRANCH == "main"
deploy:
  script: [echo deploy]
"""
CREATE_PROTECTED = "You are not allowed to create this tag as it is protected."


@pytest.fixture
def project(gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab) -> Project:
    return gitlab_server.create_project("deploy", gitlab_client)


@pytest.fixture
def runner(gitlab_server: GitLabServer) -> RecordingRunner:
    recording = RecordingRunner()
    gitlab_server.state.runner = recording
    return recording


def _seed(project: Project, ci: str = PROD_ONLY_CI) -> str:
    commit = project.commits.create(
        {
            "branch": "main",
            "commit_message": "seed",
            "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": ci}],
        }
    )
    return str(commit.id)


def _as(gitlab_server: GitLabServer, project: Project, level: int) -> Project:
    token = gitlab_server.make_token(access_level=level).value
    return gitlab_server.client(token).projects.get(project.id, lazy=True)


# ---- protected tags API ----------------------------------------------------------------------------------
def test_protect_list_get_unprotect_with_gitlab_shapes(project: Project) -> None:
    created = project.protectedtags.create({"name": "prod-*"})
    assert created.create_access_levels[0]["access_level"] == 40  # the documented default: Maintainer
    assert created.create_access_levels[0]["access_level_description"] == "Maintainers"
    project.protectedtags.create({"name": "dev-*", "create_access_level": 30})
    listed = {p.name: p.create_access_levels[0]["access_level"] for p in project.protectedtags.list()}
    assert listed == {"prod-*": 40, "dev-*": 30}
    assert project.protectedtags.get("prod-*").name == "prod-*"
    project.protectedtags.delete("dev-*")
    with pytest.raises(gitlab.GitlabGetError) as err:
        project.protectedtags.get("dev-*")
    assert (err.value.response_code, err.value.error_message) == (404, "404 Not found")


def test_protecting_twice_or_with_an_unknown_level_is_refused(project: Project) -> None:
    project.protectedtags.create({"name": "prod-*"})
    with pytest.raises(gitlab.GitlabCreateError) as twice:
        project.protectedtags.create({"name": "prod-*", "create_access_level": 30})
    assert (twice.value.response_code, twice.value.error_message) == (422, ["Name has already been taken"])
    with pytest.raises(gitlab.GitlabCreateError) as level:
        project.protectedtags.create({"name": "rel-*", "create_access_level": 50})
    assert level.value.response_code == 400
    assert "create_access_level does not have a valid value" in str(level.value.error_message)


def test_only_maintainers_manage_protected_tags(gitlab_server: GitLabServer, project: Project) -> None:
    as_developer = _as(gitlab_server, project, DEVELOPER)
    with pytest.raises(gitlab.GitlabCreateError) as err:
        as_developer.protectedtags.create({"name": "prod-*"})
    assert err.value.response_code == 403
    with pytest.raises(gitlab.GitlabListError):
        as_developer.protectedtags.list()
    _as(gitlab_server, project, MAINTAINER).protectedtags.create({"name": "prod-*"})


# ---- tags API ----------------------------------------------------------------------------------------------
def test_tag_create_list_get_delete_lightweight_and_annotated(project: Project) -> None:
    sha = _seed(project)
    light = project.tags.create({"tag_name": "v1", "ref": "main"})
    assert (light.name, light.target, light.message, light.commit["id"]) == ("v1", sha, None, sha)
    annotated = project.tags.create({"tag_name": "v2", "ref": sha, "message": "Release 2"})
    assert annotated.message == "Release 2"
    assert annotated.target != sha  # the tag object, as GitLab reports an annotated tag's target
    assert annotated.commit["id"] == sha
    assert annotated.created_at is not None
    assert light.created_at is None
    assert sorted(t.name for t in project.tags.list(get_all=True)) == ["v1", "v2"]
    assert project.tags.get("v2").message == "Release 2"
    project.tags.delete("v1")
    with pytest.raises(gitlab.GitlabGetError) as err:
        project.tags.get("v1")
    assert (err.value.response_code, err.value.error_message) == (404, "404 Tag Not Found")


@pytest.mark.parametrize(
    ("tag_name", "ref", "message"),
    [
        ("new design", "main", "Tag name invalid"),
        ("v3", "nope", "Target nope is invalid"),
        ("v1", "main", "Tag v1 already exists"),
    ],
)
def test_bad_tags_are_400_with_gitlab_messages(
    project: Project, tag_name: str, ref: str, message: str
) -> None:
    _seed(project)
    project.tags.create({"tag_name": "v1", "ref": "main"})
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.tags.create({"tag_name": tag_name, "ref": ref})
    assert (err.value.response_code, err.value.error_message) == (400, message)


def test_protected_tag_refuses_creation_below_its_level(
    gitlab_server: GitLabServer, project: Project
) -> None:
    _seed(project)
    project.protectedtags.create({"name": "prod-*", "create_access_level": 40})
    as_developer = _as(gitlab_server, project, DEVELOPER)
    with pytest.raises(gitlab.GitlabCreateError) as err:
        as_developer.tags.create({"tag_name": "prod-1", "ref": "main"})
    # lib/api/tags.rb renders Tags::CreateService's errors (the access check's PreReceiveError) as 400.
    assert (err.value.response_code, err.value.error_message) == (400, CREATE_PROTECTED)
    assert [t.name for t in project.tags.list(get_all=True)] == []
    as_developer.tags.create({"tag_name": "staging-1", "ref": "main"})  # unprotected names: Developer
    created = _as(gitlab_server, project, MAINTAINER).tags.create({"tag_name": "prod-1", "ref": "main"})
    assert created.protected is True
    assert project.tags.get("staging-1").protected is False


def test_no_access_level_refuses_even_the_owner_and_30_lets_developers(
    gitlab_server: GitLabServer, project: Project
) -> None:
    _seed(project)
    project.protectedtags.create({"name": "frozen-*", "create_access_level": 0})
    project.protectedtags.create({"name": "dev-*", "create_access_level": 30})
    with pytest.raises(gitlab.GitlabCreateError) as err:
        _as(gitlab_server, project, OWNER).tags.create({"tag_name": "frozen-1", "ref": "main"})
    assert err.value.error_message == CREATE_PROTECTED
    _as(gitlab_server, project, DEVELOPER).tags.create({"tag_name": "dev-1", "ref": "main"})


def test_deleting_a_protected_tag_needs_maintainer(gitlab_server: GitLabServer, project: Project) -> None:
    _seed(project)
    project.protectedtags.create({"name": "prod-*"})
    project.tags.create({"tag_name": "prod-1", "ref": "main"})
    with pytest.raises(gitlab.GitlabDeleteError) as err:
        _as(gitlab_server, project, DEVELOPER).tags.delete("prod-1")
    assert err.value.response_code == 403
    _as(gitlab_server, project, MAINTAINER).tags.delete("prod-1")
    assert project.tags.list(get_all=True) == []


def test_protection_patterns_match_like_gitlab_wildcards(project: Project) -> None:
    _seed(project)
    project.protectedtags.create({"name": "prod-*"})
    project.protectedtags.create({"name": "v1.0"})
    for name in ("prod-", "prod-2026.1", "v1.0"):
        project.tags.create({"tag_name": name, "ref": "main"})
    for name in ("production", "xprod-1", "v1x0", "v1.0.1"):
        project.tags.create({"tag_name": name, "ref": "main"})
    flags = {t.name: t.protected for t in project.tags.list(get_all=True)}
    assert flags == {
        "prod-": True,
        "prod-2026.1": True,
        "v1.0": True,
        "production": False,
        "xprod-1": False,
        "v1x0": False,
        "v1.0.1": False,
    }


# ---- tag pipelines ---------------------------------------------------------------------------------------
def test_a_new_tag_starts_a_tag_pipeline_that_workflow_rules_see(
    gitlab_server: GitLabServer, project: Project, runner: RecordingRunner
) -> None:
    sha = _seed(project)
    assert len(runner.started) == 1  # main
    project.tags.create({"tag_name": "staging-1", "ref": "main"})  # the rules want prod-* tags only
    assert len(runner.started) == 1
    project.tags.create({"tag_name": "prod-1", "ref": "main"})
    assert len(runner.started) == 2
    pipeline = project.pipelines.get(runner.started[-1])
    assert (pipeline.ref, pipeline.sha, pipeline.source, pipeline.tag) == ("prod-1", sha, "push", True)
    assert pipeline.before_sha == "0" * 40


def test_tag_pipeline_variables_have_the_tag_and_no_branch(
    gitlab_server: GitLabServer, project: Project, runner: RecordingRunner
) -> None:
    _seed(project)
    project.protectedtags.create({"name": "prod-*"})
    project.variables.create({"key": "PROD_ONLY", "value": "secret-value", "protected": True})
    project.tags.create({"tag_name": "prod-7", "ref": "main", "message": "promote"})
    state = gitlab_server.state
    pipeline = state.get_pipeline(runner.started[-1])
    emu_project = state.projects[project.id]
    values = {v.key: v.value for v in job_variables(state, emu_project, pipeline)}
    assert values["CI_COMMIT_TAG"] == "prod-7"
    assert values["CI_COMMIT_TAG_MESSAGE"] == "promote"
    assert values["CI_COMMIT_REF_NAME"] == "prod-7"
    assert values["CI_COMMIT_REF_SLUG"] == "prod-7"
    assert values["CI_COMMIT_REF_PROTECTED"] == "true"
    assert "CI_COMMIT_BRANCH" not in values
    assert values["PROD_ONLY"] == "secret-value"  # protected variables reach protected tags


def test_an_unprotected_tag_pipeline_gets_no_protected_variables(
    gitlab_server: GitLabServer, project: Project, runner: RecordingRunner
) -> None:
    _seed(project)
    project.variables.create({"key": "PROD_ONLY", "value": "secret-value", "protected": True})
    project.tags.create({"tag_name": "prod-8", "ref": "main"})  # no protected tag rule: unprotected
    state = gitlab_server.state
    pipeline = state.get_pipeline(runner.started[-1])
    values = {v.key: v.value for v in job_variables(state, state.projects[project.id], pipeline)}
    assert values["CI_COMMIT_REF_PROTECTED"] == "false"
    assert "PROD_ONLY" not in values


def test_api_pipeline_for_a_tag_ref_is_a_tag_pipeline_and_ambiguous_refs_are_refused(
    project: Project, runner: RecordingRunner
) -> None:
    _seed(project)
    project.tags.create({"tag_name": "prod-2", "ref": "main"})
    pipeline = project.pipelines.create({"ref": "prod-2"})
    assert (pipeline.ref, pipeline.tag, pipeline.source) == ("prod-2", True, "api")
    project.commits.create(  # a branch named like the tag (the emulator has no create-branch API)
        {
            "branch": "twin",
            "start_branch": "main",
            "commit_message": "twin",
            "actions": [{"action": "create", "file_path": "twin.txt", "content": "x"}],
        }
    )
    project.tags.create({"tag_name": "twin", "ref": "main"})
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.pipelines.create({"ref": "twin"})
    assert (err.value.response_code, err.value.error_message) == (400, {"base": ["Ref is ambiguous"]})


# ---- git push ------------------------------------------------------------------------------------------------
def _clone(gitlab_server: GitLabServer, token: str, work: Path) -> None:
    host = gitlab_server.url.split("://", 1)[1]
    url = f"http://oauth2:{token}@{host}/{gitlab_server.group_path}/deploy.git"
    assert run_git("clone", "-q", url, str(work)).returncode == 0


def test_git_push_honours_protected_tags_and_starts_tag_pipelines(
    gitlab_server: GitLabServer, project: Project, runner: RecordingRunner, tmp_path: Path
) -> None:
    sha = _seed(project)
    project.protectedtags.create({"name": "prod-*"})
    developer = gitlab_server.make_token(access_level=DEVELOPER).value
    _clone(gitlab_server, developer, tmp_path / "dev")
    run_git("tag", "prod-3", cwd=tmp_path / "dev")
    refused = run_git("push", "origin", "prod-3", cwd=tmp_path / "dev")
    assert refused.returncode != 0
    assert f"GitLab: {CREATE_PROTECTED}".encode() in refused.stderr
    assert project.tags.list(get_all=True) == []
    started = len(runner.started)
    maintainer = gitlab_server.make_token(access_level=MAINTAINER).value
    _clone(gitlab_server, maintainer, tmp_path / "maint")
    run_git("tag", "prod-3", cwd=tmp_path / "maint")
    pushed = run_git("push", "origin", "prod-3", cwd=tmp_path / "maint")
    assert pushed.returncode == 0, pushed.stderr
    assert len(runner.started) == started + 1
    pipeline = project.pipelines.get(runner.started[-1])
    assert (pipeline.ref, pipeline.sha, pipeline.tag) == ("prod-3", sha, True)
    # Moving a protected tag is refused to everyone; deleting it needs Maintainer.
    dev_delete = run_git("push", "origin", ":refs/tags/prod-3", cwd=tmp_path / "dev")
    assert dev_delete.returncode != 0
    assert b"You are not allowed to delete protected tags" in dev_delete.stderr
    assert [t.name for t in project.tags.list(get_all=True)] == ["prod-3"]


def test_push_hook_decisions_match_gitlabs_tag_check() -> None:
    zero, a, b = "0" * 40, "a" * 40, "b" * 40
    policy = {"user_level": MAINTAINER, "protected_tags": [["prod-*", MAINTAINER]]}
    assert push_hook.refusal([(zero, a, "refs/tags/prod-1")], policy) is None
    assert push_hook.refusal([(a, b, "refs/tags/prod-1")], policy) == "Protected tags cannot be updated."
    assert push_hook.refusal([(a, zero, "refs/tags/prod-1")], policy) is None  # Maintainers may delete
    assert push_hook.refusal([(a, b, "refs/tags/v1"), (a, b, "refs/heads/main")], policy) is None
    developer = {**policy, "user_level": DEVELOPER}
    assert push_hook.refusal([(zero, a, "refs/tags/prod-1")], developer) == CREATE_PROTECTED


def test_push_hook_refuses_pushes_without_the_emulators_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(push_hook.POLICY_ENV, raising=False)
    assert push_hook.main() == 1
