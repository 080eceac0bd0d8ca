"""Resource groups: ``/projects/:id/resource_groups`` as GitLab's Resource group API.

Source: https://docs.gitlab.com/api/resource_groups/ (list, get, edit ``process_mode``) and GitLab's
``lib/api/ci/resource_groups.rb``. As on GitLab, a resource group exists only once a pipeline with a job
that uses it (``resource_group:`` in .gitlab-ci.yml) was created (``Gitlab::Ci::Pipeline::Chain::
EnsureResourceGroups``); before that its key answers 404. New groups are ``unordered``.

The routes need Developer (GitLab's ``read_resource_group``/``update_resource_group`` abilities are granted
from Developer up); below that the project is 403, or 404 when the caller cannot see it. Not emulated:
``upcoming_jobs`` and ``current_job``, and the runner does not hold jobs back for a busy group (jobs of one
project run one pipeline at a time in the sandbox, so a group is never contended).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from werkzeug.wrappers import Response

from .errors import ApiError, bad_request
from .routing import Ctx, json_response, paginated, route
from .state import DEVELOPER, EmulatorState, Project, iso, now

# The values of ``Ci::ResourceGroup.process_modes`` (newest_ready_first since GitLab 18.1, MR 188049).
PROCESS_MODES = ("unordered", "oldest_first", "newest_first", "newest_ready_first")


@dataclass
class ResourceGroup:
    id: int
    key: str
    process_mode: str
    created_at: datetime
    updated_at: datetime


def _groups(project: Project) -> dict[str, ResourceGroup]:
    groups: dict[str, ResourceGroup] = project.resource_groups
    return groups


def ensure_resource_group(state: EmulatorState, project: Project, key: str) -> ResourceGroup:
    """The group ``key`` of ``project``, created (``unordered``) by the first pipeline whose job uses it."""
    with state.lock:
        groups = _groups(project)
        if key not in groups:
            ts = now()
            groups[key] = ResourceGroup(state.next_id("resource_group"), key, "unordered", ts, ts)
        return groups[key]


def resource_group_json(group: ResourceGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "key": group.key,
        "process_mode": group.process_mode,
        "created_at": iso(group.created_at),
        "updated_at": iso(group.updated_at),
    }


def _group_or_404(ctx: Ctx) -> tuple[Project, ResourceGroup]:
    """As ``resource_group`` in resources_groups.rb: the key is looked up (``find_by_key!``, whose
    ActiveRecord::RecordNotFound GitLab's API answers 404 ``{"message": "404 Not found"}``) before
    ``authorize!`` checks the role (403)."""
    project = ctx.project_or_404(ctx.args["id"])
    group = _groups(project).get(ctx.args["key"])
    if group is None:
        raise ApiError(404, {"message": "404 Not found"})
    ctx.project_or_404(ctx.args["id"], DEVELOPER)
    return project, group


@route("GET", "/projects/:id/resource_groups")
def list_resource_groups(ctx: Ctx) -> Response:
    """GET /projects/:id/resource_groups (docs.gitlab.com/api/resource_groups/#get-all-resource-groups...)."""
    project = ctx.project_or_404(ctx.args["id"], DEVELOPER)
    with ctx.state.lock:
        groups = sorted(_groups(project).values(), key=lambda g: g.id)
    return paginated(ctx, [resource_group_json(g) for g in groups])


@route("GET", "/projects/:id/resource_groups/:key")
def get_resource_group(ctx: Ctx) -> Response:
    """GET /projects/:id/resource_groups/:key (docs.gitlab.com/api/resource_groups/#get-a-specific-...)."""
    _project, group = _group_or_404(ctx)
    return json_response(200, resource_group_json(group))


@route("PUT", "/projects/:id/resource_groups/:key")
def edit_resource_group(ctx: Ctx) -> Response:
    """PUT /projects/:id/resource_groups/:key with ``process_mode`` (docs: "Edit an existing resource group").

    An unknown mode is Grape's ``values:`` validation error: 400 ``{"error": "process_mode does not have a
    valid value"}``.
    """
    with ctx.state.lock:
        _project, group = _group_or_404(ctx)
        if "process_mode" in ctx.params:
            mode = ctx.str_param("process_mode")
            if mode not in PROCESS_MODES:
                raise bad_request("process_mode does not have a valid value")
            group.process_mode = mode
            group.updated_at = now()
    return json_response(200, resource_group_json(group))
