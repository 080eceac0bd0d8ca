"""The emulated REST v4 endpoints (``/api/v4/...``).

Emulated: user and token self-inspection, groups (read) and group projects, projects (create, read, update,
archive, unarchive, delete), repository commits (create with create/update/delete/move/chmod actions, text
or base64 content; list; read), tree, files (JSON and raw), branches, project CI/CD variables, pipeline
triggers and trigger tokens, pipelines (create, list with filters, read, variables, jobs) and jobs (read,
play, trace).

Roles as in GitLab: reading needs membership (or a non-private project), commits need Developer, settings,
variables and triggers need Maintainer, archive/unarchive/delete need Owner. Anything else answers 404
``{"error": "404 Not Found"}`` like GitLab's router. Tags and protected tags: ``tags_api.py``. Not emulated:
merge requests, issues, protected branches, environments, webhooks, the admin API (seed data is created in Python, see ``state.py``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from typing import Any

from werkzeug.wrappers import Response

from . import gitrepo
from .errors import ApiError, bad_request, forbidden, invalid, not_found
from .pipeline_start import ci_config_path, start_push_pipeline, workflow_allows
from .routing import Ctx, as_bool, json_response, paginate, paginated, route
from .state import (
    DEVELOPER,
    MAINTAINER,
    OWNER,
    Pipeline,
    Project,
    Trigger,
    Variable,
    now,
)
from .views import (
    commit_json,
    group_json,
    job_json,
    pipeline_json,
    project_json,
    token_json,
    trigger_json,
    user_json,
    variable_json,
)

VISIBILITIES = ("private", "internal", "public")
# Project attributes PUT /projects/:id stores and echoes back (a subset of GitLab's).
SETTINGS = (
    "ci_config_path",
    "only_allow_merge_if_pipeline_succeeds",
    "shared_runners_enabled",
    "builds_access_level",
    "merge_method",
    "remove_source_branch_after_merge",
    "ci_forward_deployment_enabled",
    "ci_job_token_scope_enabled",
    "auto_devops_enabled",
    "request_access_enabled",
    "topics",
    "issues_enabled",
    "wiki_enabled",
    "packages_enabled",
)


# ---- users and tokens ------------------------------------------------------------------------------------
@route("GET", "/version")
def get_version(ctx: Ctx) -> Response:
    return json_response(200, {"version": "18.6.0-emulator", "revision": "emulator", "enterprise": False})


@route("GET", "/user")
def get_user(ctx: Ctx) -> Response:
    return json_response(200, user_json(ctx.state, ctx.current_user()))


@route("GET", "/personal_access_tokens/self")
def get_token_self(ctx: Ctx) -> Response:
    assert ctx.token is not None
    return json_response(200, token_json(ctx.token))


# ---- groups ----------------------------------------------------------------------------------------------
@route("GET", "/groups/:id")
def get_group(ctx: Ctx) -> Response:
    group = ctx.group_or_404(ctx.args["id"])
    with_projects = as_bool(ctx.params.get("with_projects", True))
    return json_response(200, group_json(ctx.state, group, with_projects=with_projects))


@route("GET", "/groups/:id/subgroups")
def list_subgroups(ctx: Ctx) -> Response:
    group = ctx.group_or_404(ctx.args["id"])
    children = [
        g for g in list(ctx.state.groups.values()) if g.parent_id == group.id and ctx.can_see_group(g)
    ]
    return paginated(ctx, [group_json(ctx.state, g) for g in sorted(children, key=lambda g: g.name)])


def _filter_projects(ctx: Ctx, projects: list[Project]) -> list[dict[str, Any]]:
    search = ctx.str_param("search").lower()
    if search:
        projects = [
            p
            for p in projects
            if search in p.name.lower() or search in p.path.lower() or search in p.description.lower()
        ]
    if "archived" in ctx.params:
        wanted = as_bool(ctx.params["archived"])
        projects = [p for p in projects if p.archived == wanted]
    order_by = ctx.str_param("order_by", "created_at")
    sort = ctx.str_param("sort", "desc")
    keys = {"id": lambda p: p.id, "name": lambda p: p.name.lower(), "path": lambda p: p.path.lower()}
    projects.sort(key=keys.get(order_by, lambda p: p.id), reverse=sort != "asc")
    return [project_json(ctx.state, p) for p in projects]


@route("GET", "/groups/:id/projects")
def list_group_projects(ctx: Ctx) -> Response:
    group = ctx.group_or_404(ctx.args["id"])
    scope = (
        ctx.state.group_descendants(group) if as_bool(ctx.params.get("include_subgroups", False)) else [group]
    )
    ids = {g.id for g in scope}
    projects = [p for p in list(ctx.state.projects.values()) if p.namespace_id in ids]
    return paginated(ctx, _filter_projects(ctx, projects))


@route("GET", "/projects")
def list_projects(ctx: Ctx) -> Response:
    user = ctx.current_user()
    projects = [
        p
        for p in list(ctx.state.projects.values())
        if ctx.state.access_level(user, ctx.state.groups[p.namespace_id]) > 0 or p.visibility != "private"
    ]
    return paginated(ctx, _filter_projects(ctx, projects))


# ---- projects --------------------------------------------------------------------------------------------
@route("POST", "/projects")
def create_project(ctx: Ctx) -> Response:
    user = ctx.current_user()
    name = ctx.str_param("name")
    path = ctx.str_param("path")
    if not name and not path:
        raise bad_request("name, path are missing, at least one parameter must be provided")
    name, path = name or path, path or re.sub(r"[^a-zA-Z0-9_.-]+", "-", name).strip("-").lower()
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"[a-zA-Z0-9_][a-zA-Z0-9_.-]*", path) or path.endswith((".git", ".atom", ".")):
        errors["path"] = [
            "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-', end in '.git' or end in '.atom'"
        ]
    if len(name) > 255:
        errors["name"] = ["is too long (maximum is 255 characters)"]
    visibility = ctx.str_param("visibility", "private")
    if visibility not in VISIBILITIES:
        raise bad_request("visibility does not have a valid value")
    if errors:
        raise invalid(errors)
    namespace_ref = ctx.str_param("namespace_id") or ctx.str_param("namespace")
    if not namespace_ref:
        # Personal namespaces are not emulated.
        raise invalid({"namespace": ["is not valid"]})
    group = ctx.state.find_group(namespace_ref)
    if group is None or not ctx.can_see_group(group):
        raise not_found("Namespace")
    if ctx.state.access_level(user, group) < MAINTAINER:
        # Projects::CreateService reports a namespace the user may not create in as a validation error.
        raise invalid({"namespace": ["is not valid"]})
    settings = {k: ctx.params[k] for k in SETTINGS if k in ctx.params}
    project = ctx.state.create_project(
        name=name,
        path=path,
        namespace=group,
        creator=user,
        description=ctx.str_param("description"),
        visibility=visibility,
        default_branch=ctx.str_param("default_branch", "main") or "main",
        settings=settings,
    )
    ctx.project = project
    if as_bool(ctx.params.get("initialize_with_readme", False)):
        gitrepo.commit_actions(
            project.repo,
            branch=project.default_branch,
            parent=None,
            actions=[gitrepo.FileAction("create", "README.md", f"# {name}\n".encode())],
            message="Initial commit",
            author=(user.name, user.email),
            expected_old=None,
        )
    return json_response(201, project_json(ctx.state, project))


@route("GET", "/projects/:id")
def get_project(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    return json_response(200, project_json(ctx.state, project))


@route("PUT", "/projects/:id")
def update_project(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    if project.archived and not set(ctx.params) <= {"archived"}:
        raise forbidden()
    state = ctx.state
    with state.lock:
        if "name" in ctx.params or "path" in ctx.params:
            name, path = ctx.str_param("name", project.name), ctx.str_param("path", project.path)
            siblings = [
                p
                for p in state.projects.values()
                if p.namespace_id == project.namespace_id and p.id != project.id
            ]
            errors: dict[str, list[str]] = {}
            if any(p.name.lower() == name.lower() for p in siblings):
                errors["name"] = ["has already been taken"]
            if any(p.path.lower() == path.lower() for p in siblings):
                errors["path"] = ["has already been taken"]
            if errors:
                raise invalid(errors)
            project.name, project.path = name, path
        if "description" in ctx.params:
            project.description = ctx.str_param("description")
        if "visibility" in ctx.params:
            if ctx.params["visibility"] not in VISIBILITIES:
                raise bad_request("visibility does not have a valid value")
            project.visibility = ctx.str_param("visibility")
        if "default_branch" in ctx.params:
            branch = ctx.str_param("default_branch")
            if gitrepo.branches(project.repo) and branch not in gitrepo.branches(project.repo):
                raise invalid({"base": [f"Could not change HEAD: branch '{branch}' does not exist"]})
            project.default_branch = branch
            gitrepo.set_head(project.repo, branch)
        for key in SETTINGS:
            if key in ctx.params:
                project.settings[key] = ctx.params[key]
        project.last_activity_at = now()
    return json_response(200, project_json(state, project))


@route("POST", "/projects/:id/archive")
def archive_project(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], OWNER)
    project.archived = True
    return json_response(201, project_json(ctx.state, project))


@route("POST", "/projects/:id/unarchive")
def unarchive_project(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], OWNER)
    project.archived = False
    return json_response(201, project_json(ctx.state, project))


@route("DELETE", "/projects/:id")
def delete_project(ctx: Ctx) -> Response:
    """202 either way; what happens depends on ``state.deletion`` (README "Deletion")."""
    project = ctx.project_or_404(ctx.args["id"], OWNER)
    state = ctx.state
    if state.deletion == "immediate":
        state.delete_project(project)
        return json_response(202, {"message": "202 Accepted"})
    permanently = as_bool(ctx.params.get("permanently_remove", False))
    if project.marked_for_deletion_on is None:
        if permanently:
            raise ApiError(400, {"message": "Project must be marked for deletion first."})
        state.mark_for_deletion(project)
    elif not permanently:
        raise ApiError(400, {"message": "Project has been already marked for deletion"})
    elif ctx.str_param("full_path") != state.project_full_path(project):
        raise ApiError(
            400, {"message": "`full_path` is incorrect. You must enter the complete path for the project."}
        )
    else:
        state.delete_project(project)
    return json_response(202, {"message": "202 Accepted"})


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


# ---- CI/CD variables -------------------------------------------------------------------------------------
# app/models/concerns/ci/maskable.rb: masked values are one line of ≥ 8 characters from this set.
_MASKABLE = re.compile(r"\A[a-zA-Z0-9_+=/@:.~-]{8,}\Z")
_MASKABLE_RAW = re.compile(r"\A\S{8,}\Z")
_KEY = re.compile(r"\A[a-zA-Z0-9_]+\Z")


def _variable_from_params(ctx: Ctx, existing: Variable | None) -> Variable:
    base = existing or Variable(key=str(ctx.require("key")), value="")
    if existing is None and "value" not in ctx.params:
        raise bad_request("value is missing")
    variable_type = ctx.str_param("variable_type", base.variable_type)
    if variable_type not in ("env_var", "file"):
        raise bad_request("variable_type does not have a valid value")
    hidden = base.hidden or as_bool(ctx.params.get("masked_and_hidden", False))
    variable = Variable(
        key=base.key,
        value=ctx.str_param("value", base.value),
        variable_type=variable_type,
        protected=as_bool(ctx.params.get("protected", base.protected)),
        masked=hidden or as_bool(ctx.params.get("masked", base.masked)),
        hidden=hidden,
        raw=as_bool(ctx.params.get("raw", base.raw)),
        environment_scope=ctx.str_param("environment_scope", base.environment_scope) or "*",
        description=ctx.params.get("description", base.description),
    )
    errors: dict[str, list[str]] = {}
    if not _KEY.match(variable.key) or len(variable.key) > 255:
        errors["key"] = ["can contain only letters, digits and '_'."]
    if variable.masked:
        pattern = _MASKABLE_RAW if variable.raw else _MASKABLE
        if not pattern.match(variable.value):
            errors["value"] = ["is invalid"]
    if len(variable.value) > 10000:
        errors.setdefault("value", []).append("is too long (maximum is 10000 characters)")
    if errors:
        raise invalid(errors)
    return variable


@route("GET", "/projects/:id/variables")
def list_variables(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    return paginated(ctx, [variable_json(v) for v in project.variables])


def _scope_filter(ctx: Ctx) -> str | None:
    nested = ctx.params.get("filter")
    if isinstance(nested, dict) and nested.get("environment_scope"):
        return str(nested["environment_scope"])
    return None


@route("GET", "/projects/:id/variables/:key")
def get_variable(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    return json_response(
        200, variable_json(ctx.state.find_variable(project, ctx.args["key"], _scope_filter(ctx)))
    )


@route("POST", "/projects/:id/variables")
def create_variable(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    with ctx.state.lock:
        variable = _variable_from_params(ctx, None)
        if any(
            v.key == variable.key and v.environment_scope == variable.environment_scope
            for v in project.variables
        ):
            raise invalid({"key": [f"({variable.key}) has already been taken"]})
        project.variables.append(variable)
    return json_response(201, variable_json(variable))


@route("PUT", "/projects/:id/variables/:key")
def update_variable(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    with ctx.state.lock:
        existing = ctx.state.find_variable(project, ctx.args["key"], _scope_filter(ctx))
        if existing.hidden and "masked" in ctx.params and not as_bool(ctx.params["masked"]):
            raise invalid({"masked": ["cannot be unset for hidden variables"]})
        variable = _variable_from_params(ctx, existing)
        clash = [
            v
            for v in project.variables
            if v is not existing
            and v.key == variable.key
            and v.environment_scope == variable.environment_scope
        ]
        if clash:
            raise invalid({"key": [f"({variable.key}) has already been taken"]})
        project.variables[project.variables.index(existing)] = variable
    return json_response(200, variable_json(variable))


@route("DELETE", "/projects/:id/variables/:key")
def delete_variable(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    with ctx.state.lock:
        project.variables.remove(ctx.state.find_variable(project, ctx.args["key"], _scope_filter(ctx)))
    return Response(status=204)


# ---- pipeline triggers -----------------------------------------------------------------------------------
def _trigger(ctx: Ctx, project: Project) -> Trigger:
    trigger_id = ctx.args["trigger_id"]
    for trigger in project.triggers:
        if str(trigger.id) == trigger_id:
            return trigger
    raise not_found("Trigger")


@route("GET", "/projects/:id/triggers")
def list_triggers(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    return paginated(ctx, [trigger_json(ctx.state, t, ctx.user) for t in project.triggers])


@route("GET", "/projects/:id/triggers/:trigger_id")
def get_trigger(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    return json_response(200, trigger_json(ctx.state, _trigger(ctx, project), ctx.user))


@route("POST", "/projects/:id/triggers")
def create_trigger(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    description = str(ctx.require("description"))
    ts = now()
    trigger = Trigger(
        id=ctx.state.next_id("trigger"),
        token="glptt-" + secrets.token_hex(20),
        description=description,
        owner_id=ctx.current_user().id,
        created_at=ts,
        updated_at=ts,
    )
    with ctx.state.lock:
        project.triggers.append(trigger)
    return json_response(201, trigger_json(ctx.state, trigger, ctx.user))


@route("PUT", "/projects/:id/triggers/:trigger_id")
def update_trigger(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    trigger = _trigger(ctx, project)
    if "description" in ctx.params:
        trigger.description = ctx.str_param("description")
        trigger.updated_at = now()
    return json_response(200, trigger_json(ctx.state, trigger, ctx.user))


@route("DELETE", "/projects/:id/triggers/:trigger_id")
def delete_trigger(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], MAINTAINER)
    with ctx.state.lock:
        project.triggers.remove(_trigger(ctx, project))
    return Response(status=204)


# ---- pipelines -------------------------------------------------------------------------------------------
def _pipeline_variables(raw: Any, as_list: bool) -> list[dict[str, str]]:
    result: list[dict[str, str]] = []
    if raw is None or raw == "":
        return result
    if as_list:
        if not isinstance(raw, list):
            raise bad_request("variables is invalid")
        for item in raw:
            if not isinstance(item, dict) or "key" not in item:
                raise bad_request("variables is invalid")
            result.append(
                {
                    "variable_type": str(item.get("variable_type", "env_var")),
                    "key": str(item["key"]),
                    "value": str(item.get("value", "")),
                }
            )
        return result
    if not isinstance(raw, dict):
        raise bad_request("variables is invalid")
    return [{"variable_type": "env_var", "key": str(k), "value": str(v)} for k, v in raw.items()]


def _start_pipeline(ctx: Ctx, project: Project, source: str, variables: list[dict[str, str]]) -> Pipeline:
    """``ref`` names a branch or a tag (a tag pipeline then); both at once is GitLab's "Ref is ambiguous"
    (Gitlab::Ci::Pipeline::Chain::Validate::Repository)."""
    ref = str(ctx.require("ref"))
    branch_sha = gitrepo.resolve(project.repo, f"refs/heads/{ref}")
    tag_sha = gitrepo.resolve(project.repo, f"refs/tags/{ref}")
    if branch_sha and tag_sha:
        raise invalid({"base": ["Ref is ambiguous"]})
    sha = branch_sha or tag_sha
    tag = tag_sha is not None
    if sha is None:
        raise invalid({"base": ["Reference not found"]})
    if gitrepo.blob_at(project.repo, sha, ci_config_path(project)) is None:
        raise invalid({"base": ["Missing CI config file"]})
    if not workflow_allows(ctx.state, project, ref, sha, source, variables, ctx.user, tag=tag):
        raise invalid({"base": ["Pipeline filtered out by workflow rules."]})
    return ctx.state.create_pipeline(
        project, ref=ref, sha=sha, source=source, variables=variables, user=ctx.user, tag=tag
    )


@route("POST", "/projects/:id/pipeline")
def create_pipeline(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    if project.archived:
        raise forbidden()
    variables = _pipeline_variables(ctx.params.get("variables"), as_list=True)
    pipeline = _start_pipeline(ctx, project, "api", variables)
    return json_response(201, pipeline_json(ctx.state, pipeline))


@route("POST", "/projects/:id/trigger/pipeline", auth=False)
def trigger_pipeline(ctx: Ctx) -> Response:
    """Authenticated by the trigger ``token`` only (GitLab answers 404 for a bad token or project)."""
    token = ctx.str_param("token")
    if not token:
        raise bad_request("token is missing")
    project = ctx.state.find_project(ctx.args["id"])
    if project is None:
        raise not_found("")
    trigger = next((t for t in project.triggers if secrets.compare_digest(t.token, token)), None)
    if trigger is None:
        raise not_found("")
    ctx.project = project
    owner = ctx.state.users.get(trigger.owner_id)
    if owner is None or ctx.state.access_level(owner, ctx.state.groups[project.namespace_id]) < DEVELOPER:
        # The trigger acts as its owner; an owner who lost access makes the trigger useless.
        raise forbidden()
    if project.archived:
        raise forbidden()
    ctx.user = owner
    variables = _pipeline_variables(ctx.params.get("variables"), as_list=False)
    trigger.last_used = now()
    pipeline = _start_pipeline(ctx, project, "trigger", variables)
    return json_response(201, pipeline_json(ctx.state, pipeline))


def _pipeline(ctx: Ctx, project: Project) -> Pipeline:
    pipeline = (
        ctx.state.pipelines.get(int(ctx.args["pipeline_id"])) if ctx.args["pipeline_id"].isdigit() else None
    )
    if pipeline is None or pipeline.project_id != project.id:
        raise not_found("")
    return pipeline


@route("GET", "/projects/:id/pipelines")
def list_pipelines(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    pipelines = [p for p in list(ctx.state.pipelines.values()) if p.project_id == project.id]
    for name in ("ref", "source", "status", "sha"):
        if ctx.str_param(name):
            pipelines = [p for p in pipelines if getattr(p, name) == ctx.str_param(name)]
    scope = ctx.str_param("scope")
    if scope == "finished":
        pipelines = [p for p in pipelines if p.status in ("success", "failed", "canceled", "skipped")]
    elif scope in ("running", "pending"):
        pipelines = [p for p in pipelines if p.status == scope]
    pipelines.sort(key=lambda p: p.id, reverse=ctx.str_param("sort", "desc") != "asc")
    return paginated(ctx, [pipeline_json(ctx.state, p, detailed=False) for p in pipelines])


@route("GET", "/projects/:id/pipelines/:pipeline_id")
def get_pipeline(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    return json_response(200, pipeline_json(ctx.state, _pipeline(ctx, project)))


@route("GET", "/projects/:id/pipelines/:pipeline_id/variables")
def get_pipeline_variables(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    return json_response(200, list(_pipeline(ctx, project).variables))


@route("GET", "/projects/:id/pipelines/:pipeline_id/jobs")
def list_pipeline_jobs(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    pipeline = _pipeline(ctx, project)
    jobs = [ctx.state.jobs[j] for j in pipeline.job_ids if j in ctx.state.jobs]
    scope = ctx.params.get("scope")
    if scope:
        wanted = set(scope) if isinstance(scope, list) else {str(scope)}
        jobs = [j for j in jobs if j.status in wanted]
    return paginated(ctx, [job_json(ctx.state, j) for j in sorted(jobs, key=lambda j: j.id, reverse=True)])


# ---- jobs ------------------------------------------------------------------------------------------------
def _job(ctx: Ctx, project: Project) -> Any:
    job_id = ctx.args["job_id"]
    job = ctx.state.jobs.get(int(job_id)) if job_id.isdigit() else None
    if job is None or job.project_id != project.id:
        raise not_found("")
    return job


@route("GET", "/projects/:id/jobs/:job_id")
def get_job(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    return json_response(200, job_json(ctx.state, _job(ctx, project)))


@route("GET", "/projects/:id/jobs/:job_id/trace")
def get_job_trace(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"])
    job = _job(ctx, project)
    return Response(bytes(job.trace), status=200, content_type="text/plain; charset=utf-8")


@route("POST", "/projects/:id/jobs/:job_id/play")
def play_job(ctx: Ctx) -> Response:
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    job = _job(ctx, project)
    with ctx.state.lock:
        if job.status != "manual":
            raise ApiError(400, {"message": "400 Bad request - Unplayable Job"})
        job.status = "pending"
        job.user_id = ctx.current_user().id
    pipeline = ctx.state.pipelines[job.pipeline_id]
    ctx.state.runner.play(project, pipeline, job)
    return json_response(200, job_json(ctx.state, job))
