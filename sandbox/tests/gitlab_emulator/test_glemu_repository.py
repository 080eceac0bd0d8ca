"""GitLab emulator: commits, files, tree and git smart HTTP, checked through python-gitlab and the git CLI."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import gitlab
import pytest
from gitlab.v4.objects import Project

from sandbox.gitlab_emulator.pytest_plugin import GitLabServer, run_git
from sandbox.gitlab_emulator.runner import RecordingRunner
from sandbox.gitlab_emulator.state import REPORTER

BINARY = bytes(range(256)) * 4 + b"\x00\xff\r\n\x1a"


@pytest.fixture
def project(gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab) -> Project:
    return gitlab_server.create_project("repo", gitlab_client)


def _commit(project: Project, actions: list[dict[str, Any]], branch: str = "main", **extra: Any) -> Any:
    return project.commits.create({"branch": branch, "commit_message": "msg", "actions": actions, **extra})


def _clone_url(server: GitLabServer, token: str, path: str = "ml/team/repo") -> str:
    return server.url.replace("http://", f"http://oauth2:{token}@") + f"/{path}.git"


def test_first_commit_creates_main_in_an_empty_repo(project: Project, gitlab_client: gitlab.Gitlab) -> None:
    assert project.empty_repo is True
    commit = _commit(project, [{"action": "create", "file_path": "README.md", "content": "# hi\n"}])
    assert len(commit.id) == 40
    assert commit.parent_ids == []
    assert commit.title == "msg"
    fresh = gitlab_client.projects.get(project.id)
    assert (fresh.empty_repo, fresh.default_branch) == (False, "main")
    assert [b.name for b in fresh.branches.list()] == ["main"]


def test_binary_content_round_trips_through_api_and_git(
    project: Project, gitlab_server: GitLabServer, tmp_path: Path
) -> None:
    _commit(
        project,
        [
            {
                "action": "create",
                "file_path": "model/blob.bin",
                "content": base64.b64encode(BINARY).decode(),
                "encoding": "base64",
            },
            {"action": "create", "file_path": "ünï code.txt", "content": "héllo\r\nwörld"},
        ],
    )
    got = project.files.get("model/blob.bin", ref="main")
    assert got.encoding == "base64"
    assert got.decode() == BINARY
    assert got.size == len(BINARY)
    assert project.files.raw("model/blob.bin", ref="main") == BINARY
    assert project.files.raw("ünï code.txt", ref="main") == "héllo\r\nwörld".encode()
    assert (
        run_git("clone", "-q", _clone_url(gitlab_server, gitlab_server.token), str(tmp_path / "c")).returncode
        == 0
    )
    assert (tmp_path / "c" / "model" / "blob.bin").read_bytes() == BINARY
    assert (tmp_path / "c" / "ünï code.txt").read_bytes() == "héllo\r\nwörld".encode()


def test_update_delete_move_and_chmod_make_one_commit_each(project: Project) -> None:
    first = _commit(
        project,
        [
            {"action": "create", "file_path": "a.txt", "content": "a"},
            {"action": "create", "file_path": "b.txt", "content": "b"},
            {"action": "create", "file_path": "run.sh", "content": "echo"},
        ],
    )
    second = _commit(
        project,
        [
            {"action": "update", "file_path": "a.txt", "content": "A"},
            {"action": "delete", "file_path": "b.txt"},
            {"action": "move", "file_path": "dir/c.txt", "previous_path": "a.txt"},
            {"action": "chmod", "file_path": "run.sh", "execute_filemode": True},
        ],
    )
    assert second.parent_ids == [first.id]
    tree = {e["path"]: e for e in project.repository_tree(recursive=True, get_all=True)}
    assert set(tree) == {"dir", "dir/c.txt", "run.sh"}
    assert tree["dir"]["type"] == "tree"
    assert tree["run.sh"]["mode"] == "100755"
    assert project.files.raw("dir/c.txt", ref="main") == b"A"
    assert [c.id for c in project.commits.list(get_all=True)] == [second.id, first.id]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"action": "create", "file_path": "a.txt", "content": "x"}, "A file with this name already exists"),
        (
            {"action": "update", "file_path": "nope.txt", "content": "x"},
            "A file with this name doesn't exist",
        ),
        ({"action": "delete", "file_path": "nope.txt"}, "A file with this name doesn't exist"),
    ],
)
def test_impossible_actions_are_400_and_change_nothing(
    project: Project, action: dict[str, Any], message: str
) -> None:
    head = _commit(project, [{"action": "create", "file_path": "a.txt", "content": "a"}]).id
    with pytest.raises(gitlab.GitlabCreateError) as err:
        _commit(project, [{"action": "create", "file_path": "ok.txt", "content": "ok"}, action])
    assert err.value.response_code == 400
    assert err.value.error_message == message
    assert project.branches.get("main").commit["id"] == head


def test_start_branch_creates_a_branch_from_another(project: Project) -> None:
    base = _commit(project, [{"action": "create", "file_path": "a.txt", "content": "a"}])
    feature = _commit(
        project,
        [{"action": "create", "file_path": "b.txt", "content": "b"}],
        branch="feature",
        start_branch="main",
    )
    assert feature.parent_ids == [base.id]
    assert project.branches.get("main").commit["id"] == base.id
    with pytest.raises(gitlab.GitlabCreateError) as err:
        _commit(project, [{"action": "create", "file_path": "c.txt", "content": "c"}], branch="nope")
    assert err.value.error_message == "You can only create or edit files when you are on a branch"


def test_missing_parameters_are_grape_errors(project: Project) -> None:
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.commits.create({"branch": "main", "commit_message": "m", "actions": []})
    assert (err.value.response_code, err.value.error_message) == (400, "actions is missing")
    with pytest.raises(gitlab.GitlabHttpError) as missing_ref:
        project.manager.gitlab.http_get(f"/projects/{project.id}/repository/files/a.txt")
    assert missing_ref.value.error_message == "ref is missing"


def test_files_and_tree_404s(project: Project) -> None:
    _commit(project, [{"action": "create", "file_path": "a.txt", "content": "a"}])
    with pytest.raises(gitlab.GitlabGetError) as err:
        project.files.get("nope.txt", ref="main")
    assert (err.value.response_code, err.value.error_message) == (404, "404 File Not Found")
    with pytest.raises(gitlab.GitlabGetError) as tree:
        project.repository_tree(path="nope")
    assert tree.value.response_code == 404


def test_tree_paginates(project: Project) -> None:
    _commit(
        project, [{"action": "create", "file_path": f"f{i:02d}.txt", "content": str(i)} for i in range(25)]
    )
    first = project.repository_tree(per_page=10, get_all=False)
    assert len(first) == 10
    every = project.repository_tree(per_page=10, get_all=True)
    assert [e["path"] for e in every] == [f"f{i:02d}.txt" for i in range(25)]


def test_commits_list_filters_by_ref_and_paginates(project: Project) -> None:
    shas = [
        _commit(project, [{"action": "create", "file_path": f"{i}.txt", "content": "x"}]).id for i in range(4)
    ]
    assert [c.id for c in project.commits.list(ref_name="main", per_page=3, get_all=True)] == shas[::-1]
    assert project.commits.list(ref_name="nope", get_all=True) == []


def test_git_push_is_visible_through_the_api(
    project: Project, gitlab_server: GitLabServer, tmp_path: Path
) -> None:
    _commit(project, [{"action": "create", "file_path": "a.txt", "content": "a"}])
    work = tmp_path / "w"
    assert run_git("clone", "-q", _clone_url(gitlab_server, gitlab_server.token), str(work)).returncode == 0
    (work / "big.bin").write_bytes(os.urandom(2_000_000))  # > http.postBuffer: chunked upload
    run_git("add", ".", cwd=work)
    run_git("-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "push", cwd=work)
    pushed = run_git("push", "-q", "origin", "main", cwd=work)
    assert pushed.returncode == 0, pushed.stderr
    head = run_git("rev-parse", "HEAD", cwd=work).stdout.decode().strip()
    assert project.branches.get("main").commit["id"] == head
    assert project.files.raw("big.bin", ref="main") == (work / "big.bin").read_bytes()
    # git probes with an empty request before a large chunked upload: both are receive-pack calls.
    pushes = [
        r for r in gitlab_server.requests() if r.endpoint == "POST /:namespace/:project.git/git-receive-pack"
    ]
    assert pushes
    assert {(r.status, r.project_id) for r in pushes} == {(200, project.id)}


def test_git_auth_and_roles(project: Project, gitlab_server: GitLabServer, tmp_path: Path) -> None:
    _commit(project, [{"action": "create", "file_path": "a.txt", "content": "a"}])
    denied = run_git("ls-remote", _clone_url(gitlab_server, "glpat-wrong"))
    assert denied.returncode != 0
    assert b"Authentication failed" in denied.stderr
    reporter = gitlab_server.make_token(access_level=REPORTER).value
    work = tmp_path / "r"
    assert run_git("clone", "-q", _clone_url(gitlab_server, reporter), str(work)).returncode == 0
    (work / "b.txt").write_text("b")
    run_git("add", ".", cwd=work)
    run_git("-c", "user.name=R", "-c", "user.email=r@example.com", "commit", "-qm", "nope", cwd=work)
    refused = run_git("push", "-q", "origin", "main", cwd=work)
    assert refused.returncode != 0
    assert [c.title for c in project.commits.list(get_all=True)] == ["msg"]
    missing = run_git("ls-remote", _clone_url(gitlab_server, gitlab_server.token, "ml/team/nope"))
    assert missing.returncode != 0


def test_git_push_fires_push_pipelines_per_moved_branch(
    project: Project, gitlab_server: GitLabServer, tmp_path: Path
) -> None:
    runner = RecordingRunner()
    gitlab_server.state.runner = runner
    _commit(project, [{"action": "create", "file_path": ".gitlab-ci.yml", "content": "j:\n  script: [x]\n"}])
    work = tmp_path / "w"
    assert run_git("clone", "-q", _clone_url(gitlab_server, gitlab_server.token), str(work)).returncode == 0
    (work / "a.txt").write_text("a")
    run_git("add", ".", cwd=work)
    run_git("-c", "user.name=Dev", "-c", "user.email=dev@example.com", "commit", "-qm", "change", cwd=work)
    head = run_git("rev-parse", "HEAD", cwd=work).stdout.decode().strip()
    assert run_git("push", "-q", "origin", "main", "main:feature", cwd=work).returncode == 0
    pipelines = project.pipelines.list(source="push", get_all=True)
    assert sorted((p.ref, p.sha) for p in pipelines[:2]) == [("feature", head), ("main", head)]
    assert len(runner.started) == 3  # the API commit's pipeline and one per pushed branch
    pushed = project.pipelines.get(runner.started[-1])
    assert pushed.source == "push"
    assert (
        pushed.user["username"] == gitlab_server.state.users[gitlab_server.seed.group_token.user_id].username
    )


def test_initialize_with_readme_and_custom_default_branch(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    created = gitlab_server.create_project(
        "init", gitlab_client, initialize_with_readme=True, default_branch="develop"
    )
    assert (created.empty_repo, created.default_branch) == (False, "develop")
    assert created.files.raw("README.md", ref="develop") == b"# init\n"
    assert [b.name for b in created.branches.list()] == ["develop"]
