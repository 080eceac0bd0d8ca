"""REST endpoints: projects (create, read, update, archive, unarchive, delete).

Roles as GitLab's (https://docs.gitlab.com/user/permissions/): creating a project in a group needs
Maintainer, settings need Maintainer, archive/unarchive/delete need Owner. ``PUT /projects/:id`` validates
``ci_pipeline_variables_minimum_override_role`` before changing anything (``pipeline_variables.py``);
``DELETE`` follows ``state.deletion`` (README "Deletion").
"""

from __future__ import annotations

import re

from werkzeug.wrappers import Response

from . import gitrepo, pipeline_variables
from .errors import ApiError, bad_request, forbidden, invalid, not_found
from .routing import Ctx, as_bool, json_response, route
from .state import MAINTAINER, OWNER, now
from .views import project_json

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
    if pipeline_variables.SETTING in ctx.params:
        settings[pipeline_variables.SETTING] = pipeline_variables.check_value(
            ctx.params[pipeline_variables.SETTING]
        )
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
        # Projects::UpdateService validates before it changes anything: a refused PUT changes nothing.
        new_role = None
        if pipeline_variables.SETTING in ctx.params:
            new_role = pipeline_variables.check_value(ctx.params[pipeline_variables.SETTING])
            pipeline_variables.check_change(project, new_role, ctx.user_level(project))
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
        if new_role is not None:
            project.settings[pipeline_variables.SETTING] = new_role
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
