"""REST endpoints: repository commits (create with create/update/delete/move/chmod actions, text or base64
content; list; read), branches, tree and files (JSON and raw).

Commits need Developer and an unarchived project (https://docs.gitlab.com/api/commits/#create-a-commit-with-multiple-files-and-actions);
a commit to a branch starts its push pipeline (``pipeline_start.py``). Tags: ``api_tags.py``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any

from werkzeug.wrappers import Response

from . import gitrepo
from .errors import ApiError, bad_request, forbidden, not_found
from .pipeline_start import start_push_pipeline
from .routing import Ctx, as_bool, json_response, paginate, paginated, route
from .state import DEVELOPER, Project, now
from .views import commit_json


# ---- repository ------------------------------------------------------------------------------------------
def _writable(ctx: Ctx) -> Project:
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    if project.archived:
        raise forbidden()
    return project


def _decode_action(raw: Any) -> gitrepo.FileAction:
    if not isinstance(raw, dict):
        raise bad_request("actions is invalid")
    action = str(raw.get("action", ""))
    if action not in ("create", "update", "delete", "move", "chmod"):
        raise bad_request("actions[action] does not have a valid value")
    file_path = str(raw.get("file_path") or "")
    if not file_path:
        raise bad_request("actions[file_path] is missing")
    content: bytes | None = None
    if raw.get("content") is not None:
        if raw.get("encoding", "text") == "base64":
            try:
                content = base64.b64decode(str(raw["content"]), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise bad_request("actions[content] is not valid base64") from exc
        else:
            content = str(raw["content"]).encode("utf-8")
    mode = raw.get("execute_filemode")
    return gitrepo.FileAction(
        action=action,
        file_path=file_path,
        content=content,
        previous_path=raw.get("previous_path"),
        execute_filemode=None if mode is None else as_bool(mode),
    )


@route("POST", "/projects/:id/repository/commits")
def create_commit(ctx: Ctx) -> Response:
    project = _writable(ctx)
    user = ctx.current_user()
    branch = str(ctx.require("branch"))
    message = str(ctx.require("commit_message"))
    raw_actions = ctx.require("actions")
    if not isinstance(raw_actions, list) or not raw_actions:
        raise bad_request("actions is missing")
    actions = [_decode_action(a) for a in raw_actions]
    start_branch = ctx.str_param("start_branch") or ctx.str_param("start_sha")
    author = (ctx.str_param("author_name", user.name), ctx.str_param("author_email", user.email))
    force = as_bool(ctx.params.get("force", False))
    with project.lock:
        # Commits::CreateService: validate_on_branch! and validate_branch_existence!
        current = gitrepo.resolve(project.repo, f"refs/heads/{branch}")
        empty = not gitrepo.branches(project.repo)
        start = start_branch or branch
        start_sha = gitrepo.resolve(
            project.repo, start if ctx.str_param("start_sha") else f"refs/heads/{start}"
        )
        if not empty and start_sha is None:
            raise ApiError(400, {"message": "You can only create or edit files when you are on a branch"})
        if not empty and start != branch and current is not None and not force:
            raise ApiError(
                400,
                {
                    "message": f"A branch called '{branch}' already exists. "
                    "Switch to that branch in order to make changes"
                },
            )
        parent = (start_sha if (force or current is None) else current) if not empty else None
        try:
            sha = gitrepo.commit_actions(
                project.repo,
                branch=branch,
                parent=parent,
                actions=actions,
                message=message,
                author=author,
                expected_old=current,
            )
        except gitrepo.GitError as exc:
            raise ApiError(exc.status, {"message": exc.message}) from exc
        if empty:
            # GitLab makes the first branch of an empty repository its default branch.
            project.default_branch = branch
            gitrepo.set_head(project.repo, branch)
    project.last_activity_at = now()
    body = commit_json(ctx.state, project, gitrepo.commit_info(project.repo, sha))
    body.update({"stats": _stats(project, parent, sha), "status": None, "project_id": project.id})
    start_push_pipeline(ctx.state, project, ctx.user, branch, sha, parent)
    return json_response(201, body)


def _stats(project: Project, parent: str | None, sha: str) -> dict[str, int]:
    base = parent or gitrepo.EMPTY_TREE
    out = gitrepo.run_git(project.repo, "diff", "--numstat", base, sha).decode()
    additions = deletions = 0
    for line in out.splitlines():
        added, deleted, _ = line.split("\t", 2)
        additions += int(added) if added.isdigit() else 0
        deletions += int(deleted) if deleted.isdigit() else 0
    return {"additions": additions, "deletions": deletions, "total": additions + deletions}


def _ref_or_default(ctx: Ctx, project: Project, name: str = "ref") -> str:
    return ctx.str_param(name) or project.default_branch


@route("GET", "/projects/:id/repository/commits")
def list_commits(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    ref = _ref_or_default(ctx, project, "ref_name")
    sha = gitrepo.resolve(project.repo, ref)
    if sha is None:
        # GitLab answers an unknown ref (or an empty repository) with an empty list.
        return paginated(ctx, [])
    shas = gitrepo.log(project.repo, sha, ctx.str_param("path") or None)
    page, headers = paginate(ctx, shas)
    return json_response(
        200, [commit_json(ctx.state, project, gitrepo.commit_info(project.repo, s)) for s in page], headers
    )


@route("GET", "/projects/:id/repository/commits/:sha")
def get_commit(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    sha = gitrepo.resolve(project.repo, ctx.args["sha"])
    if sha is None:
        raise not_found("Commit")
    return json_response(200, commit_json(ctx.state, project, gitrepo.commit_info(project.repo, sha)))


@route("GET", "/projects/:id/repository/branches")
def list_branches(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    items = [
        _branch_json(ctx, project, name, sha) for name, sha in sorted(gitrepo.branches(project.repo).items())
    ]
    return paginated(ctx, items)


@route("GET", "/projects/:id/repository/branches/:branch")
def get_branch(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    sha = gitrepo.branches(project.repo).get(ctx.args["branch"])
    if sha is None:
        raise not_found("Branch")
    return json_response(200, _branch_json(ctx, project, ctx.args["branch"], sha))


def _branch_json(ctx: Ctx, project: Project, name: str, sha: str) -> dict[str, Any]:
    return {
        "name": name,
        "merged": False,
        "protected": False,
        "default": name == project.default_branch,
        "developers_can_push": True,
        "developers_can_merge": True,
        "can_push": True,
        "web_url": f"{ctx.state.base_url}/{ctx.state.project_full_path(project)}/-/tree/{name}",
        "commit": commit_json(ctx.state, project, gitrepo.commit_info(project.repo, sha)),
    }


@route("GET", "/projects/:id/repository/tree")
def list_tree(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    ref = _ref_or_default(ctx, project)
    sha = gitrepo.resolve(project.repo, ref)
    if sha is None:
        raise not_found("Tree")
    entries = gitrepo.ls_tree(
        project.repo, sha, ctx.str_param("path"), as_bool(ctx.params.get("recursive", False))
    )
    if entries is None:
        raise not_found("Tree")
    items = [{"id": e.sha, "name": e.name, "type": e.type, "path": e.path, "mode": e.mode} for e in entries]
    return paginated(ctx, items)


def _file(ctx: Ctx, require_ref: bool) -> tuple[Project, str, str, tuple[str, str, bytes]]:
    project = ctx.project_or_404(ctx.args["id"])
    if require_ref and not ctx.str_param("ref"):
        raise bad_request("ref is missing")
    ref = _ref_or_default(ctx, project)
    sha = gitrepo.resolve(project.repo, ref)
    if sha is None:
        raise not_found("Commit")
    blob = gitrepo.blob_at(project.repo, sha, ctx.args["file_path"])
    if blob is None:
        raise not_found("File")
    return project, ref, sha, blob


@route("GET", "/projects/:id/repository/files/:file_path")
def get_file(ctx: Ctx) -> Response:
    project, ref, sha, (blob_sha, mode, content) = _file(ctx, require_ref=True)
    path = ctx.args["file_path"]
    last = gitrepo.log(project.repo, sha, path)
    body = {
        "file_name": path.rsplit("/", 1)[-1],
        "file_path": path,
        "size": len(content),
        "encoding": "base64",
        "content": base64.b64encode(content).decode("ascii"),
        "content_sha256": hashlib.sha256(content).hexdigest(),
        "ref": ref,
        "blob_id": blob_sha,
        "commit_id": sha,
        "last_commit_id": last[0] if last else sha,
        "execute_filemode": mode == "100755",
    }
    return json_response(200, body)


@route("GET", "/projects/:id/repository/files/:file_path/raw")
def get_file_raw(ctx: Ctx) -> Response:
    _project, _ref, _sha, (blob_sha, _mode, content) = _file(ctx, require_ref=False)
    headers = {"X-Gitlab-Blob-Id": blob_sha, "X-Gitlab-Size": str(len(content))}
    return Response(content, status=200, headers=headers, content_type="text/plain; charset=utf-8")
