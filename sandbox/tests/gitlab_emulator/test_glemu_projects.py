"""GitLab emulator: authentication, groups, projects and pagination, through python-gitlab."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import gitlab
import pytest
import requests

from sandbox.gitlab_emulator.pytest_plugin import GitLabServer
from sandbox.gitlab_emulator.state import DEVELOPER, MAINTAINER


def _create(gl: gitlab.Gitlab, group_id: int, name: str, **extra: object) -> object:
    return gl.projects.create({"name": name, "path": name, "namespace_id": group_id, **extra})


# ---- auth ----------------------------------------------------------------------------------------------
def test_user_and_token_self_describe_the_group_token(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    gitlab_client.auth()
    assert gitlab_client.user is not None
    assert gitlab_client.user.bot is True
    assert gitlab_client.user.web_url.startswith(gitlab_server.url)
    me = gitlab_client.personal_access_tokens.get("self")
    assert me.scopes == ["api"]
    assert me.active is True
    assert date.fromisoformat(me.expires_at) == date.today() + timedelta(days=30)


@pytest.mark.parametrize("token", [None, "glpat-wrong"])
def test_missing_or_unknown_token_is_401_unauthorized(gitlab_server: GitLabServer, token: str | None) -> None:
    gl = gitlab.Gitlab(gitlab_server.url, private_token=token)
    with pytest.raises(gitlab.GitlabAuthenticationError) as err:
        gl.groups.get("ml/team")
    assert err.value.response_code == 401
    assert err.value.error_message == "401 Unauthorized"


def test_bearer_header_authenticates(gitlab_server: GitLabServer) -> None:
    gl = gitlab.Gitlab(gitlab_server.url, oauth_token=gitlab_server.token)
    assert gl.groups.get("ml/team").full_path == "ml/team"


def test_expired_token_is_401_invalid_token_with_description(gitlab_server: GitLabServer) -> None:
    gitlab_server.expire(gitlab_server.token)
    with pytest.raises(gitlab.GitlabAuthenticationError) as err:
        gitlab_server.client().auth()
    assert err.value.response_code == 401
    assert err.value.error_message == "invalid_token"
    assert "Token is expired" in json.loads(err.value.response_body)["error_description"]


def test_revoked_token_is_401_and_other_tokens_keep_working(gitlab_server: GitLabServer) -> None:
    other = gitlab_server.make_token()
    gitlab_server.revoke(gitlab_server.token)
    with pytest.raises(gitlab.GitlabAuthenticationError) as err:
        gitlab_server.client().groups.get("ml/team")
    assert err.value.response_code == 401
    assert "revoked" in json.loads(err.value.response_body)["error_description"]
    assert gitlab_server.client(other.value).groups.get("ml/team").id == gitlab_server.group.id


def test_read_api_token_cannot_write(gitlab_server: GitLabServer) -> None:
    reader = gitlab_server.client(gitlab_server.make_token(scopes=("read_api",)).value)
    assert reader.groups.get("ml/team").id == gitlab_server.group.id
    with pytest.raises(gitlab.GitlabCreateError) as err:
        _create(reader, gitlab_server.group.id, "nope")
    assert err.value.response_code == 403
    assert err.value.error_message == "insufficient_scope"


# ---- groups --------------------------------------------------------------------------------------------
def test_group_by_id_and_url_encoded_path(gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab) -> None:
    by_path = gitlab_client.groups.get("ml/team")  # python-gitlab sends ml%2Fteam
    by_id = gitlab_client.groups.get(gitlab_server.group.id)
    assert by_path.id == by_id.id == gitlab_server.group.id
    assert by_path.full_path == "ml/team"
    assert by_path.parent_id == gitlab_server.state.find_group("ml").id  # type: ignore[union-attr]


def test_unknown_or_foreign_group_is_404_group_not_found(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    gitlab_server.state.create_group("other")  # private, the token is no member
    for ref in ("ml/nope", "other"):
        with pytest.raises(gitlab.GitlabGetError) as err:
            gitlab_client.groups.get(ref)
        assert err.value.response_code == 404
        assert err.value.error_message == "404 Group Not Found"


def test_subgroups_have_full_paths(gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab) -> None:
    sub = gitlab_server.state.create_group("vision", parent=gitlab_server.group)
    assert gitlab_client.groups.get("ml/team/vision").id == sub.id
    assert [g.full_path for g in gitlab_client.groups.get("ml/team").subgroups.list()] == ["ml/team/vision"]


# ---- projects ------------------------------------------------------------------------------------------
def test_create_project_then_get_by_encoded_path(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    created: Any = _create(
        gitlab_client,
        gitlab_server.group.id,
        "churn-p-abc-model-build",
        description="build",
        visibility="private",
        initialize_with_readme=False,
    )
    assert created.path_with_namespace == "ml/team/churn-p-abc-model-build"
    assert created.empty_repo is True
    assert created.http_url_to_repo == f"{gitlab_server.url}/ml/team/churn-p-abc-model-build.git"
    fetched = gitlab_client.projects.get("ml/team/churn-p-abc-model-build")
    assert fetched.id == created.id
    assert fetched.description == "build"
    assert fetched.namespace["full_path"] == "ml/team"


def test_duplicate_project_is_400_name_and_path_taken(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    _create(gitlab_client, gitlab_server.group.id, "dup")
    with pytest.raises(gitlab.GitlabCreateError) as err:
        _create(gitlab_client, gitlab_server.group.id, "dup")
    assert err.value.response_code == 400
    assert err.value.error_message == {"name": ["has already been taken"], "path": ["has already been taken"]}
    assert len(gitlab_client.groups.get("ml/team").projects.list(get_all=True)) == 1


def test_unknown_project_is_404_project_not_found(gitlab_client: gitlab.Gitlab) -> None:
    for ref in ("ml/team/nope", 999):
        with pytest.raises(gitlab.GitlabGetError) as err:
            gitlab_client.projects.get(ref)
        assert err.value.response_code == 404
        assert err.value.error_message == "404 Project Not Found"


def test_unknown_namespace_is_404(gitlab_client: gitlab.Gitlab) -> None:
    with pytest.raises(gitlab.GitlabCreateError) as err:
        _create(gitlab_client, 999, "x")
    assert err.value.response_code == 404
    assert err.value.error_message == "404 Namespace Not Found"


def test_developer_cannot_create_projects(gitlab_server: GitLabServer) -> None:
    dev = gitlab_server.client(gitlab_server.make_token(access_level=DEVELOPER).value)
    with pytest.raises(gitlab.GitlabCreateError) as err:
        _create(dev, gitlab_server.group.id, "x")
    assert (err.value.response_code, err.value.error_message) == (400, {"namespace": ["is not valid"]})
    assert gitlab_server.state.find_project("ml/team/x") is None


def test_update_settings_are_echoed_and_persist(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    project = _create(gitlab_client, gitlab_server.group.id, "settings")
    project.description = "new"  # type: ignore[attr-defined]
    project.only_allow_merge_if_pipeline_succeeds = True  # type: ignore[attr-defined]
    project.save()  # type: ignore[attr-defined]
    again = gitlab_client.projects.get(project.id)  # type: ignore[attr-defined]
    assert again.description == "new"
    assert again.only_allow_merge_if_pipeline_succeeds is True


def test_archive_unarchive_and_archived_projects_refuse_commits(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    project = gitlab_client.projects.get(_create(gitlab_client, gitlab_server.group.id, "arch").id)  # type: ignore[attr-defined]
    project.archive()
    assert gitlab_client.projects.get(project.id).archived is True
    with pytest.raises(gitlab.GitlabCreateError) as err:
        project.commits.create(
            {
                "branch": "main",
                "commit_message": "x",
                "actions": [{"action": "create", "file_path": "a", "content": "a"}],
            }
        )
    assert err.value.response_code == 403
    project.unarchive()
    assert gitlab_client.projects.get(project.id).archived is False


def test_maintainer_cannot_archive_or_delete(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    project_id = _create(gitlab_client, gitlab_server.group.id, "keep").id  # type: ignore[attr-defined]
    maintainer = gitlab_server.client(gitlab_server.make_token(access_level=MAINTAINER).value)
    with pytest.raises(gitlab.GitlabDeleteError) as err:
        maintainer.projects.delete(project_id)
    assert err.value.response_code == 403
    with pytest.raises(gitlab.GitlabCreateError):
        maintainer.projects.get(project_id).archive()
    assert gitlab_client.projects.get(project_id).archived is False


def test_delete_is_202_then_404_and_frees_the_path(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    project_id = _create(gitlab_client, gitlab_server.group.id, "gone").id  # type: ignore[attr-defined]
    response = requests.delete(
        f"{gitlab_server.url}/api/v4/projects/{project_id}",
        headers={"PRIVATE-TOKEN": gitlab_server.token},
        timeout=5,
    )
    assert (response.status_code, response.json()) == (202, {"message": "202 Accepted"})
    with pytest.raises(gitlab.GitlabGetError) as err:
        gitlab_client.projects.get(project_id)
    assert err.value.response_code == 404
    with pytest.raises(gitlab.GitlabDeleteError) as gone:
        gitlab_client.projects.delete(project_id)
    assert gone.value.response_code == 404
    assert _create(gitlab_client, gitlab_server.group.id, "gone").id != project_id  # type: ignore[attr-defined]


# ---- listing, search, pagination -------------------------------------------------------------------------
def test_group_projects_search(gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab) -> None:
    for name in ("a-p-1-model-build", "a-p-1-model-deploy", "other"):
        _create(gitlab_client, gitlab_server.group.id, name)
    group = gitlab_client.groups.get("ml/team")
    found = sorted(p.path for p in group.projects.list(search="model", get_all=True))
    assert found == ["a-p-1-model-build", "a-p-1-model-deploy"]
    assert [p.path for p in group.projects.list(search="other", get_all=True)] == ["other"]


def test_pagination_headers_and_links_are_gitlabs(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    for i in range(5):
        _create(gitlab_client, gitlab_server.group.id, f"p{i}")
    response = requests.get(
        f"{gitlab_server.url}/api/v4/groups/ml%2Fteam/projects",
        params={"per_page": 2, "page": 2, "search": "p"},
        headers={"PRIVATE-TOKEN": gitlab_server.token},
        timeout=5,
    )
    assert response.status_code == 200
    assert len(response.json()) == 2
    h = response.headers
    assert (h["X-Page"], h["X-Per-Page"], h["X-Total"], h["X-Total-Pages"]) == ("2", "2", "5", "3")
    assert (h["X-Next-Page"], h["X-Prev-Page"]) == ("3", "1")
    links = response.links
    assert set(links) == {"prev", "next", "first", "last"}
    nxt = urlparse(links["next"]["url"])
    assert nxt.path == "/api/v4/groups/ml%2Fteam/projects"
    assert parse_qs(nxt.query) == {"search": ["p"], "page": ["3"], "per_page": ["2"]}
    last = requests.get(links["last"]["url"], headers={"PRIVATE-TOKEN": gitlab_server.token}, timeout=5)
    assert len(last.json()) == 1
    assert last.headers["X-Next-Page"] == ""
    assert "next" not in last.links


def test_python_gitlab_iterates_every_page(gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab) -> None:
    names = {f"q{i:02d}" for i in range(7)}
    for name in names:
        _create(gitlab_client, gitlab_server.group.id, name)
    group = gitlab_client.groups.get("ml/team")
    gitlab_server.clear_log()
    listing = group.projects.list(iterator=True, per_page=3)
    assert {p.path for p in listing} == names
    assert listing.total == 7
    assert listing.total_pages == 3
    assert gitlab_server.count("GET /groups/:id/projects") == 3
    assert {p.path for p in group.projects.list(get_all=True, per_page=2)} == names
    first_page = group.projects.list(per_page=3, page=1)
    assert len(first_page) == 3


def test_default_per_page_is_20_and_max_100(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    for i in range(21):
        _create(gitlab_client, gitlab_server.group.id, f"r{i}")
    url = f"{gitlab_server.url}/api/v4/groups/{gitlab_server.group.id}/projects"
    headers = {"PRIVATE-TOKEN": gitlab_server.token}
    assert len(requests.get(url, headers=headers, timeout=5).json()) == 20
    big = requests.get(url, headers=headers, params={"per_page": 500}, timeout=5)
    assert big.headers["X-Per-Page"] == "100"
    assert len(big.json()) == 21


def test_unknown_route_is_404_not_found(gitlab_server: GitLabServer) -> None:
    response = requests.get(
        f"{gitlab_server.url}/api/v4/nope", headers={"PRIVATE-TOKEN": gitlab_server.token}, timeout=5
    )
    assert (response.status_code, response.json()) == (404, {"error": "404 Not Found"})


def test_delayed_deletion_marks_renames_then_permanently_removes(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    gitlab_server.state.deletion = "delayed"  # GitLab >= 18 default
    project_id = _create(gitlab_client, gitlab_server.group.id, "soft").id  # type: ignore[attr-defined]
    gitlab_client.projects.delete(project_id)
    marked = gitlab_client.projects.get(project_id)
    assert marked.path_with_namespace == f"ml/team/soft-deletion_scheduled-{project_id}"
    assert marked.archived is True
    assert marked.marked_for_deletion_on == date.today().isoformat()
    assert _create(gitlab_client, gitlab_server.group.id, "soft").id != project_id  # type: ignore[attr-defined]
    with pytest.raises(gitlab.GitlabDeleteError) as again:
        gitlab_client.projects.delete(project_id)
    assert again.value.error_message == "Project has been already marked for deletion"
    with pytest.raises(gitlab.GitlabDeleteError) as wrong_path:
        gitlab_client.projects.delete(
            project_id, query_data={"permanently_remove": True, "full_path": "ml/team/soft"}
        )
    assert wrong_path.value.response_code == 400
    gitlab_client.projects.delete(
        project_id, query_data={"permanently_remove": True, "full_path": marked.path_with_namespace}
    )
    with pytest.raises(gitlab.GitlabGetError):
        gitlab_client.projects.get(project_id)
