"""REST endpoints: the caller (version, user, token self-inspection), groups and project listings.

Reading a private group needs membership (GitLab hides it otherwise: 404 ``{"message": "404 Group Not
Found"}``); ``GET /projects`` lists what the caller is a member of plus non-private projects. Group and
project listings filter (``search``, ``archived``), order (``order_by``, ``sort``) and paginate as GitLab's
(https://docs.gitlab.com/api/groups/, https://docs.gitlab.com/api/projects/#list-all-projects).
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .routing import Ctx, as_bool, json_response, paginated, route
from .state import Project
from .views import group_json, project_json, token_json, user_json


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
